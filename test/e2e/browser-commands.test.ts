/**
 * The command log in the browser, end to end with real parts only: the built service
 * (`dist/gatehouse.js`), exec connections on the `local` target attached over the real websocket
 * (each is logged as one command with its exit status), headless Chromium, the web app and
 * asciinema-player.
 *
 * The Commands tab lists them (exit status, multi-line text kept, markup shown as text), search
 * narrows them, the CSV holds what is shown, ▶ play opens the player at `?t=`, the player starts
 * at that moment of the recording (through idle-skip) and lists the connection's commands, and
 * Follow adds a command run after it was switched on without reloading the page.
 *
 * The steps share one server and page and run in order; a failed step makes the later ones fail.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type APIRequestContext, type Page } from 'playwright-core';
import type { CommandLogEntry, LoginResponse } from '../../protocol/api-types';
import { launchBrowser, type BrowserSession } from '../helpers/browser';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { openTerminal } from '../helpers/ws-terminal';

const ADMIN = 'admin@localhost';
const NEW_PASSWORD = 'correct-horse-battery-staple';
const SCREENSHOT_COMMANDS = '/tmp/gatehouse-e2e-commands.png';
const SCREENSHOT_PLAYER = '/tmp/gatehouse-e2e-commands-player.png';

const OK_CMD = 'echo hello-commands';
const FAIL_CMD = 'echo oops-commands >&2; exit 3';
/** Two lines, the second with markup that must show as text. */
const MULTI_CMD = "echo first-line\necho '<b>second-line</b>'";
/** Output 3 s apart: longer than the player's 2 s idle limit, so idle-skip shortens the gap. */
const TICKS_CMD = 'echo tick-a; sleep 3; echo tick-b; sleep 3; echo tick-c';
const FOLLOW_CMD = 'echo followed-commands; exit 5';

let server: ServerProcess;
let browser: BrowserSession;
let page: Page;
let apiCtx: APIRequestContext;
let token = '';
const ids: Record<string, string> = {};

/** Opens an exec connection as the admin and runs it to the end over the websocket. */
async function runExec(command: string): Promise<string> {
  const res = await apiCtx.post('/api/v1/connections', { data: { target: 'local', targetUser: 'root', command } });
  expect(res.status(), await res.text()).toBe(201);
  const c = (await res.json()) as { id: string; wsPath: string };
  const term = await openTerminal(`${server.url.replace(/^http/, 'ws')}${c.wsPath}`, { authorization: `Bearer ${token}` }, { rejectUnauthorized: false });
  const closed = await Promise.race([term.closed, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
  if (!closed) {
    term.close();
    throw new Error(`exec ${JSON.stringify(command)} did not end within 20 s; output:\n${term.output()}`);
  }
  return c.id;
}

async function commandsFor(connectionId: string): Promise<CommandLogEntry[]> {
  const res = await apiCtx.get(`/api/v1/logs/commands?connection=${connectionId}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as CommandLogEntry[];
}

const rows = () => page.locator('.commands-table tbody tr');
const rowOf = (connectionId: string) => page.locator(`.commands-table tbody tr[data-connection-id="${connectionId}"]`);

describe('browser command log (built service + Chromium)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    // The 401 from /auth/me before logging in is expected; anything else is worth seeing.
    const errors = browser?.errors.filter((e) => !/status of 401/.test(e)) ?? [];
    if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
    await apiCtx?.dispose();
    await browser?.close();
    await server?.stop();
  });

  it('logs in, retires the bootstrap password, and gets an API token', async () => {
    expect(server.password, server.stdout.join('\n')).toBeTruthy();
    await page.goto(server.url);
    await page.waitForURL(/#\/login$/);
    await page.fill('#email', ADMIN);
    await page.fill('#password', server.password!);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/password$/);
    await page.fill('#current-password', server.password!);
    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#confirm-password', NEW_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/#\/targets$/);

    const bare = await request.newContext({ ignoreHTTPSErrors: true, baseURL: server.url });
    try {
      const res = await bare.post('/api/v1/auth/login', { data: { email: ADMIN, password: NEW_PASSWORD } });
      expect(res.status()).toBe(200);
      token = ((await res.json()) as LoginResponse).token;
    } finally {
      await bare.dispose();
    }
    expect(token).toBeTruthy();
    apiCtx = await request.newContext({ ignoreHTTPSErrors: true, baseURL: server.url, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  });

  it('runs exec connections that the service logs as commands with their exit status', async () => {
    ids.ok = await runExec(OK_CMD);
    ids.fail = await runExec(FAIL_CMD);
    ids.multi = await runExec(MULTI_CMD);
    ids.ticks = await runExec(TICKS_CMD);
    expect((await commandsFor(ids.ok))[0]).toMatchObject({ command: OK_CMD, exitCode: 0 });
    expect((await commandsFor(ids.fail))[0]).toMatchObject({ command: FAIL_CMD, exitCode: 3 });
    expect((await commandsFor(ids.multi))[0]).toMatchObject({ command: MULTI_CMD, exitCode: 0 });
    expect((await commandsFor(ids.ticks))[0]).toMatchObject({ command: TICKS_CMD, exitCode: 0 });
  }, 60_000);

  it('lists them on the Commands tab, newest first, with exit status and the text as typed', async () => {
    await page.click('.topbar nav a[href="#/logs/connections"]');
    await page.waitForURL(/#\/logs\/connections$/);
    await page.click('.tabs a[href="#/logs/commands"]');
    await page.waitForURL(/#\/logs\/commands$/);
    await page.locator('.commands-table').waitFor();
    expect(await page.getAttribute('.tabs a[href="#/logs/commands"]', 'aria-current')).toBe('page');

    expect(await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-connection-id')))).toEqual([ids.ticks, ids.multi, ids.fail, ids.ok]);
    expect(await rowOf(ids.ok!).getAttribute('data-exit')).toBe('0');
    expect(await rowOf(ids.fail!).getAttribute('data-exit')).toBe('3');
    expect((await rowOf(ids.fail!).locator('.exit-status').textContent())?.trim()).toBe('3');

    const cells = (await rowOf(ids.ok!).locator('td').allTextContents()).map((c) => c.trim());
    expect(cells[0]).toMatch(/\d{1,2}:\d{2}:\d{2}/); // local time, shown for humans
    expect(cells.slice(1, 6)).toEqual([ADMIN, 'root@local', 'default', '0', OK_CMD]);
    expect(await rowOf(ids.ok!).locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

    // The multi-line command keeps its line break on screen, and its markup is text.
    const multi = rowOf(ids.multi!).locator('.command-text');
    expect(await multi.textContent()).toBe(MULTI_CMD);
    expect(await multi.evaluate((el) => (el as HTMLElement).innerText)).toContain('first-line\necho');
    expect(await multi.evaluate((el) => getComputedStyle(el).fontFamily)).toMatch(/mono/i);
    expect(await rowOf(ids.multi!).locator('b').count()).toBe(0);

    expect(await rowOf(ids.ok!).locator('a.play-link').getAttribute('href')).toBe(`#/recordings/${ids.ok}?t=0`);
    await page.screenshot({ path: SCREENSHOT_COMMANDS, fullPage: true });
  });

  it('narrows the list with full-text search, keeps the filter in the address, and exports CSV', async () => {
    await page.fill('#commands-grep', 'oops');
    await page.click('form[aria-label="Filter the command log"] button[type=submit]');
    await page.waitForURL(/#\/logs\/commands\?grep=oops$/);
    await expect.poll(() => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-connection-id')))).toEqual([ids.fail]);

    const filtered = await downloadCsv();
    expect(filtered.name).toMatch(/^gatehouse-commands-\d{8}-\d{6}\.csv$/);
    expect(filtered.records).toEqual([
      ['time_utc', 'user', 'target', 'target_user', 'environment', 'exit_code', 'command', 'connection_id', 'offset_seconds'],
      [expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/), ADMIN, 'local', 'root', 'default', '3', FAIL_CMD, ids.fail, '0'],
    ]);

    // A reload keeps the filter (it is in the address).
    await page.reload();
    await expect.poll(() => page.inputValue('#commands-grep')).toBe('oops');
    await expect.poll(() => rows().count()).toBe(1);

    await page.fill('#commands-grep', '');
    await page.fill('#commands-target', 'local');
    await page.click('form[aria-label="Filter the command log"] button[type=submit]');
    await page.waitForURL(/#\/logs\/commands\?target=local$/);
    await expect.poll(() => rows().count()).toBe(4);
    const all = await downloadCsv();
    expect(all.name).toMatch(/^gatehouse-commands-local-\d{8}-\d{6}\.csv$/);
    expect(all.records.slice(1).map((r) => [r[7], r[5], r[6]])).toEqual([
      [ids.ticks, '0', TICKS_CMD],
      [ids.multi, '0', MULTI_CMD],
      [ids.fail, '3', FAIL_CMD],
      [ids.ok, '0', OK_CMD],
    ]);

    await page.fill('#commands-target', 'no-such-target');
    await page.click('form[aria-label="Filter the command log"] button[type=submit]');
    await expect.poll(() => page.textContent('.log-results .empty')).toBe('No commands match these filters.');
    expect(await page.isDisabled('#commands-download')).toBe(true);
  });

  it('opens the player at that moment from ▶ play, with the connection’s commands beside it', async () => {
    await page.goto(`${server.url}/#/logs/commands`);
    await rowOf(ids.ok!).waitFor();
    await rowOf(ids.ok!).locator('a.play-link').click();
    await page.waitForURL(new RegExp(`#/recordings/${ids.ok}\\?t=0$`));
    await page.locator('.player-host .ap-wrapper').waitFor();
    const item = page.locator(`.player-commands li[data-command-id]`);
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.locator('.command-text').textContent()).toBe(OK_CMD);
    expect(await item.getAttribute('aria-current')).toBe('true');
    // The recording played from there shows the command's output.
    await page.locator('.player-host .ap-overlay-start').click();
    await page.waitForFunction(() => document.querySelector('.player-host .ap-term-text')?.textContent?.includes('hello-commands') ?? false, undefined, { timeout: 15_000 });
  });

  it('starts at ?t= in the recording’s own time, through idle-skip, and seeks from the list', async () => {
    // Where tick-b and tick-c are in the file, read independently of the page.
    const cast = await (await apiCtx.get(`/api/v1/recordings/${ids.ticks}/cast`)).text();
    const events = cast
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as [number, string, string]);
    const at = (text: string) => events.find((e) => e[1] === 'o' && e[2].includes(text))![0];
    const [a, b, c] = [at('tick-a'), at('tick-b'), at('tick-c')];
    expect(b - a).toBeGreaterThan(2.5);
    const t = Math.round(((b + c) / 2) * 1000) / 1000;
    // The player's rule: every gap over 2 s before t is cut to 2 s.
    let prev = 0;
    let cut = 0;
    for (const [time] of events) {
      if (time > t) break;
      cut += Math.max(0, time - prev - 2);
      prev = time;
    }
    expect(cut).toBeGreaterThan(0.5);

    await page.goto(`${server.url}/#/recordings/${ids.ticks}?t=${t}`);
    await page.locator('.player-host .ap-wrapper').waitFor();
    await expect.poll(() => page.evaluate(() => window.__gatehousePlayer?.getCurrentTime() ?? -1)).toBeCloseTo(t - cut, 1);
    // Paused there, the screen shows what had been printed by then, and not what came later.
    const screen = () => page.evaluate(() => document.querySelector('.player-host .ap-term-text')?.textContent ?? '');
    await expect.poll(screen).toContain('tick-b');
    expect(await screen()).not.toContain('tick-c');
    await page.screenshot({ path: SCREENSHOT_PLAYER, fullPage: true });

    // The command in the list is at 0: clicking it seeks back there and puts it in the address.
    await page.locator('.player-commands li[data-command-id] button.command-jump').click();
    await expect.poll(() => page.evaluate(() => window.__gatehousePlayer?.getCurrentTime() ?? -1)).toBeLessThan(0.2);
    await expect.poll(screen).not.toContain('tick-b');
    expect(page.url()).toMatch(new RegExp(`#/recordings/${ids.ticks}\\?t=0$`));
  });

  it('follows: a command run after Follow is switched on is added without a reload', async () => {
    await page.goto(`${server.url}/#/logs/commands`);
    await rowOf(ids.ok!).waitFor();
    const before = await rows().count();
    await page.check('#commands-follow');
    await page.waitForURL(/#\/logs\/commands\?follow=1$/);
    await expect.poll(() => page.textContent('.log-summary')).toContain('following');
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    expect(await page.locator('.commands-table tbody tr', { hasText: 'followed-commands' }).count()).toBe(0);

    ids.follow = await runExec(FOLLOW_CMD);
    const added = rowOf(ids.follow);
    await added.waitFor({ timeout: 10_000 });
    // Its exit status arrives too (an exec's row is written when it starts).
    await expect.poll(() => added.getAttribute('data-exit'), { timeout: 10_000 }).toBe('5');
    expect(await rows().count()).toBe(before + 1);
    expect(await rows().first().getAttribute('data-connection-id')).toBe(ids.follow);
    expect(await added.locator('.command-text').textContent()).toBe(FOLLOW_CMD);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // Switched off, it stops: the next command does not appear.
    await page.uncheck('#commands-follow');
    await page.waitForURL(/#\/logs\/commands$/);
    const unseen = await runExec('echo not-followed');
    await page.waitForTimeout(4_500);
    expect(await rowOf(unseen).count()).toBe(0);
  }, 60_000);
});

async function downloadCsv(): Promise<{ name: string; records: string[][] }> {
  const download = page.waitForEvent('download');
  await page.click('#commands-download');
  const file = await download;
  return { name: file.suggestedFilename(), records: parseCsv(await readFile((await file.path())!, 'utf8')) };
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
