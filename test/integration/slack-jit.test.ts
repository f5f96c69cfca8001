/**
 * Just-in-time access end to end through Slack: the real service (in this process) talks to
 * the fake Slack (test/fakes/slack) with the real @slack/web-api and @slack/socket-mode
 * clients. People act through the fake's driver: a slash command, a button, the modal, the
 * approver's Approve/Deny; then `gate connect` uses the grant, and its expiry closes the shell.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { startFakeSlack, type FakeSlack, type SlackUser } from '../fakes/slack';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal } from '../helpers/ws-terminal';
import { gateCli, type GateCli } from '../helpers/gate-cli';

const TUSER = 'ghslacktest';
const PASSWORD = 'a long enough password 1';
let slack: FakeSlack;
let s: TestServer;
let admin: ReturnType<typeof api>;
let people: Record<'dev' | 'sre' | 'sre2' | 'other' | 'outsider' | 'auto' | 'admin', SlackUser>;
const gates: GateCli[] = [];

const events = async (q: string) => (await admin('GET', `/api/v1/logs/events?${q}`)).json as { type: string; outcome: string; details: any; actor: string | null }[];
const lastEphemeral = (u: SlackUser) => slack.ephemeralsTo(u).at(-1)!;
const buttonsOf = (m: { blocks?: any[] }) => (m.blocks ?? []).flatMap((b: any) => (b.type === 'actions' ? b.elements : b.accessory ? [b.accessory] : [])).map((e: any) => e.action_id);

/** Runs the slash command and the Request-access button for `target`; returns the open modal. */
async function openModal(u: SlackUser, target = 'local') {
  const before = slack.ephemeralsTo(u).length;
  const cmd = slack.slashCommand(u, '');
  expect((await cmd.waitForAck()).withinDeadline).toBe(true);
  const listing = await slack.waitFor(() => (slack.ephemeralsTo(u).length > before ? lastEphemeral(u) : null), 5000, 'the listing');
  expect(buttonsOf(listing)).toContain('gh_request_access');
  const views = slack.openedViews(u).length;
  await slack.clickButton(u, listing, 'gh_request_access', target).waitForAck();
  return slack.waitFor(() => (slack.openedViews(u).length > views ? slack.openedViews(u).at(-1) : null), 5000, 'the modal');
}

beforeAll(async () => {
  execFileSync('sh', ['-c', `id ${TUSER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${TUSER}`]);
  slack = await startFakeSlack();
  people = {
    admin: slack.addUser({ email: 'admin@localhost', name: 'admin', isAdmin: true }),
    dev: slack.addUser({ email: 'dev@example.com', name: 'dev' }),
    sre: slack.addUser({ email: 'sre@example.com', name: 'sre' }),
    sre2: slack.addUser({ email: 'sre2@example.com', name: 'sre2' }),
    other: slack.addUser({ email: 'other@example.com', name: 'other' }),
    outsider: slack.addUser({ email: 'stranger@elsewhere.example', name: 'stranger' }),
    auto: slack.addUser({ email: 'auto@example.com', name: 'auto' }),
  };
  s = await startInProcess({ config: { 'slack.bot_token': slack.botToken, 'slack.app_token': slack.appToken, 'slack.api_url': slack.apiUrl } });
  admin = api(s, await adminToken(s));
  for (const [email, groups] of [['dev@example.com', ['dev']], ['sre@example.com', ['sre']], ['sre2@example.com', ['sre']], ['other@example.com', []], ['auto@example.com', ['auto']]] as const) {
    expect((await admin('POST', '/api/v1/users', { email, password: PASSWORD, groups })).status).toBe(201);
  }
  const p = await admin('POST', '/api/v1/policies/apply', [
    { name: 'jit-dev', kind: 'just_in_time', subjects: { groups: ['dev'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER], approval: 'manual', duration: '15s', approvers: { groups: ['sre'] } },
    { name: 'jit-auto', kind: 'just_in_time', subjects: { groups: ['auto'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER], approval: 'auto', duration: '1h' },
  ]);
  expect(p.status, JSON.stringify(p.json)).toBe(200);
  await slack.waitForConnections(1, 10_000);
});

afterAll(async () => {
  await s?.stop();
  await slack?.close();
  for (const g of gates) await g.cleanup();
  execFileSync('sh', ['-c', `userdel -r ${TUSER} 2>/dev/null || true`]);
});

describe('JIT through Slack', () => {
  it('creates the private audit channel at start and invites the admins', async () => {
    const ch = await slack.waitFor(() => slack.channel('gatehouse-jit-log'), 5000, 'the audit channel');
    expect(ch.isPrivate).toBe(true);
    expect(ch.members).toContain(people.admin.id);
    expect((await admin('GET', '/api/v1/slack')).json).toMatchObject({ configured: true, connected: true, auditChannelId: ch.id, lastError: null });
  });

  it('/gatehouse help explains; a Slack user without an account is told so and it is audited', async () => {
    const help = slack.slashCommand(people.dev, 'help');
    expect((await help.waitForAck()).payload).toMatchObject({ text: expect.stringContaining('Request access') });
    slack.slashCommand(people.outsider, '');
    const told = await slack.waitFor(() => slack.ephemeralsTo(people.outsider).at(-1), 5000, 'the answer');
    expect(told.text).toMatch(/No Gatehouse account/);
    expect((await events('type=slack.event&outcome=denied'))[0]).toMatchObject({ details: { what: 'slash command', slackUser: people.outsider.id } });
  });

  let requestId = '';
  it('slash command → button → modal; a blank reason is an error in the modal; a good one goes to every approver', async () => {
    const modal = await openModal(people.dev);
    expect(modal.view.title.text).toBe('Request access');
    const blank = await slack.submitView(people.dev, modal, { reason: '   ', duration: '15s' }, { skipClientValidation: true });
    expect(blank.errors).toMatchObject({ reason: expect.stringMatching(/why/) });
    expect(blank.ack!.withinDeadline).toBe(true);
    expect((await admin('GET', '/api/v1/requests')).json).toEqual([]);

    // Slack asks Socket Mode clients to reconnect from time to time: mid-flow, it changes nothing.
    await slack.disconnect('refresh_requested');
    await slack.waitFor(() => slack.connections().filter((c) => c.open).length === 1 && slack.connections().length >= 2, 10_000, 'a new connection');

    const ok = await slack.submitView(people.dev, modal, { reason: 'INC-42: disk full on the bastion', duration: '15s' });
    expect(ok.errors).toBeNull();
    expect(ok.ack!.withinDeadline).toBe(true);
    const reqs = (await admin('GET', '/api/v1/requests')).json;
    expect(reqs).toEqual([expect.objectContaining({ requester: 'dev@example.com', target: 'local', targetUser: TUSER, action: 'shell', state: 'pending', durationSeconds: 15, reason: 'INC-42: disk full on the bastion' })]);
    requestId = reqs[0].id;
    for (const approver of [people.sre, people.sre2]) {
      const dm = await slack.waitFor(() => slack.dmsTo(approver).find((m) => m.text.includes('dev@example.com')), 5000, 'the approver DM');
      expect(buttonsOf(dm)).toEqual(['gh_approve', 'gh_deny']);
    }
    expect(slack.dmsTo(people.other)).toEqual([]);
    expect(await slack.waitFor(() => slack.dmsTo(people.dev).find((m) => m.text.includes('sent to 2 approvers')), 5000, 'the requester note')).toBeTruthy();
  });

  it('a click from someone who is not an approver changes nothing, is told so and audited', async () => {
    const dm = slack.dmsTo(people.sre).at(-1)!;
    await slack.clickButton(people.other, dm, 'gh_approve', requestId, { force: true }).waitForAck();
    const told = await slack.waitFor(() => slack.ephemeralsTo(people.other).at(-1), 5000, 'the refusal');
    expect(told.text).toMatch(/not an approver.*nothing was changed/);
    expect((await admin('GET', `/api/v1/requests/${requestId}`)).json.state).toBe('pending');
    expect((await events(`type=jit.decision&outcome=denied&grep=${requestId}`))[0]).toMatchObject({ actor: 'other@example.com' });
  });

  let grantEnds = 0;
  it('Approve, delivered twice, approves once; every message shows the outcome; the requester and the audit channel are told', async () => {
    const dm = slack.dmsTo(people.sre).at(-1)!;
    const click = slack.clickButton(people.sre, dm, 'gh_approve', requestId);
    await click.waitForAck();
    slack.redeliver(click.envelope);
    await slack.waitFor(() => slack.acks().filter((a) => a.envelope_id === click.envelopeId).length >= 2, 5000, 'the second ack');
    const r = (await admin('GET', `/api/v1/requests/${requestId}`)).json;
    expect(r).toMatchObject({ state: 'approved', decidedBy: 'sre@example.com', grantPolicy: expect.stringMatching(/^JIT-[a-z0-9]{8}$/) });
    grantEnds = Date.parse(r.expiresAt);
    expect((await events(`type=jit.decision&outcome=success&grep=${requestId}`)).length).toBe(1);
    for (const approver of [people.sre, people.sre2]) {
      const updated = await slack.waitFor(() => slack.dmsTo(approver).find((m) => m.text.includes('Approved by sre@example.com')), 5000, 'the updated DM');
      expect(buttonsOf(updated)).toEqual([]);
      // The reaction follows the update (two calls): wait for it rather than race it.
      await slack.waitFor(() => slack.reactionsOn(updated.channel, updated.ts).some((x) => x.name === 'white_check_mark'), 5000, 'the ✅ reaction');
    }
    expect(await slack.waitFor(() => slack.dmsTo(people.dev).find((m) => /Approved by sre@example\.com/.test(m.text)), 5000, 'the requester told')).toBeTruthy();
    const log = await slack.waitFor(() => slack.messagesIn('gatehouse-jit-log').find((m) => m.text.includes(requestId)), 5000, 'the audit channel entry');
    expect(log.text).toMatch(/Approved by sre@example\.com/);
  });

  it('gate connect works as the granted target user, and at expiry the live shell closes with "jit expired"', async () => {
    const gate = await gateCli();
    gates.push(gate);
    const login = await gate.run(['login', '--server', s.url, '--user', 'dev@example.com', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    expect(login.code, login.stderr).toBe(0);
    const run = await gate.run(['connect', `${TUSER}@local`, '--', 'id', '-un']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${TUSER}\n`);

    const dev = await apiLogin(s.url, 'dev@example.com', PASSWORD);
    const c = await api(s, dev.token)('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER });
    expect(c.status).toBe(201);
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${dev.token}` });
    t.send('echo live-$((2*21))\r');
    await t.waitFor('live-42');
    const closed = await t.closed;
    expect(closed.reason).toBe('jit expired');
    expect(Date.now()).toBeGreaterThanOrEqual(grantEnds - 100);
    const grant = (await admin('GET', `/api/v1/requests/${requestId}`)).json.grantPolicy;
    const end = Date.now() + 5000;
    while ((await admin('GET', `/api/v1/policies/${grant}`)).status !== 404 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect((await admin('GET', `/api/v1/policies/${grant}`)).status).toBe(404);
    const after = await gate.run(['connect', `${TUSER}@local`, '--', 'true']);
    expect(after.code).toBe(1);
  });

  it('Deny: the requester is told, the messages show it, nothing is granted', async () => {
    const modal = await openModal(people.dev);
    await slack.submitView(people.dev, modal, { reason: 'once more', duration: '10s' });
    const id = (await admin('GET', '/api/v1/requests')).json.find((r: any) => r.state === 'pending').id;
    const dm = await slack.waitFor(() => slack.dmsTo(people.sre2).find((m) => m.text.includes('dev@example.com') && buttonsOf(m).length === 2), 5000, 'the DM');
    await slack.clickButton(people.sre2, dm, 'gh_deny', id).waitForAck();
    await slack.waitFor(async () => (await admin('GET', `/api/v1/requests/${id}`)).json.state === 'denied', 5000, 'the denial');
    const updated = await slack.waitFor(() => slack.dmsTo(people.sre).find((m) => m.text.includes('Denied by sre2@example.com')), 5000, 'updated');
    await slack.waitFor(() => slack.reactionsOn(updated.channel, updated.ts).some((x) => x.name === 'x'), 5000, 'the ❌ reaction');
    expect(await slack.waitFor(() => slack.dmsTo(people.dev).find((m) => m.text.includes(id) && /Denied/.test(m.text)), 5000, 'told')).toBeTruthy();
    expect((await api(s, (await apiLogin(s.url, 'dev@example.com', PASSWORD)).token)('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER })).status).toBe(403);
  });

  it('Auto-approval is confirmed to the requester at once', async () => {
    const modal = await openModal(people.auto);
    const r = await slack.submitView(people.auto, modal, { reason: 'deploy', duration: '30m' });
    expect(r.errors).toBeNull();
    const dm = await slack.waitFor(() => slack.dmsTo(people.auto).find((m) => /approved automatically/.test(m.text)), 5000, 'the confirmation');
    expect(dm.text).toMatch(/shell on local as ghslacktest/);
    expect((await admin('GET', '/api/v1/requests')).json.find((x: any) => x.requester === 'auto@example.com')).toMatchObject({ state: 'approved', decidedBy: 'auto' });
  });

  it('a dropped socket is reconnected and the next command is answered', async () => {
    const before = slack.connections().length;
    slack.dropSocket();
    await slack.waitFor(() => slack.connections().length > before && slack.connections().some((c) => c.open), 15_000, 'a reconnect');
    const help = slack.slashCommand(people.dev, 'help');
    expect((await help.waitForAck(5000)).withinDeadline).toBe(true);
  });

  it('acknowledged every envelope within 3 s', () => {
    const acks = slack.acks().filter((a) => !a.duplicate);
    expect(acks.length).toBeGreaterThan(10);
    expect(acks.filter((a) => !a.withinDeadline)).toEqual([]);
  });
});
