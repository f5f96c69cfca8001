/**
 * Authentication of the shell-integration wire markers the agent puts into a shell's output
 * (format: protocol/agent-frames.ts). The detector hands over each OSC payload of the marker
 * number; what comes back is a marker only when its MAC is right for this shell's nonce and its
 * sequence number is above every one seen before (so a marker copied from elsewhere in this
 * session, or from another session's recording, is refused).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MARKER_MAC_CHARS, MARKER_TAG, markerMacInput, type MarkerKind } from '../protocol/agent-frames';

export type Marker =
  | { kind: 'P'; seq: number; status: number }
  | { kind: 'B'; seq: number }
  | { kind: 'K'; seq: number }
  /** `text` null: the shell ran a command but history did not record its text. */
  | { kind: 'C'; seq: number; prevStatus: number; text: string | null };

const B64URL = /^[A-Za-z0-9_-]*$/;
const STATUS = /^[0-9]{1,3}$/;

export class MarkerVerifier {
  private lastSeq = -1;

  constructor(private readonly nonce: string) {}

  /** Parses and authenticates one OSC payload (without the `6973;`); null when refused. */
  verify(payload: string): Marker | null {
    const f = payload.split(';');
    if (f.length < 4 || f[0] !== MARKER_TAG || !/^[0-9]{1,15}$/.test(f[1]!)) return null;
    const seq = Number(f[1]);
    const kind = f[2] as MarkerKind;
    const fields = f.slice(3, -1);
    const mac = f[f.length - 1]!;
    if (mac.length !== MARKER_MAC_CHARS || seq <= this.lastSeq) return null;
    const want = createHmac('sha256', this.nonce).update(markerMacInput(seq, kind, fields)).digest('base64url').slice(0, MARKER_MAC_CHARS);
    if (!timingSafeEqual(Buffer.from(want), Buffer.from(mac))) return null;
    let m: Marker;
    switch (kind) {
      case 'P':
        if (fields.length !== 1 || !STATUS.test(fields[0]!)) return null;
        m = { kind, seq, status: Number(fields[0]) };
        break;
      case 'B':
      case 'K':
        if (fields.length !== 0) return null;
        m = { kind, seq };
        break;
      case 'C': {
        if (fields.length !== 3 || !STATUS.test(fields[0]!) || !B64URL.test(fields[2]!)) return null;
        const fresh = fields[1] === '1';
        m = { kind, seq, prevStatus: Number(fields[0]), text: fresh ? Buffer.from(fields[2]!, 'base64url').toString('utf8') : null };
        break;
      }
      default:
        return null;
    }
    this.lastSeq = seq;
    return m;
  }
}
