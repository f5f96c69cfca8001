import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../../../server/store/time-ordered-id';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId (UUIDv7)', () => {
  it('is a version 7, RFC 9562 variant UUID whose first 48 bits are the milliseconds', () => {
    const at = Date.UTC(2026, 10, 22, 1, 2, 3, 456);
    const id = timeOrderedId(at + 10_000_000); // later than any id made so far in this file
    expect(id).toMatch(V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at + 10_000_000);
  });

  it('sorts in creation order, also many in the same millisecond and when the clock steps back', () => {
    const t = Date.now() + 20_000_000;
    const ids = [
      ...Array.from({ length: 10_000 }, () => timeOrderedId(t)),
      timeOrderedId(t - 5000), // the clock stepped back: still after the previous one
      ...Array.from({ length: 100 }, (_, i) => timeOrderedId(t + 1 + i)),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(V7);
  });

  it('keeps 62 random bits: two ids of the same millisecond differ in their last 8 digits', () => {
    const t = Date.now() + 30_000_000;
    const tails = new Set(Array.from({ length: 1000 }, () => timeOrderedId(t).slice(-8)));
    expect(tails.size).toBeGreaterThan(990);
  });
});
