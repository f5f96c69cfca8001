/**
 * `kill -9` of the real service in the middle of a busy shell: the recording on disk still
 * parses line by line, the embedded agent does not leave the shell running, and the next start
 * finishes the recording (so asciinema accepts it) and closes the connection with reason
 * `service restart`.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { openTerminal } from '../helpers/ws-terminal';
import { parseCast } from '../../recorder/cast-repair';

const dataDir = mkdtempSync(join(tmpdir(), 'gh-crash-'));
let server: ServerProcess | null = null;

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(url: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password }) });
  return ((await r.json()) as { token: string }).token;
}

const pgrep = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describe('service killed with SIGKILL mid-session', () => {
  it('leaves a parseable recording and recovers it on the next start', async () => {
    buildDist();
    server = await startServer({ dataDir, extraArgs: ['--no-tls'] });
    const first = await login(server.url, server.password!);
    const newPassword = 'crash test password 1';
    await fetch(`${server.url}/api/v1/auth/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: server.password, newPassword }),
    });
    const c = await (
      await fetch(`${server.url}/api/v1/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: 'local', targetUser: 'root' }),
      })
    ).json();
    const term = await openTerminal(`${server.url.replace('http', 'ws')}${c.wsPath}`, { authorization: `Bearer ${first}` });
    const marker = `crashloop${process.pid}`;
    term.send(`for i in $(seq 1 1000000); do echo ${marker}-line-$i; done\r`);
    await term.waitFor(`${marker}-line-20000`, 30000);

    server.child.kill('SIGKILL');
    await new Promise((r) => server!.child.once('exit', r));
    term.close();

    // Whatever the service had written: every complete line is a valid event.
    const castPath = execFileSync('find', [join(dataDir, 'recordings'), '-name', `${c.id}.cast`], { encoding: 'utf8' }).trim();
    const raw = readFileSync(castPath, 'utf8');
    const complete = raw.slice(0, raw.lastIndexOf('\n') + 1);
    const parsed = parseCast(complete);
    expect(parsed.header.version).toBe(2);
    expect(parsed.events.length).toBeGreaterThan(10);

    // The embedded agent sees its stdin close and takes the shell down with it.
    const deadline = Date.now() + 10000;
    while (pgrep(`${marker}-line`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pgrep(`${marker}-line`)).toBe('');

    server = await startServer({ dataDir, extraArgs: ['--no-tls'] });
    expect(server.password).toBeNull(); // the admin exists: no new bootstrap password
    const token = await login(server.url, newPassword);
    const conn = await (await fetch(`${server.url}/api/v1/connections/${c.id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(conn.state).toBe('closed');
    expect(conn.closeReason).toBe('service restart');
    const rec = await (await fetch(`${server.url}/api/v1/recordings/${c.id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(rec.live).toBe(false);
    const repaired = readFileSync(castPath, 'utf8');
    expect(repaired.endsWith('\n')).toBe(true);
    expect(() => parseCast(repaired)).not.toThrow();
    const cat = execFileSync('script', ['-qec', `asciinema cat ${castPath} >/dev/null && echo CAT-OK`, '/dev/null'], { encoding: 'utf8' });
    expect(cat).toContain('CAT-OK');
  });
});
