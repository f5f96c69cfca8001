/**
 * OpenRequest (what the broker asks any dialer for) → OpenSpec (what goes on the agent link).
 * Shared by every dialer that speaks the agent link (the embedded local agent, remote agents).
 */
import type { OpenSpec } from '../../protocol/agent-frames';
import type { OpenRequest } from '../types';

export function toOpenSpec(r: OpenRequest): OpenSpec {
  switch (r.kind) {
    case 'shell':
      return {
        kind: 'shell',
        targetUser: r.targetUser,
        pty: { cols: r.size.cols, rows: r.size.rows, term: r.term },
        ...(r.lang ? { lang: r.lang } : {}),
        ...(r.markerNonce ? { markerNonce: r.markerNonce } : {}),
      };
    case 'exec':
      return {
        kind: 'exec',
        targetUser: r.targetUser,
        command: r.command,
        ...(r.pty ? { pty: { cols: r.pty.size.cols, rows: r.pty.size.rows, term: r.pty.term } } : {}),
        ...(r.lang ? { lang: r.lang } : {}),
      };
    case 'tcp':
      return { kind: 'tcp', host: r.host, port: r.port };
  }
}
