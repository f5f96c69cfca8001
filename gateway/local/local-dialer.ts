/**
 * The dialer of the bastion's own `local` target: an embedded agent (`gatehouse agent
 * --stdio`) spawned as a child process, spoken to over its stdin/stdout with the same frames
 * a remote agent uses, so local shells get the same user switching, clean environment and
 * flow control as remote ones.
 *
 * One child serves every channel. It is started lazily on the first open and again on the
 * next open after it died; channels open on a dead child settle with the reason as error.
 * Its stderr is forwarded line by line with a prefix, so its log lines are attributable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GatehouseError } from '../../protocol/errors';
import { abortError, AgentLink } from '../agent/agent-link';
import { byteStreamTransport, type ByteSource } from '../../protocol/frame-transport';
import { toOpenSpec } from '../agent/open-spec';
import type { Channel, Dialer, OpenRequest, TargetRef } from '../types';

export interface LocalDialerOptions {
  /** e.g. [process.execPath, '/usr/lib/gatehouse/dist/gatehouse.js', 'agent', '--stdio'] */
  agentCommand: string[];
  /** The agent's environment; inherited when absent. The agent never passes it to shells. */
  env?: Record<string, string>;
  /** Where the agent's stderr goes (default: our stderr). */
  stderr?: { write(s: string): unknown };
  /** Our own log lines (protocol errors, agent exits). Default: the same as `stderr`. */
  log?: (line: string) => void;
  /** Credit granted to the agent per stream for output. */
  window?: number;
}

export type LocalDialer = Dialer & { close(): Promise<void> };

const PREFIX = '[local agent] ';
const KILL_GRACE_MS = 3000;
const MAX_LINE = 8192;

interface Running {
  child: ChildProcess;
  link: AgentLink;
  gone: Promise<void>;
}

export function createLocalDialer(opts: LocalDialerOptions): LocalDialer {
  if (opts.agentCommand.length === 0) throw new Error('createLocalDialer: agentCommand is empty');
  const err = opts.stderr ?? process.stderr;
  const log = opts.log ?? ((line: string) => err.write(`${line}\n`));
  let current: Running | null = null;
  let closed = false;

  function start(): Running {
    const [file, ...args] = opts.agentCommand as [string, ...string[]];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
    forwardLines(child.stderr!, (line) => err.write(`${PREFIX}${line}\n`));
    // The link ends when the child is gone ('close': exited and its pipes drained), so the
    // reason names the exit status rather than a bare end of stdout.
    const stdout = child.stdout!;
    const source: ByteSource = {
      on(event: string, fn: (...a: any[]) => void) {
        if (event === 'data' || event === 'error') stdout.on(event, fn);
        return source;
      },
      pause: () => stdout.pause(),
    };
    child.stdin!.on('error', () => {}); // EPIPE once the child died; 'close' reports it
    const link = new AgentLink(byteStreamTransport(source, child.stdin!), { label: 'local agent', log, ...(opts.window ? { window: opts.window } : {}) });
    const gone = new Promise<void>((resolve) => {
      child.once('error', (e) => {
        link.close(`cannot start the local agent: ${e.message}`);
        resolve();
      });
      child.once('close', (code, signal) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!link.isClosed) log(`local agent ${how}`);
        link.close(`local agent ${how}`);
        resolve();
      });
    });
    // If the link ends first (protocol error), the agent sees stdin close and exits by itself;
    // make sure it does.
    void link.closed.then(() => terminate(child, gone));
    return { child, link, gone };
  }

  return {
    targetKind: 'local',
    async open(_target: TargetRef, request: OpenRequest, signal: AbortSignal): Promise<Channel> {
      if (closed) throw new GatehouseError('TARGET_UNAVAILABLE', 'the local dialer is closed');
      if (signal.aborted) throw abortError(signal);
      const spec = toOpenSpec(request);
      if (!current || current.link.isClosed) current = start();
      return current.link.open(spec, signal);
    },
    async close(): Promise<void> {
      closed = true;
      const running = current;
      current = null;
      if (!running) return;
      running.link.close('the local dialer closed');
      await terminate(running.child, running.gone);
    },
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the child is gone. */
async function terminate(child: ChildProcess, gone: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return gone;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  t.unref();
  await gone;
  clearTimeout(t);
}

/** Calls `line` for every line of `stream`; overlong lines are cut so memory stays bounded. */
function forwardLines(stream: NodeJS.ReadableStream, line: (s: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      line(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    if (partial.length > MAX_LINE) {
      line(partial);
      partial = '';
    }
  });
  stream.on('end', () => {
    if (partial) line(partial);
  });
}
