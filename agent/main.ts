/**
 * `gatehouse agent`. In `--stdio` mode the agent link runs over stdin/stdout, so stdout carries
 * binary frames and nothing else: every console method is pointed at stderr before anything
 * else runs. In `--server` mode it dials the service over a websocket (server-mode.ts). This is
 * the only agent file that may call process.exit.
 */
import { Socket } from 'node:net';
import { hostname } from 'node:os';
import { AgentSession } from './agent-session';
import { AGENT_USAGE, AGENT_VERSION, parseAgentArgs } from './agent-cli';
import { byteStreamTransport, type ByteSink } from '../protocol/frame-transport';
import { runServerMode } from './server-mode';

const argv = process.argv.slice(2);
if (argv[0] === 'agent') argv.shift(); // run as `gatehouse agent …` or as this file directly

const args = parseAgentArgs(argv);
switch (args.mode) {
  case 'help':
    process.stdout.write(AGENT_USAGE + '\n');
    process.exit(0);
  case 'usage-error':
    process.stderr.write(`gatehouse agent: ${args.message}\n${AGENT_USAGE}\n`);
    process.exit(2);
  case 'server':
    runServer(args);
    break;
  case 'stdio':
    runStdio(args.name);
    break;
}

function runStdio(name: string): void {
  const toStderr = (...a: unknown[]) => console.error(...a);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  const log = (line: string) => process.stderr.write(line + '\n');

  const session = new AgentSession(byteStreamTransport(process.stdin, stdoutSink()), {
    name,
    hostname: hostname(),
    agentVersion: AGENT_VERSION,
    identity: { uid: process.getuid?.() ?? -1 },
    log,
  });
  let exitCode = 0;
  void session.closed.then(() => process.exit(exitCode));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => void session.close(`received ${sig}`));
  }
  process.on('uncaughtException', (e) => {
    // A bug, not a peer's fault: children must not outlive us, so end cleanly with status 1.
    log(`gatehouse agent: internal error: ${e.stack ?? e.message}`);
    exitCode = 1;
    void session.close('internal error');
  });
  session.start();
}

function runServer(args: Extract<ReturnType<typeof parseAgentArgs>, { mode: 'server' }>): void {
  const log = (line: string) => process.stderr.write(line + '\n');
  let stop: ((why: string) => void) | null = null;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => stop?.(`received ${sig}`));
  // SIGHUP (a closed terminal) must not kill the shells the agent serves.
  process.on('SIGHUP', () => undefined);
  process.on('uncaughtException', (e) => {
    // A bug, not a peer's fault: children must not outlive us, so end with status 1.
    log(`gatehouse agent: internal error: ${e.stack ?? e.message}`);
    process.exitCode = 1;
    stop?.('internal error');
    setTimeout(() => process.exit(1), 6000).unref();
  });
  runServerMode(args, { log, onStop: (fn) => (stop = fn) }).then(
    (code) => process.exit(process.exitCode || code),
    (e: Error) => {
      log(`gatehouse agent: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}

/**
 * stdout as an asynchronous socket: Node makes process.stdout blocking for pipes on Linux,
 * which would stall every stream while the gateway is slow to read. Falls back to
 * process.stdout when fd 1 is not a pipe or socket (a file, when debugging by hand).
 */
function stdoutSink(): ByteSink {
  try {
    return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    return process.stdout;
  }
}
