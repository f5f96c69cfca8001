/**
 * A TCP connection from the agent's host (tunnels, proxy targets). Half-close is carried both
 * ways: the gateway's eof ends our write side, the remote's FIN becomes an eof to the gateway.
 * A clean close reports exit code 0; a reset or other socket error fails the stream.
 */
import { connect, type Socket } from 'node:net';
import type { Runner, RunnerSink, StartResult } from './runner';

export interface TcpSpec {
  kind: 'tcp';
  host: string;
  port: number;
}

export const CONNECT_TIMEOUT_MS = 15_000;

export function startTcp(spec: TcpSpec, sink: RunnerSink, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<StartResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port, allowHalfOpen: true });
    const where = `${spec.host}:${spec.port}`;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, code: 'CONNECT_FAILED', message: `connect to ${where} timed out` });
    }, connectTimeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: 'CONNECT_FAILED', message: `connect to ${where} failed: ${(e as NodeJS.ErrnoException).code ?? e.message}` });
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve({ ok: true, runner: new TcpRunner(socket, sink) });
    });
  });
}

class TcpRunner implements Runner {
  readonly shell = undefined;
  private error: string | null = null;
  private gone = false;
  private readonly closeWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    sink: RunnerSink,
  ) {
    socket.on('data', (b: Buffer) => sink.output('data', b));
    socket.on('end', () => sink.outputEnd());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= `connection error: ${e.code ?? e.message}`;
    });
    socket.on('close', (hadError) => {
      this.gone = true;
      if (hadError || this.error) sink.fail(this.error ?? 'connection error');
      else sink.exit(0);
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  write(data: Uint8Array, done: () => void): void {
    if (this.gone || this.socket.destroyed || this.socket.writableEnded) return done();
    this.socket.write(data, () => done());
  }

  endInput(): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  resize(): void {
    // No terminal.
  }

  pauseOutput(): void {
    this.socket.pause();
  }

  resumeOutput(): void {
    this.socket.resume();
  }

  kill(): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.socket.destroy();
    });
  }
}
