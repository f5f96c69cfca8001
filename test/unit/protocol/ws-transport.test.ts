import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../protocol/agent-frames';
import { truncateUtf8, webSocketTransport, type WebSocketLike } from '../../../protocol/ws-transport';

/** A stand-in for a `ws` WebSocket: records what was sent and how it was closed. */
class FakeWs extends EventEmitter implements WebSocketLike {
  readyState = 1;
  sent: Uint8Array[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
}

function setup() {
  const ws = new FakeWs();
  const t = webSocketTransport(ws, { peer: 'the agent' });
  const frames: Uint8Array[] = [];
  const invalid: string[] = [];
  const ends: string[] = [];
  t.start({ frame: (f) => frames.push(f), invalid: (r) => invalid.push(r), end: (r) => ends.push(r) });
  return { ws, t, frames, invalid, ends };
}

describe('webSocketTransport', () => {
  it('delivers one frame per binary message (Buffer, ArrayBuffer or fragments) and sends frames as messages', () => {
    const { ws, t, frames } = setup();
    const a = encodeFrame({ type: 'ping', stream: 0, nonce: 1 });
    const b = encodeFrame({ type: 'data', stream: 3, data: new Uint8Array(100).fill(7) });
    ws.emit('message', Buffer.from(a), true);
    ws.emit('message', b.slice().buffer, true);
    ws.emit('message', [Buffer.from(b.subarray(0, 10)), Buffer.from(b.subarray(10))], true);
    expect(frames.map((f) => Buffer.from(f))).toEqual([Buffer.from(a), Buffer.from(b), Buffer.from(b)]);
    t.send(a);
    expect(ws.sent).toEqual([a]);
  });

  it.each([
    ['a text message', (ws: FakeWs) => ws.emit('message', Buffer.from('hello'), false), /text message/],
    ['a message shorter than a length field', (ws: FakeWs) => ws.emit('message', Buffer.from([0, 0]), true), /shorter than a frame length field/],
    ['a truncated frame', (ws: FakeWs) => ws.emit('message', Buffer.from(encodeFrame({ type: 'eof', stream: 1 })).subarray(0, 8), true), /length field of 5/],
    ['two frames in one message', (ws: FakeWs) => {
      const f = encodeFrame({ type: 'eof', stream: 1 });
      ws.emit('message', Buffer.concat([f, f]), true);
    }, /18 bytes carries a frame length field of 5/],
  ])('reports %s as invalid, closes with 1002 and ends once', (_name, send, pattern) => {
    const { ws, frames, invalid, ends } = setup();
    send(ws);
    ws.emit('message', Buffer.from(encodeFrame({ type: 'ping', stream: 0, nonce: 1 })), true);
    expect(frames).toEqual([]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatch(pattern);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatch(/^protocol error: /);
    expect(ws.closedWith?.code).toBe(1002);
  });

  it('ends with the peer close code and reason, and drops sends afterwards', () => {
    const { ws, t, ends } = setup();
    ws.readyState = 3;
    ws.emit('close', 4401, Buffer.from('agent authentication failed'));
    ws.emit('error', new Error('late'));
    expect(ends).toEqual(['the agent closed the link (4401 agent authentication failed)']);
    t.send(encodeFrame({ type: 'ping', stream: 0, nonce: 1 }));
    expect(ws.sent).toEqual([]);
    expect(ws.closedWith).toBeNull();
  });

  it('ends on a socket error (an oversized message, say)', () => {
    const { ws, ends } = setup();
    ws.emit('error', new RangeError('Max payload size exceeded'));
    ws.emit('close', 1009, Buffer.alloc(0));
    expect(ends).toEqual(['link error: Max payload size exceeded']);
  });

  it('closes with our code and a reason cut to 123 bytes', () => {
    const { ws, t, ends } = setup();
    const long = 'é'.repeat(100);
    t.close(long, 4408);
    t.close('again', 1000);
    expect(ends).toEqual([long]);
    expect(ws.closedWith?.code).toBe(4408);
    expect(Buffer.byteLength(ws.closedWith!.reason!)).toBeLessThanOrEqual(123);
    expect(ws.closedWith!.reason).toMatch(/^é+\.\.\.$/);
  });

  it('truncateUtf8 leaves short text alone', () => {
    expect(truncateUtf8('target offline')).toBe('target offline');
    expect(Buffer.byteLength(truncateUtf8('x'.repeat(500)))).toBe(123);
  });
});
