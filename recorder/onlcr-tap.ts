/**
 * What a terminal's `onlcr` does, for output that never went through one: a command run
 * without a pty writes bare "\n", which a player (a terminal) draws as a staircase. This tap
 * turns each "\n" not already after "\r" into "\r\n" before the inner tap (the recording sink)
 * sees it, remembering the last byte across chunks. Only output is changed; what the client
 * receives is untouched (its own terminal, or a pipe, decides).
 */
import type { SessionEvent, SessionTap } from '../protocol/session-events';

export function toCrlf(data: Uint8Array, lastWasCr: boolean): { out: Uint8Array; lastWasCr: boolean } {
  let extra = 0;
  let prevCr = lastWasCr;
  for (const b of data) {
    if (b === 0x0a && !prevCr) extra++;
    prevCr = b === 0x0d;
  }
  if (extra === 0) return { out: data, lastWasCr: data.length ? data[data.length - 1] === 0x0d : lastWasCr };
  const out = new Uint8Array(data.length + extra);
  let j = 0;
  prevCr = lastWasCr;
  for (const b of data) {
    if (b === 0x0a && !prevCr) out[j++] = 0x0d;
    out[j++] = b;
    prevCr = b === 0x0d;
  }
  return { out, lastWasCr: prevCr };
}

export function onlcrTap(inner: SessionTap): SessionTap {
  let lastWasCr = false;
  return {
    name: `${inner.name} (onlcr)`,
    onEvent(e: SessionEvent) {
      if (e.kind !== 'o') return inner.onEvent(e);
      const r = toCrlf(e.data, lastWasCr);
      lastWasCr = r.lastWasCr;
      inner.onEvent({ ...e, data: r.out });
    },
    get failure() {
      return inner.failure;
    },
    backlog: () => inner.backlog(),
    whenDrained: () => inner.whenDrained(),
    close: () => inner.close(),
  };
}
