/**
 * Remote agents for tests: the BUILT agent (`node dist/gatehouse.js agent --server …`) as a child
 * process whose stderr lines a test can wait for, and a raw agent-link client over `ws` that
 * speaks the handshake itself (to send a wrong signature, or garbage once authenticated).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { AGENT_PROTOCOL_VERSION, agentAuthMessage, decodeFrame, encodeFrame, type Frame } from '../../protocol/agent-frames';
import { repoRoot } from './server-process';

const gatehouseBin = join(repoRoot, 'dist', 'gatehouse.js');

export interface AgentProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first stderr line (from index `from` on) matching `pattern`. */
  waitFor(pattern: RegExp, ms?: number, from?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (also continues a stopped process first). */
  kill(): Promise<void>;
}

export function startAgent(args: string[]): AgentProcess {
  const child = spawn(process.execPath, [gatehouseBin, 'agent', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters) w();
  };
  createInterface({ input: child.stderr! }).on('line', onLine);
  createInterface({ input: child.stdout! }).on('line', (l) => onLine(`[stdout] ${l}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of waiters) w();
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor(pattern, ms = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find((l) => pattern.test(l));
          if (hit !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`agent exited (${child.exitCode ?? child.signalCode}) before ${pattern}; stderr:\n${lines.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no agent line matching ${pattern} within ${ms} ms; stderr:\n${lines.join('\n')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `gatehouse keys create --registration` on the data dir of a running service: `ID:SECRET`. */
export function createRegistrationKey(dataDir: string, name: string): string {
  const out = execFileSync(process.execPath, [gatehouseBin, 'keys', 'create', '--name', name, '--registration', '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
  const k = JSON.parse(out) as { id: string; secret: string };
  return `${k.id}:${k.secret}`;
}

export interface RawAgent {
  ws: WebSocket;
  /** Frames received (decoded). */
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the gateway accepted us (its first frame after the hellos, a ping). */
  accepted: Promise<void>;
  sendRaw(bytes: Uint8Array | string): void;
}

/**
 * Dials `/ws/agent` and answers the challenge as `name`, signing with `key` — or with
 * `signature` verbatim when given (a wrong one). Answers pings once accepted.
 */
export function rawAgent(wsUrl: string, name: string, key: KeyObject | null, opts: { signature?: string; tls?: WebSocket.ClientOptions } = {}): Promise<RawAgent> {
  const ws = new WebSocket(wsUrl, { ...opts.tls, maxPayload: 8 * 1024 * 1024 });
  const frames: Frame[] = [];
  let accept!: () => void;
  const accepted = new Promise<void>((r) => (accept = r));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let helloSent = false;
  ws.on('message', (data: Buffer) => {
    const r = decodeFrame(data);
    if (!r.ok) throw new Error(`the gateway sent a bad frame: ${r.error}`);
    const f = r.frame;
    frames.push(f);
    if (!helloSent && f.type === 'hello' && f.body.role === 'gateway') {
      helloSent = true;
      const challenge = f.body.challenge ?? '';
      const signature = opts.signature ?? sign(null, Buffer.from(agentAuthMessage(challenge, name)), key!).toString('base64url');
      ws.send(encodeFrame({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name, hostname: 'raw-test', agentVersion: 'test', signature } }));
      return;
    }
    if (helloSent) accept();
    if (f.type === 'ping') ws.send(encodeFrame({ type: 'pong', stream: 0, nonce: f.nonce }));
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        closed,
        accepted,
        sendRaw: (bytes) => (typeof bytes === 'string' ? ws.send(bytes) : ws.send(bytes, { binary: true })),
      }),
    );
    ws.once('error', reject);
  });
}
