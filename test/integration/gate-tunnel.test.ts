/**
 * `gate tunnel` through the built service and its embedded agent: bytes both ways intact
 * (hash-compared), half-close carried (the sink answers only after our end), each TCP connection
 * logged, and a refused port reported without harming the listener.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, gateCli, retireBootstrapPassword, type GateCli, type RunningGate } from '../helpers/gate-cli';

const PASSWORD = 'tunnel test password';
let server: ServerProcess;
let gate: GateCli;
let sink: Server;
let tunnel: RunningGate;
let localPort: number;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  buildDist();
  server = await startServer();
  await retireBootstrapPassword(server, PASSWORD);
  gate = await gateCli();
  const login = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', fingerprintFrom(server.stdout)], { stdin: `${PASSWORD}\n` });
  expect(login.code).toBe(0);
  // A service on the target: answers "<bytes>:<sha256>" of what it received, after our half-close.
  sink = createServer((s) => {
    const parts: Buffer[] = [];
    s.on('data', (c) => parts.push(c));
    s.on('end', () => {
      const all = Buffer.concat(parts);
      s.end(`${all.length}:${sha(all)}`);
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = (sink.address() as { port: number }).port;
  tunnel = gate.start(['tunnel', 'local', '--target-port', String(sinkPort)]);
  const deadline = Date.now() + 15000;
  for (;;) {
    const m = /tunnel listening on 127\.0\.0\.1:(\d+) -> local:(\d+)/.exec(tunnel.output().stdout);
    if (m) {
      localPort = Number(m[1]);
      expect(Number(m[2])).toBe(sinkPort);
      break;
    }
    if (Date.now() > deadline) throw new Error(`no listening line: ${JSON.stringify(tunnel.output())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  tunnel?.child.kill('SIGINT');
  await tunnel?.exited;
  sink?.close();
  await gate?.cleanup();
  await server?.stop();
});

function roundTrip(payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(localPort, '127.0.0.1');
    const got: Buffer[] = [];
    c.on('data', (d) => got.push(d));
    c.on('end', () => resolve(Buffer.concat(got).toString()));
    c.on('error', reject);
    c.end(payload);
  });
}

describe('gate tunnel', () => {
  it('carries 16 MiB up and the answer down, intact, with half-close', async () => {
    const payload = randomBytes(16 * 1024 * 1024);
    expect(await roundTrip(payload)).toBe(`${payload.length}:${sha(payload)}`);
  });

  it('serves several connections at once and logs each as a tunnel connection', async () => {
    const payloads = [randomBytes(1000), randomBytes(200_000), Buffer.alloc(0)];
    const answers = await Promise.all(payloads.map(roundTrip));
    expect(answers).toEqual(payloads.map((p) => `${p.length}:${sha(p)}`));
    const lc = await gate.run(['logs', 'connections', '--json']);
    const entries = JSON.parse(lc.stdout) as { state: string; targetName: string }[];
    expect(entries.filter((e) => e.state === 'closed' && e.targetName === 'local').length).toBeGreaterThanOrEqual(4);
  });

  it('reports a refused target port and keeps listening', async () => {
    const closed = gate.start(['tunnel', 'local', '--target-port', '1']);
    let port = 0;
    const deadline = Date.now() + 15000;
    while (!port) {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(closed.output().stdout);
      if (m) port = Number(m[1]);
      else if (Date.now() > deadline) throw new Error('no listening line');
      else await new Promise((r) => setTimeout(r, 50));
    }
    const ended = await new Promise<string>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.on('close', () => resolve('closed'));
      c.on('error', () => undefined);
    });
    expect(ended).toBe('closed');
    await new Promise((r) => setTimeout(r, 200));
    expect(closed.output().stderr).toMatch(/gate: tunnel connection closed by the service: .*(refused|ECONNREFUSED|connect)/i);
    closed.child.kill('SIGINT');
    expect((await closed.exited).code).toBe(0);
    // The first tunnel still works.
    expect(await roundTrip(Buffer.from('still'))).toBe(`5:${sha(Buffer.from('still'))}`);
  });

  it('refuses an unknown target before listening', async () => {
    const r = await gate.run(['tunnel', 'nowhere', '--target-port', '80']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gate: no target named nowhere (gate ls lists yours)\n');
    const u = await gate.run(['tunnel', 'local']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/tunnel needs --target-port P/);
  });
});
