/**
 * The admin pages, the account page and the event log in the browser, end to end with real
 * parts only: the built service (`dist/gatehouse.js`), headless Chromium and the web app.
 *
 * An admin makes a group and a user (one-time password shown), applies a policy (and a bad one
 * that the server refuses whole), creates an API key (secret shown once), and finds the policy
 * change in the event log and its CSV. The new user, in a browser of their own, sees no admin
 * pages, turns on TOTP on the Account page and needs a code at the next login.
 *
 * The steps share one server and run in order; a failed step makes the later ones fail.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Page } from 'playwright-core';
import type { ApiKeyInfo, PolicyDoc, SessionInfo, UserDetails } from '../../protocol/api-types';
import { changePassword, launchBrowser, logIn, type BrowserSession } from '../helpers/browser';
import { totpCode } from '../helpers/totp';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';

const ADMIN = 'admin@localhost';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';
const USER = 'bob@example.com';
const USER_PASSWORD = 'bobs-own-long-password';
const GROUP = 'ops';
const POLICY = 'ops-local';
const KEY_NAME = 'ci-bot';
/** What `POST /policies/apply` audits (one event per batch; `PUT /policies/:name` audits policy.put). */
const POLICY_EVENT = 'policy.apply';
const SCREENSHOT_USERS = '/tmp/gatehouse-e2e-admin-users.png';
const SCREENSHOT_POLICIES = '/tmp/gatehouse-e2e-admin-policies.png';
const SCREENSHOT_EVENTS = '/tmp/gatehouse-e2e-admin-events.png';
const SCREENSHOT_ACCOUNT = '/tmp/gatehouse-e2e-account-totp.png';

/** RFC 6238 (HMAC-SHA1, 30 s, 6 digits), computed by the test's own helper, not the server's. */
const totpAt = (secret: string, atMs: number): string => totpCode(secret, 0, atMs);

let server: ServerProcess;
let admin: BrowserSession;
let page: Page;
let userBrowser: BrowserSession | null = null;
let userPage: Page;
let oneTimePassword = '';
let totpSecret = '';

describe('browser admin pages, account TOTP and event log (built service + Chromium)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    admin = await launchBrowser();
    page = admin.page;
  }, 180_000);

  afterAll(async () => {
    // 4xx replies are part of the story (401 before login, the refused policy, MFA_REQUIRED).
    const errors = [...(admin?.errors ?? []), ...(userBrowser?.errors ?? [])].filter((e) => !/status of 4\d\d/.test(e));
    if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
    await userBrowser?.close();
    await admin?.close();
    await server?.stop();
  });

  it('logs the admin in, changes the bootstrap password, and shows the Admin entry', async () => {
    expect(server.password, server.stdout.join('\n')).toBeTruthy();
    await page.goto(server.url);
    await logIn(page, ADMIN, server.password!);
    await page.waitForURL(/#\/password$/);
    await changePassword(page, server.password!, ADMIN_PASSWORD);
    const nav = await page.locator('.topbar nav a').allTextContents();
    expect(nav).toEqual(['Targets', 'Connections', 'Requests', 'Recordings', 'Logs', 'Admin']);
  });

  it('adds a group on the Groups page', async () => {
    await page.click('.topbar nav a[href="#/admin/users"]');
    await page.waitForURL(/#\/admin\/users$/);
    await page.click('.tabs a[href="#/admin/groups"]');
    await page.waitForURL(/#\/admin\/groups$/);
    await page.fill('#new-group-name', GROUP);
    await page.click('form[aria-label="Add a group"] button[type=submit]');
    await page.locator(`tr[data-group="${GROUP}"]`).waitFor();
    expect(await page.textContent('.form-status')).toContain(`Group ${GROUP} was added.`);
  });

  it('adds a user with that group on the Users page and shows the one-time password', async () => {
    await page.click('.tabs a[href="#/admin/users"]');
    await page.waitForURL(/#\/admin\/users$/);
    await page.fill('#new-user-email', USER);
    await page.selectOption('#new-user-role', 'user');
    await page.locator('#new-user-groups label', { hasText: GROUP }).locator('input').check();
    const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/users'));
    await page.click('form[aria-label="Add a user"] button[type=submit]');
    expect((await created).status()).toBe(201);

    await page.locator('#one-time-password').waitFor();
    oneTimePassword = (await page.textContent('#one-time-password'))!.trim();
    expect(oneTimePassword.length).toBeGreaterThanOrEqual(12);
    expect(await page.textContent('#new-user-result')).toContain('not shown again');

    const row = page.locator(`tr[data-email="${USER}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-role')).toBe('user');
    expect(await row.getAttribute('data-totp')).toBe('off');
    expect((await row.locator('.user-groups .chip').allTextContents()).map((t) => t.trim())).toEqual([GROUP]);
    await page.screenshot({ path: SCREENSHOT_USERS, fullPage: true });

    const details = (await (await page.context().request.get(`${server.url}/api/v1/users/${encodeURIComponent(USER)}`)).json()) as UserDetails;
    expect(details.groups).toEqual([GROUP]);
    expect(details.mustChangePassword).toBe(true);
  });

  it('applies a policy on the Policies page, with the warnings, and lists it', async () => {
    await page.click('.tabs a[href="#/admin/policies"]');
    await page.waitForURL(/#\/admin\/policies$/);
    const doc = {
      name: POLICY,
      kind: 'target_access',
      subjects: { groups: [GROUP] },
      targets: ['local'],
      environments: ['not-yet'],
      actions: ['shell'],
      targetUsers: ['{username}'],
    };
    await page.fill('#policy-doc', JSON.stringify(doc, null, 2));
    await page.click('#policy-apply');
    const result = page.locator('#policy-apply-result');
    await result.waitFor();
    expect(await result.locator(`li[data-policy="${POLICY}"]`).textContent()).toBe(`${POLICY}: created`);
    expect(await result.locator('.warning-list').textContent()).toContain('not-yet');

    const row = page.locator(`tr[data-policy="${POLICY}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-kind')).toBe('target_access');
    expect(await row.locator('.policy-subjects').textContent()).toContain(GROUP);
    expect(await row.locator('.policy-targets').textContent()).toMatch(/local.*not-yet/s);
    expect((await row.locator('.policy-target-users').textContent())?.trim()).toBe('{username}');

    // The JSON view is the document as the server stores it.
    const json = page.locator(`tr[data-policy-json="${POLICY}"]`);
    expect(await json.isHidden()).toBe(true);
    await row.locator('button.show-json').click();
    expect(await json.isVisible()).toBe(true);
    expect(JSON.parse((await json.locator('pre').textContent())!)).toMatchObject({ name: POLICY, subjects: { groups: [GROUP] } });
    await page.screenshot({ path: SCREENSHOT_POLICIES, fullPage: true });
  });

  it('shows the server’s message for a bad policy and applies nothing of that array', async () => {
    const good = { name: 'second-ok', kind: 'target_access', subjects: { groups: [GROUP] }, targets: ['local'], actions: ['shell'], targetUsers: ['root'] };
    const bad = { ...good, name: 'third-bad', colour: 'blue' };
    await page.fill('#policy-doc', JSON.stringify([good, bad]));
    const reply = page.waitForResponse((r) => r.url().endsWith('/api/v1/policies/apply'));
    await page.click('#policy-apply');
    const res = await reply;
    expect(res.status()).toBe(400);
    const serverMessage = ((await res.json()) as { error: { message: string } }).error.message;
    expect(serverMessage).toContain('[1]');
    await expect.poll(() => page.textContent('form[aria-label="Apply policy documents"] .form-error')).toBe(serverMessage);
    expect(serverMessage).toMatch(/colour/);
    expect(await page.isHidden('#policy-apply-result')).toBe(true);

    // A page that fails to parse JSON never reaches the server.
    let sent = false;
    const watch = (r: { url(): string }) => {
      if (r.url().endsWith('/api/v1/policies/apply')) sent = true;
    };
    page.on('request', watch);
    await page.fill('#policy-doc', '{"name": ');
    await page.click('#policy-apply');
    await expect.poll(() => page.textContent('form[aria-label="Apply policy documents"] .form-error')).toMatch(/not valid JSON/);
    page.off('request', watch);
    expect(sent).toBe(false);

    const names = ((await (await page.context().request.get(`${server.url}/api/v1/policies`)).json()) as PolicyDoc[]).map((p) => p.name);
    expect(names).toContain(POLICY);
    expect(names).not.toContain('second-ok');
    expect(names).not.toContain('third-bad');
    expect(await page.locator('tr[data-policy="second-ok"]').count()).toBe(0);
  });

  it('creates an API key and shows its secret once', async () => {
    await page.click('.tabs a[href="#/admin/keys"]');
    await page.waitForURL(/#\/admin\/keys$/);
    await page.fill('#new-key-name', KEY_NAME);
    await page.click('form[aria-label="Create an API key"] button[type=submit]');
    const box = page.locator('#new-key-result');
    await box.waitFor();
    expect(await box.textContent()).toContain('Copy it now');
    const header = (await page.textContent('#new-key-header'))!.trim();
    expect(header).toMatch(/^gk_[a-z0-9]{12}:[A-Za-z0-9_-]{43}$/);
    const [id, secret] = header.split(':') as [string, string];
    const row = page.locator(`tr[data-key-id="${id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-key-name')).toBe(KEY_NAME);

    // The key works as shown (from a client without the admin's cookie) …
    const bare = await request.newContext({ ignoreHTTPSErrors: true });
    try {
      expect((await bare.get(`${server.url}/api/v1/targets`)).status()).toBe(401);
      expect((await bare.get(`${server.url}/api/v1/targets`, { headers: { 'X-API-KEY': header } })).status()).toBe(200);
    } finally {
      await bare.dispose();
    }
    // … and the secret is nowhere to be seen again: not in the list, not after a reload.
    const listed = await (await page.context().request.get(`${server.url}/api/v1/keys`)).text();
    expect(listed).toContain(id);
    expect(listed).not.toContain(secret);
    expect(((JSON.parse(listed) as ApiKeyInfo[]).find((k) => k.id === id))?.name).toBe(KEY_NAME);
    await page.reload();
    await row.waitFor();
    expect(await page.isHidden('#new-key-result')).toBe(true);
    expect(await page.locator('main').textContent()).not.toContain(secret);
  });

  it('lists the policy change on the Events page and exports it as CSV', async () => {
    await page.click('.topbar nav a[href="#/logs/connections"]');
    await page.click('.tabs a[href="#/logs/events"]');
    await page.waitForURL(/#\/logs\/events$/);
    await page.locator('.events-table').waitFor();
    // Unfiltered, the key creation is there too; then only policy events, by type.
    expect(await page.locator('.events-table tr[data-type="api_key.create"]').count()).toBeGreaterThan(0);
    await page.fill('#events-type', 'policy.*');
    await page.selectOption('#events-outcome', 'success');
    await page.fill('#events-since', '1h');
    await page.click('form[aria-label="Filter the event log"] button[type=submit]');
    await page.waitForURL(/#\/logs\/events\?type=policy\.\*&outcome=success&since=1h$/);
    await expect
      .poll(async () => new Set(await page.locator('.events-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')))))
      .toEqual(new Set([POLICY_EVENT]));
    // Exactly one change: the refused batch left no event of success.
    expect(await page.locator('.events-table tbody tr').count()).toBe(1);
    const row = page.locator('.events-table tbody tr').first();
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    expect(cells[0]).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(cells.slice(1, 3)).toEqual([POLICY_EVENT, ADMIN]);
    expect(cells[4]).toBe('success');
    expect(cells[6]).toContain(POLICY);
    await page.screenshot({ path: SCREENSHOT_EVENTS, fullPage: true });

    const shownRows = await page.locator('.events-table tbody tr').count();
    const download = page.waitForEvent('download');
    await page.click('#events-download');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^gatehouse-events-policy\.all-\d{8}-\d{6}\.csv$/);
    const records = parseCsv(await readFile((await file.path())!, 'utf8'));
    expect(records[0]).toEqual(['time_utc', 'type', 'version', 'actor', 'source', 'outcome', 'object', 'request_id', 'details_json']);
    expect(records.length - 1).toBe(shownRows);
    const change = records.slice(1).find((r) => r[8]!.includes(POLICY));
    expect(change).toBeDefined();
    expect(change![0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect([change![1], change![3], change![5]]).toEqual([POLICY_EVENT, ADMIN, 'success']);
    expect(JSON.parse(change![8]!)).toMatchObject({ policies: [POLICY] });
  });

  it('gives a non-admin user no admin nav entries and tells them the admin pages are for admins', async () => {
    userBrowser = await launchBrowser();
    userPage = userBrowser.page;
    await userPage.goto(server.url);
    await logIn(userPage, USER, oneTimePassword);
    await userPage.waitForURL(/#\/password$/);
    await changePassword(userPage, oneTimePassword, USER_PASSWORD);
    const nav = (await userPage.locator('.topbar nav a').allTextContents()).map((t) => t.trim());
    expect(nav).toEqual(['Targets', 'Connections', 'Requests', 'Recordings', 'Logs']);
    expect(await userPage.locator('.topbar a[href^="#/admin"]').count()).toBe(0);

    const adminCalls: string[] = [];
    userPage.on('request', (r) => {
      if (/\/api\/v1\/(users|groups|policies|keys)/.test(r.url())) adminCalls.push(r.url());
    });
    await userPage.goto(`${server.url}/#/admin/users`);
    await userPage.locator('.admins-only').waitFor();
    expect(await userPage.textContent('.admins-only h1')).toBe('Admins only');
    expect(adminCalls).toEqual([]);

    // Their event log is their own: no actor filter, and none of the admin's policy changes.
    await userPage.goto(`${server.url}/#/logs/events`);
    await userPage.locator('.events-table').waitFor();
    expect(await userPage.locator('#events-user').count()).toBe(0);
    expect(await userPage.locator('.events-table tr[data-type="auth.login"]').count()).toBeGreaterThan(0);
    expect(await userPage.locator('.events-table tr[data-type="policy.put"]').count()).toBe(0);
  });

  it('enrols TOTP on the Account page', async () => {
    await userPage.click(`.topbar a[href="#/account"]`);
    await userPage.waitForURL(/#\/account$/);
    expect(await userPage.textContent('#account-email')).toBe(USER);
    expect(await userPage.getAttribute('#account-password', 'href')).toBe('#/password');
    expect(await userPage.textContent('#totp-status')).toBe('off');

    await userPage.click('#totp-enrol');
    await userPage.locator('#totp-secret').waitFor();
    totpSecret = (await userPage.textContent('#totp-secret'))!.trim();
    expect(totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    const url = (await userPage.textContent('#totp-url'))!.trim();
    expect(url).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(url).searchParams.get('secret')).toBe(totpSecret);

    // A wrong code is refused by the server and TOTP stays off.
    const now = totpAt(totpSecret, Date.now());
    await userPage.fill('#totp-code', now === '000000' ? '111111' : '000000');
    await userPage.click('form[aria-label="Verify a TOTP code"] button[type=submit]');
    await expect.poll(() => userPage.textContent('form[aria-label="Verify a TOTP code"] .form-error')).toMatch(/code/i);
    expect(await userPage.getAttribute('#totp-status', 'data-enabled')).toBe('false');

    await userPage.fill('#totp-code', totpAt(totpSecret, Date.now()));
    await userPage.click('form[aria-label="Verify a TOTP code"] button[type=submit]');
    await expect.poll(() => userPage.getAttribute('#totp-status', 'data-enabled')).toBe('true');
    expect(await userPage.textContent('#totp-status')).toBe('on');
    await userPage.screenshot({ path: SCREENSHOT_ACCOUNT, fullPage: true });
    const me = (await (await userPage.context().request.get(`${server.url}/api/v1/auth/me`)).json()) as SessionInfo;
    expect(me.totpEnabled).toBe(true);
  });

  it('asks for the code at the next login, refuses a used one, and accepts a fresh one', async () => {
    await userPage.click('.nav-user button');
    await userPage.waitForURL(/#\/login$/);
    expect(await userPage.isHidden('#totp')).toBe(true);
    const mfa = userPage.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await logIn(userPage, USER, USER_PASSWORD);
    expect(((await (await mfa).json()) as { error: { code: string } }).error.code).toBe('MFA_REQUIRED');
    await userPage.locator('#totp').waitFor({ state: 'visible' });
    expect(userPage.url()).toMatch(/#\/login$/);

    // The code used to turn TOTP on (this step or the last) counts as used: replays are refused.
    await userPage.fill('#totp', totpAt(totpSecret, Date.now() - 30_000));
    await userPage.click('button[type=submit]');
    await expect.poll(() => userPage.textContent('.form-error')).toMatch(/\S/);
    expect(userPage.url()).toMatch(/#\/login$/);
    expect(await userPage.isVisible('#totp')).toBe(true);

    // The next step's code is inside the server's ±1 step window and newer than any used one,
    // so the test need not wait up to 30 s for the authenticator's next code.
    const ok = userPage.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.status() === 200);
    await userPage.fill('#totp', totpAt(totpSecret, Date.now() + 30_000));
    await userPage.click('button[type=submit]');
    await ok;
    await userPage.waitForURL(/#\/targets$/);
    await expect.poll(() => userPage.textContent('.topbar')).toContain(USER);
  });

  it('changes the user’s role and group membership from the Users and Groups pages', async () => {
    await page.click('.topbar nav a[href="#/admin/users"]');
    const row = () => page.locator(`tr[data-email="${USER}"]`);
    await row().waitFor();
    await row().locator('select.role-select').selectOption('admin');
    await expect.poll(() => row().getAttribute('data-role')).toBe('admin');
    expect(await page.textContent('.form-status')).toContain(`${USER} is now an admin.`);
    await row().locator('select.role-select').selectOption('user');
    await expect.poll(() => row().getAttribute('data-role')).toBe('user');

    await page.click('.tabs a[href="#/admin/groups"]');
    const group = page.locator(`tr[data-group="${GROUP}"]`);
    await group.waitFor();
    expect((await group.locator('.group-members .chip').allTextContents()).map((t) => t.replace('×', '').trim())).toEqual([USER]);
    page.once('dialog', (d) => void d.accept());
    await group.locator('button.remove-member').click();
    await expect.poll(() => group.locator('.group-members .chip').count()).toBe(0);

    // An unknown user is the server's 404, shown as its message; then the real one is added back.
    await group.locator('input.member-email').fill('nobody@example.com');
    await group.locator('button.add-member').click();
    await expect.poll(() => page.textContent('section > .form-error')).toMatch(/\S/);
    // The list reloads after the refusal (a fresh, empty field); type after that.
    await expect.poll(() => page.locator(`tr[data-group="${GROUP}"] input.member-email`).inputValue()).toBe('');
    await page.locator(`tr[data-group="${GROUP}"] input.member-email`).fill(USER);
    await page.locator(`tr[data-group="${GROUP}"] button.add-member`).click();
    await expect.poll(() => page.locator(`tr[data-group="${GROUP}"] .group-members .chip`).allTextContents()).toEqual([`${USER}×`]);
    const details = (await (await page.context().request.get(`${server.url}/api/v1/users/${encodeURIComponent(USER)}`)).json()) as UserDetails;
    expect(details.groups).toEqual([GROUP]);
    expect(details.role).toBe('user');
  });

  it('lets the admin see TOTP on and reset it from the Users page, then delete the user', async () => {
    await page.click('.tabs a[href="#/admin/users"]');
    const row = page.locator(`tr[data-email="${USER}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-totp')).toBe('on');
    page.once('dialog', (d) => void d.accept());
    await row.locator('button.reset-mfa').click();
    await expect.poll(() => row.getAttribute('data-totp')).toBe('off');
    const details = (await (await page.context().request.get(`${server.url}/api/v1/users/${encodeURIComponent(USER)}`)).json()) as UserDetails;
    expect(details.totpEnabled).toBe(false);

    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.locator(`tr[data-email="${USER}"] button.delete-user`).click();
    await page.locator(`tr[data-email="${USER}"]`).waitFor({ state: 'detached' });
    expect(asked).toContain(USER);
    expect(await page.textContent('.form-status')).toContain(`User ${USER} was deleted.`);
    // Your own row cannot be deleted from here.
    expect(await page.locator(`tr[data-email="${ADMIN}"] button.delete-user`).isDisabled()).toBe(true);
  });

  it('adds an environment, sets its offline removal, moves a target into it and out, and deletes it', async () => {
    await page.click('.tabs a[href="#/admin/targets"]');
    await page.waitForURL(/#\/admin\/targets$/);
    const local = () => page.locator('tr[data-target="local"]');
    await local().waitFor();
    const homeEnv = await local().locator('select.target-env').inputValue();
    // The bastion's own target keeps its name and cannot be deleted.
    expect(await local().locator('button.rename-target').isDisabled()).toBe(true);
    expect(await local().locator('button.delete-target').isDisabled()).toBe(true);

    await page.fill('#new-env-name', 'staging');
    await page.fill('#new-env-removal', '7d');
    await page.click('form[aria-label="Add an environment"] button[type=submit]');
    const env = () => page.locator('tr[data-environment="staging"]');
    await env().waitFor();
    expect(await env().locator('input.env-removal').inputValue()).toBe('7d');

    await env().locator('input.env-removal').fill('forever');
    await env().locator('button.set-removal').click();
    await expect.poll(() => page.textContent('section > .form-error')).toMatch(/offlineRemoval/);
    // The list reloads after the refusal and shows the stored value again; type after that.
    await expect.poll(() => env().locator('input.env-removal').inputValue()).toBe('7d');
    await env().locator('input.env-removal').fill('12h');
    await env().locator('button.set-removal').click();
    await expect.poll(() => env().locator('input.env-removal').inputValue()).toBe('12h');
    expect(await page.isHidden('section > .form-error')).toBe(true);

    // An environment with a target in it cannot go: the server's 409 says why.
    await local().locator('select.target-env').selectOption('staging');
    await expect.poll(() => local().locator('select.target-env').inputValue()).toBe('staging');
    await expect.poll(() => env().locator('td.num').textContent()).toBe('1');
    page.once('dialog', (d) => void d.accept());
    await env().locator('button.delete-env').click();
    await expect.poll(() => page.textContent('section > .form-error')).toMatch(/still has 1 target/);
    expect(await env().count()).toBe(1);

    await local().locator('select.target-env').selectOption(homeEnv);
    await expect.poll(() => local().locator('select.target-env').inputValue()).toBe(homeEnv);
    // The select shows the choice at once; the count comes from the server once the move is stored.
    await expect.poll(() => env().locator('td.num').textContent()).toBe('0');
    page.once('dialog', (d) => void d.accept());
    await env().locator('button.delete-env').click();
    await env().waitFor({ state: 'detached' });
  });
});

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
