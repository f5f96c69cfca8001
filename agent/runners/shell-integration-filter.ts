/**
 * The agent's filter on a shell's output when shell integration is on (issue 5).
 *
 * The shell's hooks (shell-integration.ts) print private sequences that carry the per-shell
 * nonce in clear:
 *
 *   ESC ] 6973 ; NONCE ; KIND [; FIELD]... BEL      (C's text is percent-encoded by bash)
 *
 * This filter, which sees every byte the pty produces, turns each one whose nonce is right into
 * a wire marker (protocol/agent-frames.ts: sequence number and MAC instead of the nonce; text in
 * base64url), and removes every other sequence of that OSC number, so:
 * - the nonce never leaves the agent: not in the data frames, the recording, the browser;
 * - the only markers the gateway receives are those this filter made, from a sequence that
 *   carried the nonce (a wire marker printed by a program, or replayed from an old recording, is
 *   dropped here, and would fail the MAC at the gateway anyway);
 * - any other occurrence of the nonce in the output (`declare -p`, `set`) is masked with `*`.
 *
 * Invariants: output order is preserved; at most INTRO-1 or NONCE-1 bytes are held back at a
 * chunk boundary (released by `flush()`, which the owner calls on a short timer), plus the body
 * of one marker being collected (bounded by MAX_BODY). A malformed or unfinished sequence is
 * never swallowed whole: only its introducer is dropped and the rest is passed on (nonce
 * masked), so printing a bare introducer cannot hide the echo of what the user types next.
 *
 * Limit: a user who reads the nonce inside their own shell (it has to live there) can print
 * sequences this filter accepts. The gateway's detector checks markers against the keystrokes
 * and the screen (recorder/command-detector.ts), which is what bounds that.
 */
import { createHmac } from 'node:crypto';
import { MARKER_MAC_CHARS, MARKER_OSC, MARKER_TAG, markerMacInput, type MarkerKind } from '../../protocol/agent-frames';

const INTRO = Buffer.from(`\x1b]${MARKER_OSC};`);
const BEL = 0x07;
const ESC = 0x1b;
/** Longest marker body kept; a longer command's marker goes out without its text. */
export const MAX_BODY = 256 * 1024;

type State = 'text' | 'body' | 'skip';

export class MarkerFilter {
  private readonly nonce: Buffer;
  private readonly key: string;
  private seq = 0;
  private state: State = 'text';
  /** Bytes of the current chunk boundary that may start INTRO or the nonce. */
  private carry: Buffer = Buffer.alloc(0);
  private body: Buffer[] = [];
  private bodyLen = 0;
  /** Whether the previous byte of a body was ESC (ESC \ ends an OSC too). */
  private bodyEsc = false;
  private seen = false;

  /** `onFirstMarker` runs once, when the first genuine marker went by (the shell read its rc). */
  constructor(nonce: string, private readonly onFirstMarker?: () => void) {
    this.nonce = Buffer.from(nonce, 'latin1');
    this.key = nonce;
  }

  /** Filters one chunk; returns what may be passed on now (possibly empty). */
  push(chunk: Uint8Array): Buffer {
    const out: Buffer[] = [];
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry.length) {
      data = Buffer.concat([this.carry, data]);
      this.carry = Buffer.alloc(0);
    }
    if (this.bodyEsc) {
      // The previous chunk ended with ESC inside a body: decide with this chunk's first byte.
      data = Buffer.concat([Buffer.of(ESC), data]);
      this.bodyEsc = false;
    }
    let i = 0;
    while (i < data.length) {
      if (this.state === 'text') {
        const at = data.indexOf(INTRO, i);
        if (at < 0) {
          // Hold back a tail that might be the start of an introducer split across chunks.
          const keep = partialSuffix(data, i, INTRO);
          out.push(this.mask(data.subarray(i, data.length - keep), true));
          if (keep) this.carry = Buffer.concat([this.carry, data.subarray(data.length - keep)]);
          break;
        }
        out.push(this.mask(data.subarray(i, at), false));
        i = at + INTRO.length;
        this.state = 'body';
        this.body = [];
        this.bodyLen = 0;
        continue;
      }
      // In a body (or skipping an over-long one): find how it ends.
      let j = i;
      let end: 'st' | 'bel' | 'bad' | null = null;
      for (; j < data.length; j++) {
        const b = data[j]!;
        if (b === BEL) { end = 'bel'; break; }
        if (b === ESC) {
          if (j + 1 >= data.length) break; // decided by the next chunk
          end = data[j + 1] === 0x5c ? 'st' : 'bad';
          break;
        }
        if (b < 0x20 || b === 0x7f) { end = 'bad'; break; }
      }
      const piece = data.subarray(i, j);
      if (this.state === 'skip') {
        if (end === null) {
          if (j < data.length) this.bodyEsc = true; // a lone ESC at the very end
          break;
        }
        this.state = 'text';
        i = end === 'bad' ? j : j + (end === 'st' ? 2 : 1);
        continue;
      }
      this.body.push(Buffer.from(piece));
      this.bodyLen += piece.length;
      if (end === null) {
        if (j < data.length) this.bodyEsc = true;
        if (this.bodyLen > MAX_BODY) {
          const b = Buffer.concat(this.body);
          this.body = [];
          // Too long to keep: if it is ours, report that a command ran, without its text.
          const wire = this.rewrite(b, true);
          out.push(wire ?? this.mask(b, false));
          this.state = wire ? 'skip' : 'text';
        }
        break;
      }
      const b = Buffer.concat(this.body);
      this.body = [];
      this.state = 'text';
      if (end === 'bad') {
        // Not a marker after all: only the introducer is dropped; the rest is text again,
        // from the offending byte on (which may itself start a new sequence).
        out.push(this.mask(b, false));
        i = j;
        continue;
      }
      // A complete sequence of our OSC number: ours is rewritten, anyone else's dropped whole.
      const wire = this.rewrite(b, b.length > MAX_BODY);
      if (wire) out.push(wire);
      i = j + (end === 'st' ? 2 : 1);
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Releases bytes held back at a chunk boundary (an unfinished marker body stays). */
  flush(): Buffer {
    const c = this.carry;
    this.carry = Buffer.alloc(0);
    return this.mask(c, false);
  }

  /** Whether bytes are held back that flush() would release. */
  get holding(): boolean {
    return this.carry.length > 0;
  }

  /**
   * Masks occurrences of the nonce. With `hold`, a tail that might begin the nonce is kept in
   * `carry` instead of being returned.
   */
  private mask(buf: Buffer, hold: boolean): Buffer {
    let b = buf;
    let at = b.indexOf(this.nonce);
    if (at >= 0) {
      b = Buffer.from(b);
      while (at >= 0) {
        b.fill(0x2a, at, at + this.nonce.length);
        at = b.indexOf(this.nonce, at + this.nonce.length);
      }
    }
    if (!hold) return b;
    const keep = partialSuffix(b, 0, this.nonce);
    if (!keep) return b;
    this.carry = Buffer.concat([Buffer.from(b.subarray(b.length - keep)), this.carry]);
    return b.subarray(0, b.length - keep);
  }

  /** A body with the right nonce becomes a wire marker; anything else becomes null. */
  private rewrite(body: Buffer, truncated = false): Buffer | null {
    const n = this.nonce.length;
    if (body.length < n + 2 || !body.subarray(0, n).equals(this.nonce) || body[n] !== 0x3b) return null;
    const rest = body.subarray(n + 1).toString('latin1');
    const f = rest.split(';');
    const kind = f[0] as MarkerKind;
    let fields: string[];
    switch (kind) {
      case 'B':
      case 'K':
        if (f.length !== 1 || truncated) return null;
        fields = [];
        break;
      case 'P':
        if (f.length !== 2 || !isStatus(f[1]!) || truncated) return null;
        fields = [f[1]!];
        break;
      case 'C': {
        if (!isStatus(f[1] ?? '') || (f[2] !== '0' && f[2] !== '1')) return null;
        const text = truncated || f[2] === '0' ? null : pctDecode(f.slice(3).join(';'));
        if (f[2] === '1' && !truncated && text === null) return null;
        fields = [f[1]!, text === null ? '0' : '1', text === null ? '' : text.toString('base64url')];
        break;
      }
      default:
        return null;
    }
    const seq = this.seq++;
    const mac = createHmac('sha256', this.key).update(markerMacInput(seq, kind, fields)).digest('base64url').slice(0, MARKER_MAC_CHARS);
    if (!this.seen) {
      this.seen = true;
      this.onFirstMarker?.();
    }
    return Buffer.from(`\x1b]${MARKER_OSC};${[MARKER_TAG, String(seq), kind, ...fields, mac].join(';')}\x07`, 'latin1');
  }
}

function isStatus(s: string): boolean {
  return /^[0-9]{1,3}$/.test(s) && Number(s) <= 255;
}

/** Decodes bash's percent-encoding (only `%XX`; every other byte stands for itself). */
function pctDecode(s: string): Buffer | null {
  const bytes = Buffer.from(s, 'latin1');
  const out = Buffer.alloc(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x25) {
      out[o++] = b;
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    out[o++] = parseInt(hex, 16);
    i += 2;
  }
  return out.subarray(0, o);
}

/** Length of the longest suffix of buf[from..] that is a proper prefix of `pat`. */
function partialSuffix(buf: Buffer, from: number, pat: Buffer): number {
  const max = Math.min(pat.length - 1, buf.length - from);
  for (let k = max; k > 0; k--) {
    if (buf[buf.length - k] !== pat[0]) continue;
    if (buf.subarray(buf.length - k).equals(pat.subarray(0, k))) return k;
  }
  return 0;
}
