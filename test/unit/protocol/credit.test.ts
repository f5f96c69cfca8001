import { describe, expect, it } from 'vitest';
import { MAX_WINDOW } from '../../../protocol/agent-frames';
import { CreditedSender, RecvWindow, type DataKind } from '../../../protocol/credit';

function collector() {
  const sent: Array<{ kind: DataKind; bytes: number[] }> = [];
  return { sent, emit: (kind: DataKind, chunk: Uint8Array) => sent.push({ kind, bytes: [...chunk] }) };
}

describe('RecvWindow', () => {
  it('refuses bytes beyond the granted credit', () => {
    const w = new RecvWindow(10);
    expect(w.receive(6)).toBe(true);
    expect(w.receive(4)).toBe(true);
    expect(w.receive(1)).toBe(false);
  });

  it('grants back only drained bytes, batched at the threshold', () => {
    const w = new RecvWindow(100, 25);
    expect(w.receive(100)).toBe(true);
    expect(w.drained(10)).toBe(0);
    expect(w.drained(10)).toBe(0);
    expect(w.drained(10)).toBe(30);
    expect(w.available).toBe(30);
    expect(w.receive(31)).toBe(false);
    // Draining everything always yields a grant, whatever the threshold: no deadlock.
    expect(w.drained(70)).toBe(70);
    expect(w.available).toBe(100);
  });

  it('never uses a threshold above the window', () => {
    const w = new RecvWindow(8, 1000);
    w.receive(8);
    expect(w.drained(8)).toBe(8);
  });
});

describe('CreditedSender', () => {
  it('sends only within credit and resumes when credit arrives', () => {
    const c = collector();
    const s = new CreditedSender(5, c.emit, 1024);
    let done = 0;
    s.enqueue('data', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), () => done++);
    expect(c.sent).toEqual([{ kind: 'data', bytes: [1, 2, 3, 4, 5] }]);
    expect(s.backlog).toBe(3);
    expect(done).toBe(0);
    expect(s.grant(2)).toBeNull();
    expect(c.sent.at(-1)).toEqual({ kind: 'data', bytes: [6, 7] });
    expect(done).toBe(0);
    expect(s.grant(10)).toBeNull();
    expect(c.sent.at(-1)).toEqual({ kind: 'data', bytes: [8] });
    expect(done).toBe(1);
    expect(s.available).toBe(9);
  });

  it('cuts frames at maxFrame and keeps order across kinds', () => {
    const c = collector();
    const s = new CreditedSender(100, c.emit, 3);
    s.enqueue('data', new Uint8Array([1, 2, 3, 4]));
    s.enqueue('stderr', new Uint8Array([5, 6]));
    expect(c.sent).toEqual([
      { kind: 'data', bytes: [1, 2, 3] },
      { kind: 'data', bytes: [4] },
      { kind: 'stderr', bytes: [5, 6] },
    ]);
  });

  it('runs a zero-length marker only after everything before it was sent', () => {
    const c = collector();
    const s = new CreditedSender(2, c.emit);
    const order: string[] = [];
    s.enqueue('data', new Uint8Array(4), () => order.push('data'));
    s.enqueue('data', new Uint8Array(0), () => order.push('marker'));
    expect(order).toEqual([]);
    s.grant(2);
    expect(order).toEqual(['data', 'marker']);
  });

  it('reports credit beyond the maximum window', () => {
    const s = new CreditedSender(MAX_WINDOW - 10, () => {});
    expect(s.grant(10)).toBeNull();
    expect(s.grant(1)).toMatch(/exceeds the maximum window/);
  });

  it('releases every waiting writer on close and drops later input', () => {
    const c = collector();
    const s = new CreditedSender(0, c.emit);
    let done = 0;
    s.enqueue('data', new Uint8Array(3), () => done++);
    s.enqueue('data', new Uint8Array(3), () => done++);
    s.close();
    expect(done).toBe(2);
    s.enqueue('data', new Uint8Array(3), () => done++);
    expect(done).toBe(3);
    s.grant(10);
    expect(c.sent).toEqual([]);
  });
});
