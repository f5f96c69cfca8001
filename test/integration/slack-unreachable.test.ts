/**
 * Slack is outside the machine and optional: with it configured but unreachable the service
 * starts and serves, keeps retrying and says why, and JIT approvals work from the API.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { deadPort } from '../helpers/dead-port';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';

let s: TestServer;

beforeAll(async () => {
  s = await startInProcess({
    config: { 'slack.bot_token': 'xoxb-test-bot', 'slack.app_token': 'xapp-test-app', 'slack.api_url': `http://127.0.0.1:${await deadPort()}/api/` },
  });
});
afterAll(async () => {
  await s?.stop();
});

describe('Slack configured but unreachable', () => {
  it('the service serves, retries Slack with the reason logged, and JIT works through the API', async () => {
    const admin = api(s, await adminToken(s));
    expect((await admin('GET', '/api/v1/targets')).status).toBe(200);
    const end = Date.now() + 10_000;
    while (!s.logs.some((l) => /slack: cannot connect .*retrying in \d+ s/.test(l)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(s.logs.find((l) => l.startsWith('slack: cannot connect'))).toMatch(/ECONNREFUSED|connect|request/i);
    expect(s.logs.join('\n')).not.toMatch(/xoxb-test-bot|xapp-test-app/);
    const status = (await admin('GET', '/api/v1/slack')).json;
    expect(status).toMatchObject({ configured: true, connected: false, command: '/gatehouse', auditChannel: 'gatehouse-jit-log', lastError: expect.any(String) });
    expect(JSON.stringify(status)).not.toMatch(/xoxb|xapp/);

    await admin('POST', '/api/v1/users', { email: 'dev@example.com', password: 'a long enough password 1', groups: ['dev'] });
    await admin('POST', '/api/v1/policies/apply', [
      { name: 'jit', kind: 'just_in_time', subjects: { groups: ['dev'] }, targets: ['local'], actions: ['shell'], targetUsers: ['root'], approval: 'manual', duration: '1h' },
    ]);
    const dev = api(s, (await apiLogin(s.url, 'dev@example.com', 'a long enough password 1')).token);
    const r = await dev('POST', '/api/v1/requests', { target: 'local', targetUser: 'root', action: 'shell', reason: 'slack is down' });
    expect(r.status).toBe(201);
    const ok = await admin('POST', `/api/v1/requests/${r.json.id}/approve`);
    expect(ok.json.state).toBe('approved');
  });
});
