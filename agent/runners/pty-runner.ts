/**
 * Runs the target user's login shell, or a command, on a pseudo-terminal (node-pty).
 *
 * Known limit: node-pty destroys its master socket 200 ms after the program exits. If output
 * is paused at that moment (the gateway granted no credit), whatever is still in the kernel's
 * pty buffer is lost; what the runner already read is kept and sent.
 */
import * as nodePty from 'node-pty';
import type { TermSpec } from '../../protocol/agent-frames';
import { buildLaunch, KILL_GRACE_MS, resolveUser, signalName, type AgentIdentity, type Runner, type RunnerSink, type StartResult } from './runner';
import { prepareShellIntegration } from './shell-integration';

export type PtySpec =
  | { kind: 'shell'; targetUser: string; pty: TermSpec; lang?: string; markerNonce?: string }
  | { kind: 'exec'; targetUser: string; command: string; pty: TermSpec; lang?: string };

const DEFAULT_LANG = 'C.UTF-8';
const WRITE_POLL_MS = 10;

export async function startPty(spec: PtySpec, who: AgentIdentity, sink: RunnerSink): Promise<StartResult> {
  const u = await resolveUser(spec.targetUser, who);
  if (!u.ok) return u;
  const shell = u.user.shell;
  // Command-log markers (issue 5): an init file for bash, an output filter for any shell.
  let integration;
  try {
    integration = spec.kind === 'shell' ? await prepareShellIntegration(shell, spec.markerNonce, u.user, who) : null;
  } catch (e) {
    return { ok: false, code: 'SPAWN_FAILED', message: `cannot prepare the shell: ${(e as Error).message}` };
  }
  // `-l` rather than argv[0] "-bash": env(1) cannot set argv[0], and every common shell honours -l.
  const argv = spec.kind === 'shell' ? (integration?.argv ?? [shell, '-l']) : [shell, '-c', spec.command];
  const launch = await buildLaunch(u.user, who, argv, { TERM: spec.pty.term, LANG: spec.lang ?? DEFAULT_LANG });
  let pty: nodePty.IPty;
  try {
    pty = nodePty.spawn(launch.file, launch.args, {
      name: spec.pty.term,
      cols: spec.pty.cols,
      rows: spec.pty.rows,
      cwd: launch.cwd,
      env: launch.env,
      // Raw bytes: UTF-8 sequences split across reads are reassembled by whoever decodes.
      encoding: null,
    });
  } catch (e) {
    integration?.dispose();
    return { ok: false, code: 'SPAWN_FAILED', message: `cannot start a pty: ${(e as Error).message}` };
  }
  return { ok: true, runner: new PtyRunner(pty, integration ? integration.wrapSink(sink) : sink, shell) };
}

class PtyRunner implements Runner {
  private exited = false;
  private readonly exitWaiters: Array<() => void> = [];
  private readonly writeWaiters: Array<() => void> = [];
  private writeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pty: nodePty.IPty,
    private readonly sink: RunnerSink,
    readonly shell: string,
  ) {
    pty.onData((d: string | Buffer) => {
      const buf = typeof d === 'string' ? Buffer.from(d) : d;
      sink.output('data', buf);
    });
    pty.onExit(({ exitCode, signal }) => {
      this.exited = true;
      this.releaseWriters();
      const sig = signalName(signal);
      sink.exit(sig ? null : exitCode, sig);
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  write(data: Uint8Array, done: () => void): void {
    if (this.exited) return done();
    this.pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.writeWaiters.push(done);
    this.pollWrites();
  }

  /**
   * node-pty queues writes internally without reporting when they drain. Credit is granted
   * back only once that queue is empty, so a shell that does not read its input cannot make
   * the agent buffer without bound. The queue is private API; without it, grant at once.
   */
  private pollWrites(): void {
    if (this.writeTimer) return;
    const queue = (this.pty as unknown as { _writeStream?: { _writeQueue?: unknown[] } })._writeStream?._writeQueue;
    if (!Array.isArray(queue) || queue.length === 0) {
      this.writeTimer = setTimeout(() => {
        this.writeTimer = null;
        this.releaseWriters();
      }, 0);
      return;
    }
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      this.pollWrites();
    }, WRITE_POLL_MS);
  }

  private releaseWriters(): void {
    if (this.writeTimer && this.exited) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    for (const w of this.writeWaiters.splice(0)) w();
  }

  endInput(): void {
    // A terminal has no half-close; the program sees EOF only when the user types ^D.
  }

  resize(cols: number, rows: number): void {
    if (this.exited) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      // The pty closed between exit and this call; nothing to resize.
    }
  }

  pauseOutput(): void {
    this.pty.pause();
  }

  resumeOutput(): void {
    this.pty.resume();
  }

  kill(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      // Reading again lets node-pty see the exit (it waits for its socket to close).
      this.pty.resume();
      this.signal('SIGHUP');
      const t = setTimeout(() => this.signal('SIGKILL'), KILL_GRACE_MS);
      t.unref();
      this.exitWaiters.push(() => clearTimeout(t));
    });
  }

  private signal(sig: string): void {
    if (this.exited) return;
    try {
      this.pty.kill(sig);
    } catch {
      // Already gone.
    }
  }
}
