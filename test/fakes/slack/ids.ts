/** Identifiers shaped like Slack's: `U0ABC12DEF`, message ts `1712345678.000123`, trigger ids. */
import { randomBytes, randomInt } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** `U…` user, `C…` channel, `D…` IM, `V…` view, `T…` team, `B…` bot, `A…` app. */
export function slackId(prefix: string): string {
  return prefix + '0' + pick(UPPER_ALNUM, 9);
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Slack's auto-assigned block_id / action_id look like `Ab3x9`. */
export function shortId(): string {
  return pick(ALNUM, 5);
}

export function triggerIdValue(): string {
  return `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${hex(16)}`;
}

/**
 * Message timestamps: unique and increasing within the workspace, `seconds.micro`-like as Slack's.
 * Slack compares them as strings of the same shape, so the sequence part never wraps within one run.
 */
export class TsClock {
  private seq = 0;
  next(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq % 1_000_000).padStart(6, '0')}`;
  }
}
