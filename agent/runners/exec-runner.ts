/**
 * Runs `SHELL -c COMMAND` as the target user without a terminal: stdout and stderr stay
 * separate, stdin is a pipe with real backpressure (credit is granted back only when a write
 * has been flushed to the pipe).
 *
 * The child gets its own process group (`detached`), so killing the stream also kills what
 * the command started, not just the shell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { buildLaunch, KILL_GRACE_MS, resolveUser, type AgentIdentity, type Runner, type RunnerSink, type StartResult } from './runner';

export interface ExecSpec {
  kind: 'exec';
  targetUser: string;
  command: string;
  lang?: string;
}

const DEFAULT_LANG = 'C.UTF-8';

export async function startExec(spec: ExecSpec, who: AgentIdentity, sink: RunnerSink): Promise<StartResult> {
  const u = await resolveUser(spec.targetUser, who);
  if (!u.ok) return u;
  const launch = await buildLaunch(u.user, who, [u.user.shell, '-c', spec.command], { LANG: spec.lang ?? DEFAULT_LANG });
  const child = spawn(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const started = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (e) => resolve(e));
  });
  if (started) return { ok: false, code: 'SPAWN_FAILED', message: `cannot start the command: ${started.message}` };
  return { ok: true, runner: new ExecRunner(child, sink, u.user.shell) };
}

class ExecRunner implements Runner {
  private closed = false;
  private readonly closeWaiters: Array<() => void> = [];

  constructor(
    private readonly child: ChildProcess,
    sink: RunnerSink,
    /** The user's shell, which runs the command (recording header `env.SHELL`). */
    readonly shell: string,
  ) {
    const { stdin, stdout, stderr } = child;
    // The program may exit without reading its input: EPIPE on stdin is expected, not fatal.
    stdin!.on('error', () => {});
    stdout!.on('data', (b: Buffer) => sink.output('data', b));
    stderr!.on('data', (b: Buffer) => sink.output('stderr', b));
    // 'close', not 'exit': it comes after stdout and stderr have been read to the end.
    child.on('close', (code, signal) => {
      this.closed = true;
      sink.exit(signal ? null : code, signal ?? undefined);
      for (const w of this.closeWaiters.splice(0)) w();
    });
    // After a successful spawn only kill() failures land here, and 'close' still follows.
    child.on('error', () => {});
  }

  write(data: Uint8Array, done: () => void): void {
    const stdin = this.child.stdin!;
    if (this.closed || stdin.destroyed || stdin.writableEnded) return done();
    stdin.write(data, () => done());
  }

  endInput(): void {
    const stdin = this.child.stdin!;
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  resize(): void {
    // No terminal.
  }

  pauseOutput(): void {
    this.child.stdout!.pause();
    this.child.stderr!.pause();
  }

  resumeOutput(): void {
    this.child.stdout!.resume();
    this.child.stderr!.resume();
  }

  kill(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      // Nobody reads the output any more; keep it draining so 'close' can fire.
      this.child.stdout!.resume();
      this.child.stderr!.resume();
      this.child.stdin!.destroy();
      this.signalGroup('SIGTERM');
      const t = setTimeout(() => this.signalGroup('SIGKILL'), KILL_GRACE_MS);
      t.unref();
      this.closeWaiters.push(() => clearTimeout(t));
    });
  }

  private signalGroup(sig: NodeJS.Signals): void {
    if (this.closed || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        // Already gone.
      }
    }
  }
}
