/**
 * The sink used when a session's Permit says "recording off".
 *
 * "Recording off" is a discard sink, not an `if`: the broker always attaches exactly one
 * recording sink and never branches on the recording mode, so the unrecorded path runs the
 * same code as the recorded one and cannot rot.
 *
 * What must stay true: it never fails, never buffers (backlog 0, drained at once), writes
 * nothing anywhere, and its artifact has an empty path and zero bytes so nothing downstream
 * mistakes it for a file. It keeps the last event time so the duration is still truthful.
 */
import type { SessionEvent } from '../protocol/session-events';
import type { RecordingArtifact, RecordingSink } from './types';

export function createDiscardSink(): RecordingSink {
  let lastT = 0;
  return {
    // Same name as the real sink: observers (logs, the broker's tap table) see one
    // "recording" tap per session whatever the mode.
    name: 'recording',
    failure: null,
    start: () => Promise.resolve(),
    onEvent(e: SessionEvent): void {
      if (e.t > lastT) lastT = e.t;
    },
    backlog: () => 0,
    whenDrained: () => Promise.resolve(),
    close: () => Promise.resolve(),
    artifact: (): RecordingArtifact => ({ path: '', bytes: 0, durationSeconds: lastT }),
  };
}
