/**
 * In-memory stand-ins for what a LiveConnection talks to: a channel whose output the test pushes,
 * and a client that keeps what it is sent. For unit tests of the connection's own logic (screen,
 * flow control); tests of the real paths use real agents and clients.
 */
import { Duplex } from 'node:stream';
import type { Channel, ChannelExit, TerminalClient } from '../../gateway/types';
import type { ServerControl } from '../../protocol/terminal-messages';

export class FakeClient implements TerminalClient {
  readonly out: Buffer[] = [];
  readonly controls: ServerControl[] = [];
  constructor(readonly label: string) {}
  sendOutput(data: Uint8Array): void {
    this.out.push(Buffer.from(data));
  }
  sendControl(msg: ServerControl): void {
    this.controls.push(msg);
  }
  backlog(): number {
    return 0;
  }
  whenDrained(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

export function fakeChannel(): { channel: Channel; output(text: string | Buffer): void } {
  let exited!: (e: ChannelExit) => void;
  const io = new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  const channel: Channel = {
    kind: 'shell',
    io,
    exit: new Promise<ChannelExit>((r) => (exited = r)),
    shell: '/bin/sh',
    resize() {},
    close() {
      exited({ code: null, signal: 'SIGHUP' });
      io.push(null);
    },
  };
  return { channel, output: (text) => io.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text) };
}
