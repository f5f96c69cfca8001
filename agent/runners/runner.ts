/**
 * What the agent session needs from anything it runs for a stream (pty, exec, tcp), and how a
 * process is launched as the target user.
 *
 * Invariants every runner keeps:
 * - `sink.exit` or `sink.fail` is called at most once, after the last `sink.output`.
 * - After `kill()` the sink may still be called; the session ignores it.
 * - `write`'s `done` is called exactly once per call, when the bytes were accepted by the
 *   program (or dropped because it is gone), so credit is granted back only as stdin drains.
 */
import { constants as osConstants } from 'node:os';
import { stat } from 'node:fs/promises';
import type { OpenFailCode } from '../../protocol/agent-frames';
import type { DataKind } from '../../protocol/credit';
import { lookupUser, type PasswdEntry } from './passwd';

export interface RunnerSink {
  output(kind: DataKind, chunk: Uint8Array): void;
  /** No more output will come, but the program may still be running (a TCP half-close). */
  outputEnd(): void;
  exit(code: number | null, signal?: string): void;
  /** The runner ended abnormally after it was opened. */
  fail(reason: string): void;
}

export interface Runner {
  /** The user's shell that runs the session or command (absent for tcp). */
  readonly shell?: string;
  write(data: Uint8Array, done: () => void): void;
  endInput(): void;
  resize(cols: number, rows: number): void;
  pauseOutput(): void;
  resumeOutput(): void;
  /** Ends the program (SIGHUP/SIGTERM, then SIGKILL after a grace period); resolves once it is gone. */
  kill(): Promise<void>;
}

export type StartResult = { ok: true; runner: Runner } | { ok: false; code: OpenFailCode; message: string };

/** Who the agent runs as; decided once by main, never read from the process inside runners. */
export interface AgentIdentity {
  uid: number;
}

export const SETPRIV = '/usr/bin/setpriv';
export const ENV = '/usr/bin/env';
export const KILL_GRACE_MS = 3000;
const USER_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  user: PasswdEntry;
}

/** Resolves the target user and checks the agent may act as them. */
export async function resolveUser(name: string, who: AgentIdentity): Promise<{ ok: true; user: PasswdEntry } | { ok: false; code: OpenFailCode; message: string }> {
  let user: PasswdEntry | null;
  try {
    user = await lookupUser(name);
  } catch (e) {
    return { ok: false, code: 'SPAWN_FAILED', message: (e as Error).message };
  }
  if (!user) return { ok: false, code: 'TARGET_USER_UNKNOWN', message: `no user "${name}" on this host` };
  if (who.uid !== 0 && user.uid !== who.uid) {
    return { ok: false, code: 'NOT_PERMITTED', message: `the agent is not root and can only run as its own user, not "${name}"` };
  }
  return { ok: true, user };
}

/**
 * Builds the command line that runs `argv` as `user` with a clean environment.
 *
 * As root we go through setpriv rather than node-pty's/spawn's uid option, because those call
 * setuid/setgid but not initgroups: the user would lack their supplementary groups.
 * `--reset-env` clears everything but TERM and sets HOME, USER, LOGNAME, SHELL and PATH from
 * passwd, so nothing of the agent's own environment reaches the user's program; env(1) then
 * adds the few variables the session asked for. Not as root, the environment is built by hand.
 */
export async function buildLaunch(user: PasswdEntry, who: AgentIdentity, argv: string[], extra: { TERM?: string; LANG?: string }): Promise<Launch> {
  const extraEnv = Object.entries(extra).filter((e): e is [string, string] => typeof e[1] === 'string');
  const cwd = (await isDir(user.home)) ? user.home : '/';
  if (who.uid === 0) {
    const args = ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--reset-env', '--', ENV,
      ...extraEnv.map(([k, v]) => `${k}=${v}`), ...argv];
    // setpriv keeps TERM from its own environment; give it exactly that and nothing else.
    return { file: SETPRIV, args, env: extra.TERM ? { TERM: extra.TERM } : {}, cwd, user };
  }
  const env: Record<string, string> = { HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell, PATH: USER_PATH };
  for (const [k, v] of extraEnv) env[k] = v;
  return { file: argv[0]!, args: argv.slice(1), env, cwd, user };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

export function signalName(n: number | null | undefined): string | undefined {
  if (!n) return undefined;
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}
