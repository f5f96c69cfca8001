/**
 * Bad input against a real service on loopback: each gets a clear error, and a live shell in
 * another client keeps working throughout.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal, type WsTerminal } from '../helpers/ws-terminal';

let s: TestServer;
let token: string;
let shell: WsTerminal;

async function auditRows(type: string): Promise<any[]> {
  await s.services.audit.flush();
  return s.services.store.db.all('SELECT * FROM events WHERE type = ? ORDER BY id', [type]);
}

async function shellStillWorks(tag: string) {
  shell.send(`echo alive-${tag}-$((40+2))\r`);
  await shell.waitFor(`alive-${tag}-42`);
}

beforeAll(async () => {
  s = await startInProcess();
  token = await adminToken(s);
  const call = api(s, token);
  const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', cols: 100, rows: 30 });
  expect(c.status).toBe(201);
  shell = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${token}` });
  await shellStillWorks('start');
});

afterAll(async () => {
  shell?.close();
  await s?.stop();
});

describe('bad input', () => {
  it('malformed JSON → 400 with a clear message', async () => {
    const r = await fetch(`${s.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"target": "local",',
    });
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/JSON/i);
    await shellStillWorks('json');
  });

  it('oversized body → 400 naming the limit', async () => {
    const r = await fetch(`${s.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'x'.repeat(200_000) }),
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/too large.*65536/);
    await shellStillWorks('big');
  });

  it('schema violations → 400 naming the field', async () => {
    const call = api(s, token);
    const r = await call('POST', '/api/v1/connections', { target: 'local', cols: -3 });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/cols/);
    const r2 = await call('POST', '/api/v1/connections', { target: 'local', colour: 'red' });
    expect(r2.status).toBe(400);
    for (const [q, field] of [
      ['logs/connections?after=-1', 'after'],
      ['logs/connections?after=soon', 'after'],
      ['logs/connections?grep=', 'grep'],
      ['logs/connections?limit=0', 'limit'],
      ['logs/connections?colour=red', 'colour'],
      ['recordings?grep=', 'grep'],
      ['recordings?since=yesterday-ish', 'since'],
      ['recordings?colour=red', 'colour'],
    ]) {
      const r3 = await call('GET', `/api/v1/${q}`);
      expect(r3.status, q).toBe(400);
      expect(r3.json.error.message, q).toMatch(new RegExp(field!));
    }
  });

  it('no session → 401', async () => {
    const r = await fetch(`${s.url}/api/v1/targets`);
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe('UNAUTHENTICATED');
    const r2 = await fetch(`${s.url}/api/v1/targets`, { headers: { authorization: 'Bearer ghs_not-a-real-token' } });
    expect(r2.status).toBe(401);
    await shellStillWorks('noauth');
  });

  it('wrong password → 401 and one audit row', async () => {
    const before = (await auditRows('auth.login')).filter((r) => r.outcome === 'failure').length;
    const r = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: 'wrong password!' }),
    });
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe('BAD_CREDENTIALS');
    const rows = (await auditRows('auth.login')).filter((r) => r.outcome === 'failure');
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1).actor).toBe('admin@localhost');
    expect(rows.at(-1).source).toBe('127.0.0.1');
    await shellStillWorks('badpw');
  });

  it('unknown connection id on the websocket → close 4404', async () => {
    const t = await openTerminal(`${s.wsUrl}/ws/connections/00000000-0000-4000-8000-000000000000`, { authorization: `Bearer ${token}` });
    expect((await t.closed).code).toBe(4404);
    const t2 = await openTerminal(`${s.wsUrl}/ws/connections/not-an-id`, { authorization: `Bearer ${token}` });
    expect((await t2.closed).code).toBe(4404);
    await shellStillWorks('ws404');
  });

  it('websocket without a session → close 4401', async () => {
    const t = await openTerminal(`${s.wsUrl}${shell.ws.url.slice(s.wsUrl.length)}`, {});
    expect((await t.closed).code).toBe(4401);
    await shellStillWorks('ws401');
  });

  it('malformed control frames close only that socket', async () => {
    const call = api(s, token);
    const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'root' });
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${token}` });
    t.ws.send('{"type":"resize","cols":"wide"}');
    const closed = await t.closed;
    expect(closed.code).toBe(4400);
    expect(closed.reason).toMatch(/resize needs integer cols/);
    await shellStillWorks('ctl');
  });

  it('a cookie-authenticated state change without the CSRF token → 403', async () => {
    const other = await apiLogin(s.url, 'admin@localhost', s.adminPassword);
    const r = await fetch(`${s.url}/api/v1/connections`, {
      method: 'POST',
      headers: { cookie: other.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'local', targetUser: 'root' }),
    });
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('CSRF');
    const ok = await fetch(`${s.url}/api/v1/connections`, {
      method: 'POST',
      headers: { cookie: other.cookie, 'x-csrf-token': other.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'local', targetUser: 'root' }),
    });
    expect(ok.status).toBe(201);
  });

  it('the cookie is HttpOnly, Secure and SameSite=Strict', async () => {
    const r = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password: s.adminPassword }),
    });
    const c = r.headers.get('set-cookie') ?? '';
    expect(c).toMatch(/^gh_session=/);
    expect(c).toMatch(/HttpOnly/);
    expect(c).toMatch(/Secure/);
    expect(c).toMatch(/SameSite=Strict/);
  });

  it('a target user no policy gives → 403, an unknown target → 404, both audited', async () => {
    const call = api(s, token);
    const r = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'nobody' });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/no policy allows nobody on local/);
    const r2 = await call('POST', '/api/v1/connections', { target: 'nowhere', targetUser: 'root' });
    expect(r2.status).toBe(404);
    const denied = (await auditRows('connection.open')).filter((x) => x.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(2);
    await shellStillWorks('deny');
  });
});
