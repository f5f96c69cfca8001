/**
 * The browser path, end to end, with real parts only: the built service (`dist/gatehouse.js`),
 * headless Chromium, the web app, xterm.js, a real shell on the `local` target, the recording on
 * disk, asciinema-player, and Debian's `asciinema` CLI reading the file.
 *
 * The steps share one browser page and run in order; a failed step makes the later ones fail.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, typeLine, waitForBuffer, type BrowserSession } from '../helpers/browser';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';

const NEW_PASSWORD = 'correct-horse-battery-staple';
const SCREENSHOT_TERMINAL = '/tmp/gatehouse-e2e-terminal.png';
const SCREENSHOT_PLAYER = '/tmp/gatehouse-e2e-player.png';

let server: ServerProcess;
let browser: BrowserSession;
let page: Page;
let connectionId = '';
let recordingId = '';

describe('browser shell (built service + Chromium)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    browser = await launchBrowser();
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    // The 401 from /auth/me before logging in is expected; anything else is worth seeing.
    const errors = browser?.errors.filter((e) => !/status of 401/.test(e)) ?? [];
    if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
    await browser?.close();
    await server?.stop();
  });

  it('prints the bootstrap password for admin@localhost', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.password, server.stdout.join('\n')).toBeTruthy();
  });

  it('logs in, shows server errors, and forces a password change first', async () => {
    await page.goto(server.url);
    await page.waitForURL(/#\/login$/);

    await page.fill('#email', 'admin@localhost');
    await page.fill('#password', 'not-the-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toMatch(/\S/);

    await page.fill('#password', server.password!);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/password$/);

    // Client-side rule: at least 12 characters, before any request.
    await page.fill('#current-password', server.password!);
    await page.fill('#new-password', 'short');
    await page.fill('#confirm-password', 'short');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toContain('12');

    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#confirm-password', NEW_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/targets$/);
  });

  it('lists the local target and opens a shell on it as root', async () => {
    const row = page.locator('tr[data-target="local"]');
    await row.waitFor();
    await expect.poll(() => row.textContent()).toMatch(/online/);
    await expect.poll(() => page.textContent('.topbar')).toContain('admin@localhost');

    await row.locator('button[data-target-user="root"]').click();
    await page.waitForURL(/#\/terminal\/[^/]+$/);
    connectionId = decodeURIComponent(page.url().split('#/terminal/')[1]!);
    await page.waitForSelector('.terminal-status[data-state="connected"]');
    await waitForBuffer(page, (lines) => lines.some((l) => l.trim() !== ''), 'a shell prompt');
  });

  it('runs a command and shows its output in xterm', async () => {
    await page.click('.terminal-host');
    await typeLine(page, 'echo gatehouse-$((6*7))');
    // The echoed command line contains $((6*7)); only real output is exactly gatehouse-42.
    await waitForBuffer(page, (lines) => lines.some((l) => l.trim() === 'gatehouse-42'), 'gatehouse-42 output');
  });

  it('resizes the pty when the browser window changes size', async () => {
    const before = await sttySize(page, 1);
    expect(before).toEqual(await termSize(page));

    await page.setViewportSize({ width: 900, height: 520 });
    await expect.poll(() => termSize(page)).not.toEqual(before);
    const wanted = await termSize(page);
    const after = await sttySize(page, 2);
    expect(after).toEqual(wanted);
    expect(after).not.toEqual(before);

    await page.screenshot({ path: SCREENSHOT_TERMINAL });
  });

  it('shows why the session ended when the shell exits', async () => {
    await typeLine(page, 'exit');
    await page.waitForSelector('.terminal-status[data-state="ended"]');
    expect(await page.textContent('.terminal-status')).toContain('Session ended (exit 0)');
  });

  it('lists the recording and replays it in asciinema-player', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('.topbar nav a[href="#/recordings"]');
    await page.waitForURL(/#\/recordings$/);
    const first = page.locator('tbody tr').first();
    await first.waitFor();
    recordingId = (await first.getAttribute('data-recording-id')) ?? '';
    expect(recordingId).not.toBe('');
    expect(await first.textContent()).toContain('local');

    // Filtered by a command run in the session (the command log's search), kept in the address.
    await page.fill('#rec-grep', '6*7');
    await page.click('.filters button[type=submit]');
    await page.waitForURL(/#\/recordings\?grep=6\*7$/);
    await expect.poll(() => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-recording-id')))).toEqual([recordingId]);
    await page.fill('#rec-grep', 'no-such-command-zq');
    await page.click('.filters button[type=submit]');
    await expect.poll(() => page.textContent('.recordings-results')).toBe('No recordings match these filters.');
    await page.fill('#rec-since', 'yesterday-ish');
    await page.click('.filters button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toMatch(/since/);
    await page.click('.topbar nav a[href="#/recordings"]');
    await page.waitForURL(/#\/recordings$/);
    await first.waitFor();

    await first.locator('a.play-link').click();
    await page.waitForURL(new RegExp(`#/recordings/${escapeRe(encodeURIComponent(recordingId))}$`));
    await page.selectOption('#player-speed', '4');
    await page.locator('.player-host .ap-overlay-start').click();
    await page.waitForFunction(
      () => document.querySelector('.player-host .ap-term-text')?.textContent?.includes('gatehouse-42') ?? false,
      undefined,
      { timeout: 30_000 },
    );
    // Let it play to the end (the second stty line) so the screenshot shows the whole session.
    await page.waitForFunction(
      () => document.querySelector('.player-host .ap-term-text')?.textContent?.includes('size-2:') ?? false,
      undefined,
      { timeout: 30_000 },
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT_PLAYER });
  });

  it('downloads the cast through the Download link', async () => {
    const href = await page.getAttribute('.player-controls a[href*="download=1"]', 'href');
    expect(href).toBeTruthy();
    const res = await page.context().request.get(new URL(href!, server.url).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-disposition'] ?? '').toMatch(/attachment/);
    const text = await res.text();
    expect(JSON.parse(text.split('\n')[0]!).version).toBe(2);
    expect(text).toContain('gatehouse-42');
  });

  it('wrote an asciicast v2 file that asciinema can read', async () => {
    const file = await findCast(server.dataDir, connectionId);
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new Error(`line ${i + 1} of ${file} is not JSON: ${l.slice(0, 120)}`);
      }
    });
    const header = parsed[0] as { version: number; width: number; height: number };
    expect(header.version).toBe(2);
    const events = parsed.slice(1) as [number, string, string][];
    expect(events.some((e) => e[1] === 'r')).toBe(true);
    expect(events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toContain('gatehouse-42');

    // asciinema 2.2 needs a tty even for `cat`; script(1) provides one.
    const out = execFileSync('script', ['-qec', `asciinema cat '${file}'`, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    expect(out).toContain('gatehouse-42');
  });
});

async function termSize(p: Page): Promise<string> {
  return p.evaluate(() => {
    const t = (window as unknown as { __gatehouseTerm?: { rows: number; cols: number } }).__gatehouseTerm;
    return t ? `${t.rows} ${t.cols}` : '';
  });
}

/** Runs `stty size` in the shell; a marker the typed line cannot contain finds the output line. */
async function sttySize(p: Page, n: number): Promise<string> {
  await typeLine(p, `echo size-$((${n}*1)): $(stty size)`);
  const re = new RegExp(`^size-${n}: (\\d+ \\d+)$`);
  const lines = await waitForBuffer(p, (ls) => ls.some((l) => re.test(l.trim())), `stty size #${n}`);
  return re.exec(lines.find((l) => re.test(l.trim()))!.trim())![1]!;
}

/** recordings/YYYY/MM/CONNECTION_ID.cast (SPEC §4). */
async function findCast(dataDir: string, id: string): Promise<string> {
  const root = join(dataDir, 'recordings');
  const found: string[] = [];
  for (const year of await readdir(root)) {
    for (const month of await readdir(join(root, year))) {
      for (const f of await readdir(join(root, year, month))) {
        if (f.endsWith('.cast')) found.push(join(root, year, month, f));
      }
    }
  }
  const mine = found.find((f) => f.endsWith(`/${id}.cast`));
  if (!mine) throw new Error(`no recordings/YYYY/MM/${id}.cast; found: ${found.join(', ') || 'none'}`);
  return mine;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
