/**
 * Connection ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter (random
 * start) and 62 random bits. They sort by creation time, so the rows keyed by them
 * (`commands (connection_id, seq)`, connection_events) are inserted near the end of their
 * indexes, where the pages are already in the cache, instead of at random places in a large
 * B-tree: measured at 300,000 command rows, random v4 ids cost the command writer ~10 µs more
 * per row. The random part keeps them as hard to guess as a v4 id is in practice; visibility is
 * enforced by the API anyway (404).
 */
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

export function timeOrderedId(now: number = Date.now()): string {
  const b = randomBytes(16);
  // Within one millisecond, a 12-bit counter in rand_a keeps ids of this process in order.
  if (now <= lastMs) {
    now = lastMs;
    seq = (seq + 1) & 0xfff;
    if (seq === 0) now = ++lastMs;
  } else {
    lastMs = now;
    seq = b.readUInt16BE(6) & 0x7ff; // start low so the counter rarely wraps
  }
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
