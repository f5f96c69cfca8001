import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { byteStreamTransport as agentSide, byteStreamTransport as gatewaySide } from '../../../protocol/frame-transport';
import { encodeFrame, MAX_FRAME_BYTES } from '../../../protocol/agent-frames';
import { tick } from '../gateway/frame-peer';

// Both ends of a link use this one transport.
describe.each([
  ['agent', agentSide],
  ['gateway', gatewaySide],
])('byteStreamTransport (%s copy)', (_side, byteStreamTransport) => {
  function setup() {
    const input = new PassThrough();
    const output = new PassThrough();
    const t = byteStreamTransport(input, output);
    const frames: Uint8Array[] = [];
    const invalid: string[] = [];
    const ends: string[] = [];
    t.start({ frame: (f) => frames.push(f), invalid: (r) => invalid.push(r), end: (r) => ends.push(r) });
    return { input, output, t, frames, invalid, ends };
  }

  it('delivers whole frames from arbitrary chunks and writes frames out', async () => {
    const { input, output, t, frames } = setup();
    const a = encodeFrame({ type: 'ping', stream: 0, nonce: 1 });
    const b = encodeFrame({ type: 'data', stream: 3, data: new Uint8Array(1000).fill(7) });
    const all = Buffer.concat([a, b]);
    input.write(all.subarray(0, 5));
    input.write(all.subarray(5, 600));
    input.write(all.subarray(600));
    await tick(10);
    expect(frames.map((f) => Buffer.from(f))).toEqual([Buffer.from(a), Buffer.from(b)]);
    t.send(a);
    expect(output.read()).toEqual(Buffer.from(a));
  });

  it('reports an unframeable stream as invalid, then ends once', async () => {
    const { input, invalid, ends, frames } = setup();
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    input.write(bad);
    input.write(encodeFrame({ type: 'ping', stream: 0, nonce: 1 }));
    await tick(10);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatch(/exceeds/);
    expect(ends).toHaveLength(1);
    expect(frames).toEqual([]);
  });

  it('ends once when the peer closes, and drops sends afterwards', async () => {
    const { input, output, t, ends } = setup();
    input.end();
    await tick(10);
    expect(ends).toEqual(['the peer closed the link']);
    t.send(encodeFrame({ type: 'ping', stream: 0, nonce: 1 }));
    t.close('again');
    expect(ends).toHaveLength(1);
    expect(output.writableEnded).toBe(true);
  });

  it('ends with our reason on close', () => {
    const { t, ends, output } = setup();
    t.close('shutting down');
    expect(ends).toEqual(['shutting down']);
    expect(output.writableEnded).toBe(true);
  });
});
