/**
 * Login rate limiting per account and per source address: after FREE_FAILURES failures in the
 * window, each further attempt must wait an exponentially growing lockout (capped). In memory:
 * a restart forgets it, which is acceptable for throttling online guessing.
 */
const WINDOW_MS = 15 * 60 * 1000;
const FREE_FAILURES = 5;
const MAX_LOCK_MS = 15 * 60 * 1000;
const MAX_KEYS = 100_000;

interface Entry {
  failures: number;
  first: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  /** Milliseconds the caller must still wait, or 0. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const k of keys) {
      let e = this.entries.get(k);
      if (!e || now - e.first > WINDOW_MS) {
        e = { failures: 0, first: now, lockedUntil: 0 };
        if (this.entries.size >= MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(k, e);
      }
      e.failures++;
      if (e.failures > FREE_FAILURES) e.lockedUntil = now + Math.min(MAX_LOCK_MS, 1000 * 2 ** (e.failures - FREE_FAILURES - 1));
    }
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.entries.delete(k);
  }
}
