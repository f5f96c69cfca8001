/**
 * Runs one terminal websocket (`/ws/connections/:id`) against this process's stdio, the way ssh
 * does, and settles with the exit code to return.
 *
 * - `shell` mode (shells, `-t` execs, attach): stdin in raw mode when it is a tty, bytes both
 *   ways untagged, resize on SIGWINCH, `~.` at the start of a line detaches (the shell keeps
 *   running on the service; `gate attach` continues it).
 * - `exec` mode: each output frame carries a tag byte, 1 = stdout, 2 = stderr; stdin (a pipe or
 *   the tty in cooked mode, as `ssh host cmd` reads it) goes out unprefixed and its end is sent
 *   as `{type:'eof'}`.
 *
 * The exit code is the remote one from the `exit` control; 255 when the connection ended
 * without one (the reason is printed as ssh does), or the remote died of a signal.
 *
 * Flow control both ways: output is written to stdout/stderr and the socket is paused while
 * they are full; stdin is paused while the socket has more than HIGH_WATER bytes unsent. Nothing
 * is buffered without a bound.
 */
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { parseServerControl, STREAM_STDERR, STREAM_STDOUT, MAX_TERM_COLS, MAX_TERM_ROWS, type ClientControl } from '../../protocol/terminal-messages';
import { CLOSE } from '../../protocol/close-codes';
import { CliError } from '../cli-errors';
import type { Deps } from '../deps';
import { describeNetworkError, type Endpoint } from './api-transport';

export type TerminalMode = 'shell' | 'exec';

export interface TerminalSessionOptions {
  ws: WebSocket;
  endpoint: Endpoint;
  mode: TerminalMode;
  /** `TUSER@TARGET`, for "Connection to … closed". */
  label: string;
  connectionId: string;
  /** Exec only: do not read stdin, send eof at once (`-n`). */
  noStdin?: boolean;
  io: Pick<Deps, 'stdin' | 'stdout' | 'stderr' | 'onSignal'>;
}

/** The service rejects input frames above 64 KiB; stay well below. */
const MAX_FRAME = 32 * 1024;
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** After the exit control the service closes the socket; don't wait forever if it doesn't. */
const CLOSE_GRACE_MS = 5_000;

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGTERM: 143, SIGINT: 130 };

export function terminalSize(stdout: NodeJS.WriteStream): { cols: number; rows: number } {
  const clamp = (v: number | undefined, max: number, dflt: number) => (v && v > 0 ? Math.min(v, max) : dflt);
  return stdout.isTTY ? { cols: clamp(stdout.columns, MAX_TERM_COLS, 80), rows: clamp(stdout.rows, MAX_TERM_ROWS, 24) } : { cols: 80, rows: 24 };
}


/**
 * ssh-style escapes: `~` right after a newline (or at the start) is held back; `~.` detaches,
 * `~?` lists the escapes, `~~` sends one `~`, `~` + anything else sends both.
 */
export class EscapeReader {
  private atLineStart = true;
  private pending = false;

  feed(chunk: Buffer, onCommand: (c: '.' | '?') => void): Buffer {
    if (!this.pending && !chunk.includes(0x7e)) {
      if (chunk.length) this.atLineStart = chunk[chunk.length - 1] === 0x0d || chunk[chunk.length - 1] === 0x0a;
      return chunk;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (this.pending) {
        this.pending = false;
        if (b === 0x2e /* . */) {
          onCommand('.');
          return Buffer.from(out);
        }
        if (b === 0x3f /* ? */) {
          onCommand('?');
          continue;
        }
        if (b !== 0x7e) out.push(0x7e);
        out.push(b);
      } else if (this.atLineStart && b === 0x7e) {
        this.pending = true;
        continue;
      } else out.push(b);
      this.atLineStart = b === 0x0d || b === 0x0a;
    }
    return Buffer.from(out);
  }
}

/**
 * libuv's raw mode keeps the terminal's output processing on (OPOST with ONLCR), so the remote
 * pty's "\r\n" would reach the local terminal as "\r\r\n": the same on screen, but not the bytes
 * `ssh -tt` gives to whatever records the terminal. Like ssh, turn it off while the shell runs;
 * setRawMode(false) restores the settings saved when raw mode began, OPOST included. Best
 * effort: without `stty` the output keeps the extra "\r".
 */
function clearOutputProcessing(stdin: NodeJS.ReadStream): void {
  const fd = (stdin as NodeJS.ReadStream & { fd?: unknown }).fd;
  if (typeof fd !== 'number') return;
  spawnSync('stty', ['-opost'], { stdio: [fd, 'ignore', 'ignore'], timeout: 2000 });
}

export function runTerminalSession(opts: TerminalSessionOptions): Promise<number> {
  const { ws, mode, io } = opts;
  const { stdin, stdout, stderr } = io;
  const rawTty = mode === 'shell' && stdin.isTTY === true;
  const escapes = rawTty ? new EscapeReader() : null;

  let opened = false;
  let attached = false;
  let exit: { code: number | null; signal?: string } | null = null;
  let detached = false;
  let endedBySignal: NodeJS.Signals | null = null;
  let stdoutBroken = false;
  let netError: Error | null = null;
  let stdinPaused = false;
  let outputPaused = false;
  let cleanedUp = false;
  const unsubscribe: (() => void)[] = [];

  const nl = () => (rawTty && opened && !cleanedUp ? '\r\n' : '\n');
  const sendControl = (msg: ClientControl) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };

  const afterSend = () => {
    if (stdinPaused && ws.bufferedAmount < LOW_WATER) {
      stdinPaused = false;
      stdin.resume();
    }
  };
  const sendInput = (data: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN || data.length === 0) return;
    for (let i = 0; i < data.length; i += MAX_FRAME) ws.send(data.subarray(i, i + MAX_FRAME), { binary: true }, afterSend);
    if (ws.bufferedAmount > HIGH_WATER && !stdinPaused) {
      stdinPaused = true;
      stdin.pause();
    }
  };

  const onInput = (chunk: Buffer) => {
    const data = escapes
      ? escapes.feed(chunk, (c) => {
          if (c === '?') stderr.write('\r\nSupported escape sequences:\r\n  ~.  detach (the shell keeps running; gate attach continues it)\r\n  ~?  this help\r\n  ~~  send ~\r\n');
          else {
            detached = true;
            ws.close(CLOSE.NORMAL, 'detached');
          }
        })
      : chunk;
    if (!detached) sendInput(data);
  };
  const onInputEnd = () => sendControl({ type: 'eof' });
  const onResize = () => sendControl({ type: 'resize', ...terminalSize(stdout) });
  const onOutputError = () => {
    // The reader of our output went away (`gate connect t -- yes | head`): stop quietly.
    stdoutBroken = true;
    ws.terminate();
  };

  const cleanup = () => {
    if (cleanedUp) return;
    cleanedUp = true;
    stdin.off('data', onInput);
    stdin.off('end', onInputEnd);
    stdout.off('resize', onResize);
    if (rawTty) stdin.setRawMode(false);
    stdin.pause();
    unsubscribe.forEach((u) => u());
  };

  const writeOutput = (out: NodeJS.WriteStream, data: Buffer) => {
    if (stdoutBroken) return;
    if (!out.write(data) && !outputPaused) {
      outputPaused = true;
      ws.pause();
      out.once('drain', () => {
        outputPaused = false;
        ws.resume();
      });
    }
  };

  return new Promise<number>((resolve, reject) => {
    stdout.once('error', onOutputError);
    unsubscribe.push(() => stdout.off('error', onOutputError));
    for (const sig of ['SIGHUP', 'SIGTERM'] as const) {
      unsubscribe.push(
        io.onSignal(sig, () => {
          endedBySignal = sig;
          ws.close(CLOSE.NORMAL, 'client ended');
          setTimeout(() => ws.terminate(), 2_000).unref();
        }),
      );
    }

    ws.on('open', () => {
      opened = true;
      if (rawTty) {
        stdin.setRawMode(true);
        clearOutputProcessing(stdin);
      }
      if (mode === 'shell') stdout.on('resize', onResize);
      if (mode === 'exec' && opts.noStdin) {
        sendControl({ type: 'eof' });
        return;
      }
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    });

    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      // ws hands over a Buffer of its own per message (default binaryType): use it, do not copy it.
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        if (mode === 'shell') return writeOutput(stdout, buf);
        const tag = buf[0];
        if (tag === STREAM_STDOUT) writeOutput(stdout, buf.subarray(1));
        else if (tag === STREAM_STDERR) writeOutput(stderr, buf.subarray(1));
        // An untagged or unknown frame breaks the exec contract; dropping it beats corrupting output.
        return;
      }
      const msg = parseServerControl(buf.toString('utf8'));
      if (!msg) return;
      if (msg.type === 'attached') {
        attached = true;
        const size = terminalSize(stdout);
        if (mode === 'shell' && stdout.isTTY && (size.cols !== msg.cols || size.rows !== msg.rows)) onResize();
      } else if (msg.type === 'exit') {
        exit = { code: msg.code, ...(msg.signal ? { signal: msg.signal } : {}) };
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      } else if (msg.type === 'notice') {
        stderr.write(`${nl()}gate: ${msg.message}${nl()}`);
      }
    });

    ws.on('error', (e) => {
      netError = e;
    });

    ws.on('close', (code: number, reasonBuf: Buffer) => {
      const reason = reasonBuf.toString('utf8');
      cleanup();
      if (exit) {
        if (exit.signal && mode === 'exec') stderr.write(`gate: the command was killed by ${exit.signal}\n`);
        return resolve(exit.code ?? 255);
      }
      if (stdoutBroken) return resolve(141);
      if (endedBySignal) return resolve(SIGNAL_EXIT[endedBySignal] ?? 255);
      if (detached) {
        stderr.write(`\ngate: detached from ${opts.connectionId}; it keeps running: gate attach ${opts.connectionId}\n`);
        return resolve(0);
      }
      if (!attached) {
        if (code === CLOSE.UNAUTHENTICATED) return reject(new CliError('not logged in: the session has expired or was ended; run gate login'));
        if (reason) return reject(new CliError(reason));
        if (netError) return reject(new CliError(describeNetworkError(opts.endpoint, netError), { cause: netError }));
        return reject(new CliError(`the service closed the terminal (websocket code ${code})`));
      }
      const why = reason || (netError ? netError.message : code === 1006 ? 'the network connection was lost' : '');
      stderr.write(`${rawTty ? '\n' : ''}Connection to ${opts.label} closed${why ? `: ${why}` : '.'}\n`);
      resolve(255);
    });
  });
}
