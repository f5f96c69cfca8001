/**
 * Exec connections over the terminal websocket: stdout and stderr arrive as tagged frames,
 * stdin flows until `eof`, the exit code comes back, and the exec is recorded.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
import { startInProcess, adminToken, api, type TestServer } from '../helpers/in-process-server';
import { STREAM_STDERR, STREAM_STDOUT } from '../../protocol/terminal-messages';

let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startInProcess();
  token = await adminToken(s);
});
afterAll(async () => {
  await s?.stop();
});

function runExec(wsPath: string, stdin?: string): Promise<{ stdout: string; stderr: string; exit: number | null; close: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.wsUrl}${wsPath}`, { headers: { authorization: `Bearer ${token}` } });
    let stdout = '';
    let stderr = '';
    let exit: number | null = null;
    ws.on('open', () => {
      if (stdin !== undefined) ws.send(Buffer.from(stdin), { binary: true });
      ws.send(JSON.stringify({ type: 'eof' }));
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) {
        const m = JSON.parse(data.toString());
        if (m.type === 'exit') exit = m.code;
        return;
      }
      if (data[0] === STREAM_STDOUT) stdout += data.subarray(1).toString();
      else if (data[0] === STREAM_STDERR) stderr += data.subarray(1).toString();
      else reject(new Error(`untagged frame ${data[0]}`));
    });
    ws.on('close', (code) => resolve({ stdout, stderr, exit, close: code }));
    ws.on('error', reject);
  });
}

describe('exec', () => {
  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const c = await api(s, token)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', command: "echo out-$((1+1)); echo err-$((2+2)) >&2; exit 7" });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({ kind: 'exec', pty: false });
    const r = await runExec(c.json.wsPath);
    expect(r.stdout).toBe('out-2\n');
    expect(r.stderr).toBe('err-4\n');
    expect(r.exit).toBe(7);
    expect(r.close).toBe(4410);
  });

  it('pipes stdin until eof', async () => {
    const c = await api(s, token)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', command: 'wc -l' });
    const r = await runExec(c.json.wsPath, 'a\nb\n');
    expect(r.stdout.trim()).toBe('2');
    expect(r.exit).toBe(0);
    const rec = (await s.services.store.recordings.byConnection(c.json.id))!;
    const lines = readFileSync(rec.path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].title).toBe('root@local by admin@localhost');
    expect(lines.slice(1).map((e) => e[2]).join('')).toContain('2');
  });

  it('rejects pty without a command', async () => {
    const c = await api(s, token)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', pty: true });
    expect(c.status).toBe(400);
    expect(c.json.error.message).toMatch(/pty is an option of command/);
  });
});
