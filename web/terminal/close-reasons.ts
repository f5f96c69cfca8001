/** What to tell the user when the terminal socket closes, and whether reconnecting makes sense. */
import { CLOSE } from '../../protocol/close-codes';

export interface CloseOutcome {
  text: string;
  /** The shell is gone (or was never ours): offer no Reconnect button. */
  final: boolean;
  /** The browser session is gone: offer a way to log in again. */
  loginAgain?: boolean;
  /** Another client has the shell now: offer to take it back (attach again). */
  takeOver?: boolean;
}

export function describeClose(code: number, reason: string): CloseOutcome {
  const why = reason ? `: ${reason}` : '';
  switch (code) {
    case CLOSE.ENDED:
      return { text: `Session ended${why}`, final: true };
    case CLOSE.NOT_FOUND:
      return { text: 'This connection does not exist or is not yours.', final: true };
    case CLOSE.REPLACED:
      return { text: 'Another client attached to this session', final: false, takeOver: true };
    case CLOSE.UNAUTHENTICATED:
      return { text: 'Your login has expired.', final: true, loginAgain: true };
    case CLOSE.FORBIDDEN:
      return { text: `Not allowed${why}`, final: true };
    case CLOSE.TARGET_UNAVAILABLE:
      return { text: `Target unavailable${why}`, final: false };
    case 1011:
      return { text: `Server error${why}`, final: false };
    default:
      return { text: `Disconnected${why || ` (code ${code})`}`, final: false };
  }
}

export function describeExit(code: number | null, signal?: string): string {
  if (signal) return `Session ended (signal ${signal})`;
  return code === null ? 'Session ended' : `Session ended (exit ${code})`;
}
