/**
 * Connections in the browser, end to end with real parts only: the built service
 * (`dist/gatehouse.js`), headless Chromium, the web app and a real shell on the `local` target.
 *
 * A shell left by navigating away keeps running and is listed as disconnected; Attach redraws its
 * screen; a second page attaching takes it over (the first says so and can take it back); Close
 * ends it; the connection log shows who closed it and why, and its CSV export has that row.
 *
 * The steps share one browser context and run in order; a failed step makes the later ones fail.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ConnectionInfo, TargetInfo } from '../../protocol/api-types';
import { launchBrowser, typeLine, waitForBuffer, type BrowserSession, type Lines } from '../helpers/browser';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';

const NEW_PASSWORD = 'correct-horse-battery-staple';
const SCREENSHOT_CONNECTIONS = '/tmp/gatehouse-e2e-connections.png';
const SCREENSHOT_LOG = '/tmp/gatehouse-e2e-connections-log.png';
const SCREENSHOT_REPLACED = '/tmp/gatehouse-e2e-connections-replaced.png';

let server: ServerProcess;
let browser: BrowserSession;
let page: Page;
let second: Page | null = null;
let connectionId = '';
let csvPath = '';

describe('browser connections (built service + Chromium)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    browser = await launchBrowser();
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    // The 401 from /auth/me before logging in and the 400 for the bad filter are expected.
    const errors = browser?.errors.filter((e) => !/status of 40[01]/.test(e)) ?? [];
    if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
    await browser?.close();
    await server?.stop();
  });

  it('logs in with the bootstrap password and changes it as forced', async () => {
    expect(server.password, server.stdout.join('\n')).toBeTruthy();
    await page.goto(server.url);
    await page.waitForURL(/#\/login$/);
    await page.fill('#email', 'admin@localhost');
    await page.fill('#password', server.password!);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/password$/);
    await page.fill('#current-password', server.password!);
    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#confirm-password', NEW_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/targets$/);
    const nav = await page.locator('.topbar nav a').allTextContents();
    expect(nav).toEqual(expect.arrayContaining(['Targets', 'Connections', 'Recordings', 'Logs']));
  });

  it('opens a shell on local and runs a command', async () => {
    const row = page.locator('tr[data-target="local"]');
    await row.waitFor();
    await row.locator('button[data-target-user="root"]').click();
    await page.waitForURL(/#\/terminal\/[^/]+$/);
    connectionId = decodeURIComponent(page.url().split('#/terminal/')[1]!);
    await page.waitForSelector('.terminal-status[data-state="connected"]');
    await waitForBuffer(page, (lines) => lines.some((l) => l.trim() !== ''), 'a shell prompt');
    await page.click('.terminal-host');
    await typeLine(page, 'echo first-$((3*3))');
    // The echoed command line holds $((3*3)); only the output line is exactly first-9.
    await waitForBuffer(page, (lines) => count(lines, 'first-9') === 1, 'first-9');
  });

  it('lists the shell as disconnected on the Connections page after navigating away', async () => {
    await page.click('.topbar nav a[href="#/connections"]');
    await page.waitForURL(/#\/connections$/);
    const row = page.locator(`tr[data-connection-id="${connectionId}"]`);
    await row.waitFor();
    // The page refreshes itself every 5 s: no reload here.
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 12_000, interval: 250 }).toBe('disconnected');
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    expect(cells[0]).toBe(connectionId.slice(-8));
    expect(cells.slice(1, 6)).toEqual(['admin@localhost', 'local', 'root', 'shell', 'disconnected']);
    expect(cells[6]).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(await page.getAttribute('.topbar nav a[href="#/connections"]', 'aria-current')).toBe('page');

    // Admins may list everyone's connections; the toggle asks for them.
    const request = page.waitForRequest((r) => r.url().includes('/api/v1/connections?all=1'));
    await page.check('#connections-all');
    await request;
    await expect.poll(() => row.getAttribute('data-state')).toBe('disconnected');
    await page.uncheck('#connections-all');
    await page.screenshot({ path: SCREENSHOT_CONNECTIONS, fullPage: true });
  });

  it('attaches again from the list: the screen is redrawn and the shell still works', async () => {
    await page.locator(`tr[data-connection-id="${connectionId}"] a.attach`).click();
    await page.waitForURL(new RegExp(`#/terminal/${connectionId}$`));
    await page.waitForSelector('.terminal-status[data-state="connected"]');
    const redrawn = await waitForBuffer(page, (lines) => count(lines, 'first-9') >= 1, 'first-9 redrawn');
    expect(count(redrawn, 'first-9')).toBe(1);
    await page.click('.terminal-host');
    await typeLine(page, 'echo second-$((4*4))');
    await waitForBuffer(page, (lines) => count(lines, 'second-16') === 1, 'second-16');
  });

  it('tells the first page when a second page attaches, and lets it take the shell back', async () => {
    second = await browser.context.newPage();
    await second.goto(`${server.url}/#/terminal/${connectionId}`);
    await second.waitForSelector('.terminal-status[data-state="connected"]');
    await waitForBuffer(second, (lines) => count(lines, 'second-16') === 1, 'second-16 redrawn on the second page');

    await page.waitForSelector('.terminal-status[data-state="replaced"]');
    expect(await page.textContent('.terminal-status')).toContain('Another client attached to this session');
    expect(await page.isVisible('button.terminal-take-over')).toBe(true);
    await page.screenshot({ path: SCREENSHOT_REPLACED });

    // Take over: the second page is told in turn, and this one's old screen is replaced by the
    // redraw, not added to (each output line appears once).
    await page.click('button.terminal-take-over');
    await page.waitForSelector('.terminal-status[data-state="connected"]');
    await second.waitForSelector('.terminal-status[data-state="replaced"]');
    await page.click('.terminal-host');
    await typeLine(page, 'echo third-$((5*5))');
    const lines = await waitForBuffer(page, (ls) => count(ls, 'third-25') === 1, 'third-25');
    expect(count(lines, 'first-9')).toBe(1);
    expect(count(lines, 'second-16')).toBe(1);

    // And back to the second page, which stays attached while this one goes to the list.
    await second.click('button.terminal-take-over');
    await second.waitForSelector('.terminal-status[data-state="connected"]');
    await waitForBuffer(second, (ls) => count(ls, 'third-25') === 1, 'third-25 redrawn on the second page');
    await page.waitForSelector('.terminal-status[data-state="replaced"]');
  });

  it('closes the connection from the Connections page', async () => {
    await page.click('.topbar nav a[href="#/connections"]');
    const row = page.locator(`tr[data-connection-id="${connectionId}"]`);
    await row.waitFor();
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/connections/${connectionId}`));
    await row.locator('button.close-connection').click();
    expect((await deleted).status()).toBe(204);
    expect(asked).toContain('root@local');
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForSelector('.connections-list .empty');

    // The page attached to it hears why it ended.
    await second!.waitForSelector('.terminal-status[data-state="ended"]');
    expect(await second!.textContent('.terminal-status')).toContain('closed by user');
    await second!.close();
    second = null;

    const res = await page.context().request.get(`${server.url}/api/v1/connections/${connectionId}`);
    const info = (await res.json()) as ConnectionInfo;
    expect(info.state).toBe('closed');
    expect(info.closeReason).toBe('closed by user');
  });

  it('shows the closed row in the connection log, with filters', async () => {
    await page.click('.topbar nav a[href="#/logs/connections"]');
    await page.waitForURL(/#\/logs\/connections$/);
    await page.waitForSelector('.log-table');

    // A bad filter gets the server's own message.
    await page.fill('#log-since', 'yesterday-ish');
    await page.click('.filters button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toMatch(/since/);

    await page.fill('#log-since', '1h');
    await page.fill('#log-target', 'local');
    await page.click('.filters button[type=submit]');
    await page.waitForURL(/#\/logs\/connections\?target=local&since=1h$/);
    expect(await page.isHidden('.form-error')).toBe(true);

    const closed = page.locator(`.log-table tr[data-connection-id="${connectionId}"][data-state="closed"]`);
    await closed.waitFor();
    const cells = (await closed.locator('td').allTextContents()).map((c) => c.trim());
    expect(cells[0]).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(cells.slice(1, 7)).toEqual(['closed', 'admin@localhost', 'local', 'root', 'admin@localhost', 'closed by user']);
    const states = await page.locator(`.log-table tr[data-connection-id="${connectionId}"]`).evaluateAll((trs) =>
      trs.map((tr) => tr.getAttribute('data-state')),
    );
    // Newest first: closed on top, open at the bottom, with the detach in between.
    expect(states[0]).toBe('closed');
    expect(states.at(-1)).toBe('open');
    expect(states).toContain('disconnected');
    expect(states).toContain('connected');
    await page.screenshot({ path: SCREENSHOT_LOG, fullPage: true });

    // The filters live in the address, so a reload shows the same view.
    await page.reload();
    await closed.waitFor();
    expect(await page.inputValue('#log-target')).toBe('local');

    // Text: any case, in the reason, who or connection id; only matching rows are shown.
    await page.fill('#log-grep', 'CLOSED BY USER');
    await page.click('.filters button[type=submit]');
    await page.waitForURL(/#\/logs\/connections\?target=local&since=1h&grep=CLOSED\+BY\+USER$/);
    await closed.waitFor();
    const matched = await page.locator('.log-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(matched.length).toBeGreaterThan(0);
    expect(matched.every((t) => /closed by user/i.test(t))).toBe(true);
    expect(await page.locator(`.log-table tr[data-connection-id="${connectionId}"][data-state="open"]`).count()).toBe(0);
    await page.fill('#log-grep', '');
    await page.click('.filters button[type=submit]');
    await page.waitForURL(/#\/logs\/connections\?target=local&since=1h$/);
    await page.locator(`.log-table tr[data-connection-id="${connectionId}"][data-state="open"]`).waitFor();
  });

  it('downloads the rows shown as CSV', async () => {
    const shownRows = await page.locator('.log-table tbody tr').count();
    const download = page.waitForEvent('download');
    await page.click('#log-download');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^gatehouse-connections-local-\d{8}-\d{6}\.csv$/);
    csvPath = (await file.path())!;
    const records = parseCsv(await readFile(csvPath, 'utf8'));
    expect(records[0]).toEqual(['time_utc', 'state', 'user', 'target', 'target_user', 'who', 'reason', 'connection_id']);
    expect(records.length - 1).toBe(shownRows);
    const closedRow = records.find((r) => r[7] === connectionId && r[1] === 'closed');
    expect(closedRow).toBeDefined();
    expect(closedRow!.slice(2, 7)).toEqual(['admin@localhost', 'local', 'root', 'admin@localhost', 'closed by user']);
    expect(Number.isNaN(Date.parse(closedRow![0]!))).toBe(false);
  });

  it('marks offline targets and disables their connect buttons', async () => {
    // The only real target here is the always-online `local`; an offline one is added to the
    // real API reply, which is how the page receives any target's status.
    await page.route('**/api/v1/targets', async (route) => {
      const res = await route.fetch();
      const targets = (await res.json()) as TargetInfo[];
      const offline: TargetInfo = { ...targets[0]!, id: 'offline-1', name: 'db-offline', kind: 'agent', status: 'offline' };
      await route.fulfill({ response: res, json: [...targets, offline] });
    });
    await page.click('.topbar nav a[href="#/targets"]');
    const off = page.locator('tr[data-target="db-offline"]');
    await off.waitFor();
    expect(await off.getAttribute('data-status')).toBe('offline');
    expect((await off.locator('.badge').textContent())?.trim()).toBe('offline');
    const buttons = off.locator('button.connect');
    expect(await buttons.count()).toBeGreaterThan(0);
    for (const b of await buttons.all()) expect(await b.isDisabled()).toBe(true);
    const local = page.locator('tr[data-target="local"]');
    expect((await local.locator('.badge').textContent())?.trim()).toBe('online');
    expect(await local.locator('button.connect').first().isDisabled()).toBe(false);
    await page.unroute('**/api/v1/targets');
  });
});


function count(lines: Lines, exact: string): number {
  return lines.filter((l) => l.trim() === exact).length;
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      (field = ''), (record = []), i++;
    } else field += c;
  }
  if (field !== '' || record.length) record.push(field), records.push(record);
  return records;
}
