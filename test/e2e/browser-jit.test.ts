/**
 * Just-in-time access in the browser, end to end with real parts only: the built service
 * (`dist/gatehouse.js`), headless Chromium (one browser per person) and the web app.
 *
 * The admin sets the stage through the API: a developer (group dev), an SRE (group sre) and two
 * manual JIT policies on the `local` target that the SREs approve. In the browser the developer
 * finds `local` on the Targets page only as "Request access", is refused an empty reason without
 * a request being made, and asks for a root shell; the SRE finds it under "Waiting for you" and
 * approves it; the developer sees it approved with its end time and can now connect as root.
 * A second request (as `nobody`) is denied by the SRE with a reason the developer then reads.
 * Finally the admin sees every request.
 *
 * The steps share one server and run in order; a failed step makes the later ones fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type APIRequestContext, type Page } from 'playwright-core';
import type { AccessRequestInfo, LoginResponse, RequestableTarget } from '../../protocol/api-types';
import { launchBrowser, type BrowserSession } from '../helpers/browser';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';

const ADMIN = 'admin@localhost';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';
const DEV = 'dev@example.com';
const DEV_PASSWORD = 'developers-long-password';
const SRE = 'sre@example.com';
const SRE_PASSWORD = 'site-reliability-password';
const ROOT_REASON = 'deploy the hotfix for INC-42';
/** Markup in a reason must arrive as text, never as elements. */
const NOBODY_REASON = 'check the <b>cron</b> of nobody';
const DENY_REASON = 'use the runbook instead';
const SCREENSHOT_DEV = '/tmp/gatehouse-e2e-jit-dev.png';
const SCREENSHOT_SRE = '/tmp/gatehouse-e2e-jit-sre.png';
const SCREENSHOT_ADMIN = '/tmp/gatehouse-e2e-jit-admin.png';

const POLICIES = [
  {
    name: 'jit-local',
    kind: 'just_in_time',
    subjects: { groups: ['dev'] },
    targets: ['local'],
    actions: ['shell'],
    targetUsers: ['root'],
    approval: 'manual',
    duration: '1h',
    approvers: { groups: ['sre'] },
  },
  {
    name: 'jit-local-nobody',
    kind: 'just_in_time',
    subjects: { groups: ['dev'] },
    targets: ['local'],
    actions: ['shell'],
    targetUsers: ['nobody'],
    approval: 'manual',
    duration: '30m',
    approvers: { groups: ['sre'] },
  },
  {
    name: 'jit-local-auto',
    kind: 'just_in_time',
    subjects: { groups: ['dev'] },
    targets: ['local'],
    actions: ['shell'],
    targetUsers: ['daemon'],
    approval: 'auto',
    duration: '10m',
  },
];

let server: ServerProcess;
let api: APIRequestContext;
let adminToken = '';
const browsers: BrowserSession[] = [];
let dev: Page;
let sre: Page;
let rootRequestId = '';
let nobodyRequestId = '';

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = adminToken): Promise<{ status: number; body: T }> {
  const res = await api.fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { data: body } : {}),
  });
  const text = await res.text();
  return { status: res.status(), body: (text ? JSON.parse(text) : undefined) as T };
}

/** Requests as the browser's own session sees them (GET needs no CSRF token). */
async function requestsOf(p: Page): Promise<AccessRequestInfo[]> {
  const res = await p.context().request.get(`${server.url}/api/v1/requests`);
  expect(res.status()).toBe(200);
  return (await res.json()) as AccessRequestInfo[];
}

async function openBrowser(email: string, password: string): Promise<Page> {
  const b = await launchBrowser();
  browsers.push(b);
  await b.page.goto(server.url);
  await b.page.waitForURL(/#\/login$/);
  await b.page.fill('#email', email);
  await b.page.fill('#password', password);
  await b.page.click('button[type=submit]');
  await b.page.waitForURL(/#\/targets$/);
  await expect.poll(() => b.page.textContent('.topbar')).toContain(email);
  return b.page;
}

const localForm = (p: Page) => p.locator('form.request-form[data-target="local"]');

describe('browser just-in-time requests (built service + Chromium)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    api = await request.newContext({ ignoreHTTPSErrors: true });
  }, 180_000);

  afterAll(async () => {
    // 4xx replies are part of the story (401 before login, the 409 for access already held).
    const errors = browsers.flatMap((b) => b.errors).filter((e) => !/status of 4\d\d/.test(e));
    if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
    for (const b of browsers) await b.close();
    await api?.dispose();
    await server?.stop();
  });

  it('sets up the users and the JIT policies through the API as admin', async () => {
    expect(server.password, server.stdout.join('\n')).toBeTruthy();
    const login = await call<LoginResponse>('POST', '/auth/login', { email: ADMIN, password: server.password }, '');
    expect(login.status).toBe(200);
    adminToken = login.body.token;
    expect(login.body.mustChangePassword).toBe(true);
    expect((await call('POST', '/auth/password', { currentPassword: server.password, newPassword: ADMIN_PASSWORD })).status).toBe(204);

    for (const [email, password, group] of [[DEV, DEV_PASSWORD, 'dev'], [SRE, SRE_PASSWORD, 'sre']] as const) {
      const res = await call<{ user: { groups: string[]; mustChangePassword: boolean } }>('POST', '/users', { email, password, groups: [group] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.user.groups).toEqual([group]);
      expect(res.body.user.mustChangePassword).toBe(false);
    }
    const applied = await call<{ applied: { name: string; created: boolean }[] }>('POST', '/policies/apply', POLICIES);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.applied).toEqual(POLICIES.map((p) => ({ name: p.name, created: true })));
  });

  it('shows the developer local only as "Request access", which preselects it on the Requests page', async () => {
    dev = await openBrowser(DEV, DEV_PASSWORD);
    const nav = (await dev.locator('.topbar nav a').allTextContents()).map((t) => t.trim());
    expect(nav).toContain('Requests');

    const row = dev.locator('tr[data-target="local"]');
    await row.waitFor();
    expect(await row.locator('button.connect').count()).toBe(0);
    const link = row.locator('a.request-access');
    expect(await link.getAttribute('href')).toBe('#/requests?target=local');
    await link.click();
    await dev.waitForURL(/#\/requests\?target=local$/);
    expect(await dev.getAttribute('.topbar nav a[href="#/requests"]', 'aria-current')).toBe('page');

    const form = localForm(dev);
    await form.waitFor();
    expect(await form.getAttribute('class')).toContain('request-form-preselected');
    // The developer decides nothing: no "Waiting for you".
    expect(await dev.isHidden('#waiting')).toBe(true);
    expect(await dev.textContent('#my-requests')).toContain('You have not requested access yet.');

    // Target users and limits come from the policies: root 1h, nobody 30m.
    expect(await form.locator('select.request-action option').allTextContents()).toEqual(['shell']);
    expect(await form.locator('select.request-user option').allTextContents()).toEqual(['daemon', 'nobody', 'root']);
    await form.locator('select.request-user').selectOption('root');
    expect(await form.locator('input.request-duration').inputValue()).toBe('1h');
    expect(await form.locator('.request-duration + .hint').textContent()).toContain('At most 1h');
    expect(await form.locator('.request-terms').textContent()).toContain('jit-local');
    await form.locator('select.request-user').selectOption('nobody');
    expect(await form.locator('input.request-duration').inputValue()).toBe('30m');
    expect(await form.locator('.request-duration + .hint').textContent()).toContain('At most 30m');
    expect(await form.locator('.request-terms').textContent()).toContain('jit-local-nobody');
  });

  it('refuses an empty reason with a visible message and creates nothing', async () => {
    const form = localForm(dev);
    await form.locator('select.request-user').selectOption('root');
    let posted = 0;
    const watch = (r: { url(): string; method(): string }) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/requests')) posted++;
    };
    dev.on('request', watch);
    const error = form.locator('.form-error');
    for (const empty of ['', '   ']) {
      await form.locator('textarea.request-reason').fill(empty);
      await form.locator('button[type=submit]').click();
      await expect.poll(() => error.isVisible()).toBe(true);
      expect(await error.textContent()).toMatch(/reason/i);
    }
    // Give a request that should not exist the time to show up.
    await dev.waitForTimeout(300);
    dev.off('request', watch);
    expect(posted).toBe(0);
    expect(await form.locator('.request-outcome').isHidden()).toBe(true);
    expect(await requestsOf(dev)).toEqual([]);
  });

  it('sends a request for a root shell to the approvers', async () => {
    const form = localForm(dev);
    await form.locator('select.request-user').selectOption('root');
    await form.locator('textarea.request-reason').fill(ROOT_REASON);
    const created = dev.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/requests'));
    await form.locator('button[type=submit]').click();
    const res = await created;
    expect(res.status()).toBe(201);
    const body = (await res.json()) as AccessRequestInfo;
    expect(body).toMatchObject({ state: 'pending', target: 'local', targetUser: 'root', action: 'shell', reason: ROOT_REASON, durationSeconds: 3600, policy: 'jit-local' });
    rootRequestId = body.id;

    const outcome = form.locator('.request-outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain('Sent to approvers');
    expect(await outcome.getAttribute('data-request-id')).toBe(rootRequestId);
    expect(await form.locator('.form-error').isHidden()).toBe(true);
    expect(await form.locator('textarea.request-reason').inputValue()).toBe('');

    const row = dev.locator(`#my-requests tr[data-request-id="${rootRequestId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('pending');
    expect(await row.locator('.state-badge').textContent()).toBe('pending');
    expect(await row.locator('.request-access').textContent()).toBe('shell root@local');
    expect(await row.locator('.request-reason').textContent()).toBe(ROOT_REASON);
    expect(await form.locator('.request-known').textContent()).toContain('waiting for an approver');
  });

  it('lets the SRE approve it from "Waiting for you"', async () => {
    sre = await openBrowser(SRE, SRE_PASSWORD);
    await sre.click('.topbar nav a[href="#/requests"]');
    await sre.waitForURL(/#\/requests$/);
    // Nothing for the SRE to request: the policies are for developers.
    await expect.poll(() => sre.textContent('#request-access')).toContain('There is nothing you can request');

    const row = sre.locator(`#waiting tr[data-request-id="${rootRequestId}"]`);
    await row.waitFor();
    expect(await sre.textContent('#waiting .waiting-count')).toBe('1');
    expect(await row.locator('.request-requester').textContent()).toBe(DEV);
    expect(await row.locator('.request-access').textContent()).toBe('shell root@local');
    expect(await row.locator('.request-reason').textContent()).toBe(ROOT_REASON);
    expect(await row.locator('.request-duration').textContent()).toBe('1h');
    await sre.screenshot({ path: SCREENSHOT_SRE, fullPage: true });

    const approved = sre.waitForResponse((r) => r.url().endsWith(`/api/v1/requests/${rootRequestId}/approve`));
    await row.locator('button.approve-request').click();
    expect((await approved).status()).toBe(200);
    await expect.poll(() => sre.textContent('.form-status')).toContain(`Approved shell root@local for ${DEV}`);
    await row.waitFor({ state: 'detached' });
    expect(await sre.isHidden('#waiting')).toBe(true);

    // The SRE's history shows the decision, and so does the server.
    const history = sre.locator(`#all-requests tr[data-request-id="${rootRequestId}"]`);
    await history.waitFor();
    expect(await history.getAttribute('data-state')).toBe('approved');
    expect(await history.locator('.decided-by').textContent()).toBe(SRE);
    const seen = (await requestsOf(sre)).find((r) => r.id === rootRequestId);
    expect(seen).toMatchObject({ state: 'approved', decidedBy: SRE, canDecide: false });
    expect(seen!.grantPolicy).toMatch(/^JIT-[a-z0-9]{8}$/);
  });

  it('shows the developer the approval with its end time (by the page’s own refresh)', async () => {
    // No reload: the Requests page refreshes itself every 5 s.
    const row = dev.locator(`#my-requests tr[data-request-id="${rootRequestId}"]`);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('approved');
    expect(await row.getAttribute('data-live')).toBe('true');
    expect(await row.locator('.state-badge').textContent()).toBe('approved');
    expect(await row.locator('.decided-by').textContent()).toBe(SRE);

    const info = (await requestsOf(dev)).find((r) => r.id === rootRequestId)!;
    const until = row.locator('.request-until time');
    expect(await until.getAttribute('datetime')).toBe(info.expiresAt);
    expect(await until.textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    const left = Date.parse(info.expiresAt) - Date.now();
    expect(left).toBeGreaterThan(55 * 60_000);
    expect(left).toBeLessThanOrEqual(3600_000);
    await expect.poll(() => localForm(dev).locator('.request-known').textContent()).toContain('You have this access until');
    // The outcome shown when it was sent follows the decision too.
    const outcome = localForm(dev).locator('.request-outcome');
    expect(await outcome.getAttribute('data-state')).toBe('approved');
    expect(await outcome.textContent()).toContain(`${SRE} approved shell root@local`);
    await dev.screenshot({ path: SCREENSHOT_DEV, fullPage: true });
  });

  it('shows the server’s message when the developer asks again for access already held', async () => {
    const form = localForm(dev);
    await form.locator('select.request-user').selectOption('root');
    await form.locator('textarea.request-reason').fill('once more');
    const reply = dev.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/requests'));
    await form.locator('button[type=submit]').click();
    const res = await reply;
    expect(res.status()).toBe(409);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    await expect.poll(() => form.locator('.form-error').textContent()).toBe(message);
    expect((await requestsOf(dev)).length).toBe(1);
  });

  it('now offers the developer Connect as root on local, and the shell opens', async () => {
    await dev.click('.topbar nav a[href="#/targets"]');
    await dev.waitForURL(/#\/targets$/);
    const row = dev.locator('tr[data-target="local"]');
    await row.waitFor();
    const connect = row.locator('button.connect[data-target-user="root"]');
    await connect.waitFor();
    expect(await connect.isEnabled()).toBe(true);
    expect(await connect.textContent()).toBe('Connect as root');
    // `nobody` may still be requested, so the link stays, for that.
    expect(await row.locator('a.request-access').getAttribute('title')).toContain('shell as nobody');
    expect(await row.locator('a.request-access').getAttribute('title')).not.toContain('root');

    await connect.click();
    await dev.waitForURL(/#\/terminal\/[^/]+$/);
    const conns = (await (await dev.context().request.get(`${server.url}/api/v1/connections`)).json()) as { targetUser: string; targetName: string }[];
    expect(conns.map((c) => `${c.targetUser}@${c.targetName}`)).toContain('root@local');
  });

  it('lets the SRE deny a second request with a reason that the developer then reads', async () => {
    await dev.goto(`${server.url}/#/requests?target=local`);
    const form = localForm(dev);
    await form.waitFor();
    await form.locator('select.request-user').selectOption('nobody');
    await form.locator('input.request-duration').fill('15m');
    await form.locator('textarea.request-reason').fill(NOBODY_REASON);
    const created = dev.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/requests'));
    await form.locator('button[type=submit]').click();
    const res = await created;
    expect(res.status()).toBe(201);
    const body = (await res.json()) as AccessRequestInfo;
    expect(body).toMatchObject({ state: 'pending', targetUser: 'nobody', durationSeconds: 900, policy: 'jit-local-nobody' });
    nobodyRequestId = body.id;
    await expect.poll(() => form.locator('.request-outcome').textContent()).toContain('Sent to approvers');

    // The SRE's page is still open: the request arrives by the refresh.
    const row = sre.locator(`#waiting tr[data-request-id="${nobodyRequestId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('.request-reason').textContent()).toBe(NOBODY_REASON);
    expect(await row.locator('.request-reason b').count()).toBe(0);
    expect(await row.locator('.request-duration').textContent()).toBe('15m');
    await row.locator('button.deny-request').click();
    const reason = row.locator('input.deny-reason');
    await reason.waitFor();
    await reason.fill(DENY_REASON);
    const denied = sre.waitForResponse((r) => r.url().endsWith(`/api/v1/requests/${nobodyRequestId}/deny`));
    await row.locator('button.confirm-deny').click();
    const deniedRes = await denied;
    expect(deniedRes.status()).toBe(200);
    expect(JSON.parse(deniedRes.request().postData() ?? '{}')).toEqual({ reason: DENY_REASON });
    await expect.poll(() => sre.textContent('.form-status')).toContain(`Denied shell nobody@local for ${DEV}`);
    await row.waitFor({ state: 'detached' });

    const mine = dev.locator(`#my-requests tr[data-request-id="${nobodyRequestId}"]`);
    await mine.waitFor();
    await expect.poll(() => mine.getAttribute('data-state'), { timeout: 15_000 }).toBe('denied');
    expect(await mine.locator('.state-badge').textContent()).toBe('denied');
    expect(await mine.locator('.decided-by').textContent()).toBe(SRE);
    expect(await mine.locator('.decision-reason').textContent()).toBe(DENY_REASON);
    expect(await mine.locator('.request-reason').textContent()).toBe(NOBODY_REASON);
    expect(await mine.locator('.request-until-cell').textContent()).toBe('—');
    const info = (await requestsOf(dev)).find((r) => r.id === nobodyRequestId);
    expect(info).toMatchObject({ state: 'denied', decidedBy: SRE, decisionReason: DENY_REASON });
  });

  it('approves a request under an auto policy at once and says until when', async () => {
    const form = localForm(dev);
    await form.locator('select.request-user').selectOption('daemon');
    expect(await form.locator('input.request-duration').inputValue()).toBe('10m');
    expect(await form.locator('.request-terms').textContent()).toContain('Granted at once');
    await form.locator('textarea.request-reason').fill('rotate the daemon logs');
    const created = dev.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/requests'));
    await form.locator('button[type=submit]').click();
    const body = (await (await created).json()) as AccessRequestInfo;
    expect(body).toMatchObject({ state: 'approved', approval: 'auto', decidedBy: 'auto', targetUser: 'daemon' });
    const outcome = form.locator('.request-outcome');
    await expect.poll(() => outcome.textContent()).toContain('Approved at once');
    expect(await outcome.locator('time').getAttribute('datetime')).toBe(body.expiresAt);
    const row = dev.locator(`#my-requests tr[data-request-id="${body.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('approved');
    expect(await row.locator('.decided-by').textContent()).toBe('auto (policy)');
  });

  it('shows the admin every request, with the requester', async () => {
    const requestable = await call<RequestableTarget[]>('GET', '/requestable');
    expect(requestable.body).toEqual([]);
    const admin = await openBrowser(ADMIN, ADMIN_PASSWORD);
    const nav = (await admin.locator('.topbar nav a').allTextContents()).map((t) => t.trim());
    expect(nav).toEqual(['Targets', 'Connections', 'Requests', 'Recordings', 'Logs', 'Admin']);
    await admin.click('.topbar nav a[href="#/requests"]');
    const all = admin.locator('#all-requests');
    await all.locator('tbody tr').first().waitFor();
    expect(await all.locator('h2').textContent()).toBe('All requests');
    const states = await all.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-request-id'), tr.getAttribute('data-state')]));
    // Newest first.
    expect(states.slice(1)).toEqual([
      [nobodyRequestId, 'denied'],
      [rootRequestId, 'approved'],
    ]);
    expect(states[0]![1]).toBe('approved');
    expect(await all.locator('.request-requester').allTextContents()).toEqual([DEV, DEV, DEV]);
    // The policies name their approvers (sre), so an admin decides nothing here.
    expect(await admin.isHidden('#waiting')).toBe(true);
    await admin.screenshot({ path: SCREENSHOT_ADMIN, fullPage: true });
  });
});
