/**
 * Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, in a persistent
 * context on a fresh profile dir (Playwright refuses --user-data-dir in args). The service's
 * certificate is self-signed, hence ignoreHTTPSErrors.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.GATEHOUSE_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Every console error and page error, for diagnosing a failed test. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  const profileDir = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: opts.viewport ?? { width: 1280, height: 720 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** The lines of the app's xterm buffer (the terminal page exposes it as __gatehouseTerm for tests). */
export type Lines = string[];

export async function bufferLines(p: Page): Promise<Lines> {
  return p.evaluate(() => {
    type Buf = { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined };
    const term = (window as unknown as { __gatehouseTerm?: { buffer: { active: Buf } } }).__gatehouseTerm;
    if (!term) return [];
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buf.length; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
    return out;
  });
}

export async function waitForBuffer(p: Page, ok: (lines: Lines) => boolean, what: string, timeoutMs = 15_000): Promise<Lines> {
  const deadline = Date.now() + timeoutMs;
  let lines: Lines = [];
  while (Date.now() < deadline) {
    lines = await bufferLines(p);
    if (ok(lines)) return lines;
    await p.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}; terminal shows:\n${lines.filter((l) => l).join('\n')}`);
}

export async function typeLine(p: Page, text: string): Promise<void> {
  await p.keyboard.type(text);
  await p.keyboard.press('Enter');
}

/** The login form, from the login page. */
export async function logIn(p: Page, email: string, password: string): Promise<void> {
  await p.waitForURL(/#\/login$/);
  await p.fill('#email', email);
  await p.fill('#password', password);
  await p.click('button[type=submit]');
}

/** The forced password change after a first login; lands on the targets page. */
export async function changePassword(p: Page, current: string, next: string): Promise<void> {
  await p.fill('#current-password', current);
  await p.fill('#new-password', next);
  await p.fill('#confirm-password', next);
  await p.click('button[type=submit]');
  await p.waitForURL(/#\/targets$/);
}
