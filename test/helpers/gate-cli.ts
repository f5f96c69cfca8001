/**
 * Runs the BUILT client (`node dist/gate.js …`) as a child process with its own fresh
 * `GATE_CONFIG_DIR`, optional stdin, and collects {code, stdout, stderr}. Also the two chores
 * every gate test needs against a `startServer()` service: the certificate fingerprint it
 * printed, and retiring the bootstrap admin's one-time password through the HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './server-process';

export const gateBin = join(repoRoot, 'dist', 'gate.js');

export interface GateResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary round trips. */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  /**
   * Written to gate's stdin, which is then closed; without it stdin is /dev/null;
   * `'keep-open'`: a pipe the test writes to (`child.stdin`) and closes itself.
   */
  stdin?: string | Buffer | 'keep-open';
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface RunningGate {
  child: ChildProcess;
  /** What it has printed so far (code and signal null). */
  output(): GateResult;
  exited: Promise<GateResult>;
}

export interface GateCli {
  configDir: string;
  /** Runs gate to its end (killed and rejected after `timeoutMs`, default 30 s). */
  run(args: string[], opts?: RunOptions): Promise<GateResult>;
  /** Starts gate and returns at once. */
  start(args: string[], opts?: RunOptions): RunningGate;
  /** Removes the config dir. */
  cleanup(): Promise<void>;
}

export async function gateCli(): Promise<GateCli> {
  const configDir = join(await mkdtemp(join(tmpdir(), 'gate-cli-')), 'config');
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, GATE_CONFIG_DIR: configDir, ...extra });
  const start = (args: string[], opts: RunOptions = {}): RunningGate => {
    const child = spawn(process.execPath, [gateBin, ...args], {
      cwd: repoRoot,
      env: env(opts.env),
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.stdin?.on('error', () => undefined); // gate may exit before reading it all
    if (opts.stdin !== undefined && opts.stdin !== 'keep-open') child.stdin!.end(opts.stdin);
    const result = (code: number | null, signal: NodeJS.Signals | null): GateResult => {
      const stdoutBytes = Buffer.concat(out);
      return { code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes };
    };
    const exited = new Promise<GateResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(result(code, signal)));
    });
    return { child, output: () => result(null, null), exited };
  };
  return {
    configDir,
    start,
    async run(args, opts = {}) {
      const running = start(args, opts);
      const timeoutMs = opts.timeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          running.child.kill('SIGKILL');
          const o = running.output();
          reject(new Error(`gate ${args.join(' ')}: no exit within ${timeoutMs} ms\nstdout: ${o.stdout}\nstderr: ${o.stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([running.exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async cleanup() {
      await rm(join(configDir, '..'), { recursive: true, force: true });
    },
  };
}

/** The `sha256:…` fingerprint from the service's "gatehouse: TLS certificate sha256:…" line. */
export function fingerprintFrom(stdoutLines: string[]): string {
  for (const line of stdoutLines) {
    const m = /^gatehouse: TLS certificate (sha256:[0-9a-f]{64})\b/.exec(line);
    if (m) return m[1]!;
  }
  throw new Error(`no "gatehouse: TLS certificate sha256:…" line in:\n${stdoutLines.join('\n')}`);
}

/**
 * JSON over HTTPS to a service with its self-signed certificate (read from its data dir), or
 * over plain HTTP for a `--no-tls` loopback service: the way a test sets things up without going
 * through the client under test.
 */
export async function serviceApi(server: { url: string; dataDir: string }) {
  const tls = server.url.startsWith('https:');
  const ca = tls ? await readFile(join(server.dataDir, 'tls', 'cert.pem')) : undefined;
  const send = tls ? request : httpRequest;
  return (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = send(
        new URL(path, server.url),
        {
          method,
          ...(tls ? { ca, checkServerIdentity: () => undefined } : {}),
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** Logs in as admin@localhost with the one-time password and sets `newPassword`. */
export async function retireBootstrapPassword(server: { url: string; dataDir: string; password: string | null }, newPassword: string): Promise<void> {
  if (!server.password) throw new Error('the service printed no bootstrap password');
  const call = await serviceApi(server);
  const login = await call('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: server.password });
  if (login.status !== 200) throw new Error(`bootstrap login: ${login.status} ${JSON.stringify(login.json)}`);
  const change = await call('POST', '/api/v1/auth/password', { currentPassword: server.password, newPassword }, login.json.token);
  if (change.status !== 204) throw new Error(`password change: ${change.status} ${JSON.stringify(change.json)}`);
  await call('POST', '/api/v1/auth/logout', undefined, login.json.token);
}
