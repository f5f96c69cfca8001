/**
 * Recordings: listed (admins: all; users: their own; filtered by user, target, start, or a
 * command run in the session), streamed as asciicast (readable while
 * live, so a viewer can follow), downloadable. Another user's recording is invisible (404).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GatehouseError } from '../../../protocol/errors';
import type { RecordingInfo } from '../../../protocol/api-types';
import type { Services } from '../../services';
import type { RecordingListRow } from '../../store/recordings-repo';
import { requireAuth, type AuthState } from '../../plugins/auth-hook';

function recordingInfo(r: RecordingListRow): RecordingInfo {
  return {
    id: r.connection_id,
    connectionId: r.connection_id,
    userEmail: r.user_email,
    targetName: r.target_name,
    targetUser: r.target_user,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationSeconds: r.duration_seconds,
    sizeBytes: r.size_bytes,
    live: r.state === 'live',
    recordsInput: r.records_input === 1,
  };
}

async function visibleRecording(s: Services, a: AuthState, id: string): Promise<RecordingListRow> {
  const row = /^[0-9a-f-]{36}$/.test(id) ? await s.store.recordings.byConnection(id) : undefined;
  if (!row || (row.user_id !== a.user.id && a.user.role !== 'admin')) throw new GatehouseError('NOT_FOUND', 'no such recording');
  return row;
}

import { anyIdParams } from './schemas';
import { filterQuery, parseTimeBound } from './list-filters';

type ListQuery = { user?: string; target?: string; since?: string; grep?: string };

const listQuerySchema = filterQuery(['user', 'target', 'since', 'grep']);

export function registerRecordingRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/recordings', { schema: { querystring: listQuerySchema } }, async (req: FastifyRequest<{ Querystring: ListQuery }>) => {
    const a = requireAuth(req);
    const q = req.query;
    const admin = a.user.role === 'admin';
    const since = parseTimeBound('since', q.since);
    // grep: the sessions in which a command containing the text was run (the command log's search).
    let connectionIds: string[] | undefined;
    if (q.grep) {
      await s.store.commands.flush();
      const found = await s.store.commands.query({ grep: q.grep, ...(admin ? {} : { userEmail: a.user.email }), limit: 10_000 });
      connectionIds = [...new Set(found.map((c) => c.connection_id))];
    }
    const rows = await s.store.recordings.list({
      ...(admin ? (q.user ? { userEmail: q.user } : {}) : { userId: a.user.id }),
      ...(q.target ? { targetName: q.target } : {}),
      ...(since ? { since } : {}),
      ...(connectionIds ? { connectionIds } : {}),
    });
    // Live recordings grow: report their current size from the file.
    return Promise.all(
      rows.map(async (r) => (r.state === 'live' ? { ...r, size_bytes: (await stat(r.path).catch(() => ({ size: 0 }))).size } : r)).map(async (r) => recordingInfo(await r)),
    );
  });

  app.get('/api/v1/recordings/:id', { schema: { params: anyIdParams } }, async (req: FastifyRequest<{ Params: { id: string } }>) =>
    recordingInfo(await visibleRecording(s, requireAuth(req), req.params.id)),
  );

  app.get('/api/v1/recordings/:id/cast', { schema: { params: anyIdParams, querystring: { type: 'object', additionalProperties: false, properties: { download: { type: 'string', enum: ['0', '1'] } } } } }, async (req: FastifyRequest<{ Params: { id: string }; Querystring: { download?: string } }>, reply) => {
    const row = await visibleRecording(s, requireAuth(req), req.params.id);
    const size = (await stat(row.path).catch(() => null))?.size;
    if (size === undefined) throw new GatehouseError('NOT_FOUND', 'the recording file is missing');
    void reply.type('application/x-asciicast').header('cache-control', 'no-store');
    if (req.query.download === '1') void reply.header('content-disposition', `attachment; filename="${row.connection_id}.cast"`);
    // Read only what exists now, so a live file gives a consistent prefix.
    return reply.send(createReadStream(row.path, { start: 0, end: Math.max(0, size - 1) }));
  });
}
