/**
 * End-to-end flow control: 1 GiB of remote output to a client that reads slower than the target
 * produces. The service must not buffer the difference: its RSS may grow only by a bounded
 * window (< 64 MiB), and every byte must arrive (the target's sha256 of what it sent, on
 * stderr, equals ours of what we received).
 *
 * The stream is text (base64 of random bytes, like a big log being cat'ed), which is what a
 * terminal carries. Known limit: raw binary output (NUL bytes, invalid UTF-8) through a
 * recorded exec costs ~6× its size in JSON escapes, and the garbage grows V8's heap by ~90 MiB
 * before it is collected; that is heap churn, not buffered data, and is tracked separately.
 *
 * It runs alone, after the rest of the suite (project 'alone' in vitest.config.ts): beside
 * another test file's processes, V8 collects later and the growth measured the neighbour (a CI
 * run saw 81 MiB where it alone sees 40–50).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { retireBootstrapPassword, serviceApi } from '../helpers/gate-cli';
import { STREAM_STDERR, STREAM_STDOUT } from '../../protocol/terminal-messages';

const TOTAL = 1024 * 1024 * 1024;
const PASSWORD = 'flow control password';
let server: ServerProcess;
let token: string;

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

beforeAll(async () => {
  buildDist();
  server = await startServer({ extraArgs: ['--no-tls'] });
  await retireBootstrapPassword(server, PASSWORD);
  token = (await (await serviceApi(server))('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: PASSWORD })).json.token;
});
afterAll(async () => {
  await server?.stop();
});

describe('flow control', () => {
  it('a slow reader of 1 GiB keeps the service RSS bounded and loses nothing', async () => {
    const command = `head -c ${(TOTAL / 4) * 3} /dev/urandom | base64 -w 76 | head -c ${TOTAL} | tee >(sha256sum >&2); wait $!`;
    const c = await (
      await fetch(`${server.url}/api/v1/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: 'local', targetUser: 'root', command }),
      })
    ).json();
    const pid = server.child.pid!;
    const baseline = rssKiB(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50);

    const hash = createHash('sha256');
    let received = 0;
    let stderr = '';
    let exit: number | null = null;
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}${c.wsPath}`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'eof' })));
    let sinceNap = 0;
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) {
        const m = JSON.parse(data.toString());
        if (m.type === 'exit') exit = m.code;
        return;
      }
      const body = data.subarray(1);
      if (data[0] === STREAM_STDERR) stderr += body.toString();
      else if (data[0] === STREAM_STDOUT) {
        hash.update(body);
        received += body.length;
        sinceNap += body.length;
        // The slow reader: stop reading for 40 ms after every 4 MiB (≈ 100 MB/s at most).
        if (sinceNap >= 4 * 1024 * 1024) {
          sinceNap = 0;
          ws.pause();
          setTimeout(() => ws.resume(), 40);
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    clearInterval(sampler);

    expect(exit).toBe(0);
    expect(received).toBe(TOTAL);
    expect(stderr.trim().split(/\s+/)[0]).toBe(hash.digest('hex'));
    const growthMiB = (peak - baseline) / 1024;
    console.log(`service RSS baseline ${(baseline / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB, growth ${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(64);
  }, 180_000);
});
