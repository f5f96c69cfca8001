/**
 * Logs: the connection log (open / connected / disconnected / closed, who and why) and the
 * event log (audit: every API call and decision). Users see their own rows; admins see
 * everyone's. `since`/`until` take an ISO time or a duration back from now (`2h`, `7d`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CommandLogEntry, ConnectionLogEntry, EventLogEntry } from '../../../protocol/api-types';
import type { CommandRow } from '../../store/commands-repo';
import type { EventRow } from '../../store/events-repo';
import type { Services } from '../../services';
import { filterQuery, parseTimeBound } from './list-filters';
import { requireAuth } from '../../plugins/auth-hook';

type LogQuery = { user?: string; target?: string; since?: string; until?: string; grep?: string; after?: number; limit?: number };

const querySchema = filterQuery(['user', 'target', 'since', 'until', 'grep', 'after', 'limit']);

export function registerLogRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/logs/connections', { schema: { querystring: querySchema } }, async (req: FastifyRequest<{ Querystring: LogQuery }>) => {
    const a = requireAuth(req);
    const q = req.query;
    const userEmail = a.user.role === 'admin' ? q.user : a.user.email;
    const since = parseTimeBound('since', q.since);
    const until = parseTimeBound('until', q.until);
    const rows = await s.store.connections.log({
      ...(userEmail ? { userEmail } : {}),
      ...(q.target ? { targetName: q.target } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(q.grep ? { grep: q.grep } : {}),
      ...(q.after !== undefined ? { after: q.after } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
    return rows.map(
      (r): ConnectionLogEntry => ({
        id: r.id,
        at: r.at,
        connectionId: r.connection_id,
        state: r.state,
        actor: r.actor,
        reason: r.reason,
        userEmail: r.user_email,
        targetName: r.target_name,
        targetUser: r.target_user,
      }),
    );
  });
}

const eventQuerySchema = filterQuery(['user', 'since', 'until', 'grep', 'after', 'limit'], {
  type: { type: 'string', pattern: '^[a-z_]{1,32}(\\.([a-z_]{1,32}|\\*))?$' },
  outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
  requestId: { type: 'string', maxLength: 64 },
});

type EventQueryString = { user?: string; type?: string; outcome?: string; since?: string; until?: string; grep?: string; requestId?: string; after?: number; limit?: number };

export const eventEntry = (r: EventRow): EventLogEntry => ({
  id: r.id,
  at: r.at,
  type: r.type,
  v: r.v,
  actor: r.actor,
  source: r.source,
  outcome: r.outcome,
  object: r.object,
  requestId: r.request_id,
  details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : {},
});

export function registerEventLogRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/logs/events', { schema: { querystring: eventQuerySchema } }, async (req: FastifyRequest<{ Querystring: EventQueryString }>) => {
    const a = requireAuth(req);
    const q = req.query;
    const actor = a.user.role === 'admin' ? q.user : a.user.email;
    const since = parseTimeBound('since', q.since);
    const until = parseTimeBound('until', q.until);
    // Events are written in batches every few ms; what the caller just did must be visible.
    await s.audit.flush();
    const rows = await s.store.events.query({
      ...(actor ? { actor } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(q.grep ? { grep: q.grep } : {}),
      ...(q.requestId ? { requestId: q.requestId } : {}),
      ...(q.after !== undefined ? { afterId: q.after } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
    return rows.map(eventEntry);
  });
}

const commandQuerySchema = filterQuery(['user', 'target', 'since', 'until', 'grep', 'after', 'limit'], { connection: { type: 'string', maxLength: 64 } });

type CommandQueryString = { user?: string; target?: string; connection?: string; since?: string; until?: string; grep?: string; after?: number; limit?: number };

export const commandEntry = (r: CommandRow): CommandLogEntry => ({
  id: r.id,
  at: r.at,
  userEmail: r.user_email,
  targetName: r.target_name,
  targetUser: r.target_user,
  environment: r.environment,
  connectionId: r.connection_id,
  command: r.command,
  exitCode: r.exit_code,
  offsetSeconds: r.offset_seconds,
});

/**
 * The command log: newest first, or with `after=ID` the rows after that id oldest first (what
 * `gate logs commands --follow` polls with). Users see their own commands; admins everyone's.
 */
export function registerCommandLogRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/logs/commands', { schema: { querystring: commandQuerySchema } }, async (req: FastifyRequest<{ Querystring: CommandQueryString }>) => {
    const a = requireAuth(req);
    const q = req.query;
    const userEmail = a.user.role === 'admin' ? q.user : a.user.email;
    const since = parseTimeBound('since', q.since);
    const until = parseTimeBound('until', q.until);
    await s.store.commands.flush();
    const rows = await s.store.commands.query({
      ...(userEmail ? { userEmail } : {}),
      ...(q.target ? { targetName: q.target } : {}),
      ...(q.connection ? { connectionId: q.connection } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(q.grep ? { grep: q.grep } : {}),
      ...(q.after !== undefined ? { afterId: q.after, ascending: true } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
    return rows.map(commandEntry);
  });
}
