/**
 * Feeds the command log from a live connection (SPEC §4):
 * - an exec connection is one command: its row is written when it starts, its exit status when
 *   it ends;
 * - a shell gets the command detector (recorder/), whose commands become rows and asciicast
 *   markers (`m`) in the recording, so the player can jump to each.
 * Rows carry who, where and as whom from the permit, never from the target.
 */
import type { SessionEvent, SessionTap } from '../../protocol/session-events';
import type { ConnectionSpec } from '../../gateway/live-connection';
import type { CommandDetectorOptions } from '../../recorder/command-types';
import type { CommandsRepo, NewCommand } from '../store/commands-repo';

export type DetectorFactory = (opts: CommandDetectorOptions) => SessionTap;

/** The longest command text stored; longer ones are cut with a visible mark. */
export const MAX_COMMAND_CHARS = 16 * 1024;

function clip(text: string): string {
  return text.length <= MAX_COMMAND_CHARS ? text : `${text.slice(0, MAX_COMMAND_CHARS)}… [${text.length - MAX_COMMAND_CHARS} more characters]`;
}

function rowFor(spec: ConnectionSpec, startedAt: Date, seq: number, t: number, command: string): NewCommand {
  const p = spec.permit;
  return {
    at: new Date(startedAt.getTime() + Math.round(t * 1000)).toISOString(),
    connection_id: spec.id,
    seq,
    user_id: p.userId,
    user_email: p.email,
    target_name: p.targetName,
    target_user: p.targetUser,
    environment: p.environment,
    command: clip(command),
    exit_code: null,
    offset_seconds: Math.round(t * 1000) / 1000,
  };
}

/** A tap that only watches, never buffers. */
function watcher(name: string, onEvent: (e: SessionEvent) => void): SessionTap {
  return { name, onEvent, failure: null, backlog: () => 0, whenDrained: async () => undefined, close: async () => undefined };
}

export function commandLogTaps(o: {
  commands: CommandsRepo;
  spec: ConnectionSpec;
  startedAt: Date;
  size: { cols: number; rows: number };
  /** Where markers go: the recording sink. */
  recording: SessionTap;
  detector: DetectorFactory | null;
  markerNonce?: string | null;
}): SessionTap[] {
  const { spec, commands } = o;
  if (spec.request.kind === 'exec') {
    commands.add(rowFor(spec, o.startedAt, 0, 0, spec.request.command));
    return [watcher('command log (exec)', (e) => e.kind === 'x' && e.code !== null && commands.setExit(spec.id, 0, e.code))];
  }
  if (!o.detector) return [];
  const detector = o.detector({
    cols: o.size.cols,
    rows: o.size.rows,
    markerNonce: o.markerNonce ?? null,
    onCommand(cmd) {
      commands.add(rowFor(spec, o.startedAt, cmd.seq, cmd.t, cmd.text));
      o.recording.onEvent({ kind: 'm', t: cmd.t, label: clip(cmd.text) });
    },
    onCommandExit(seq, code) {
      commands.setExit(spec.id, seq, code);
    },
  });
  return [detector];
}
