/**
 * Connections: created after a policy decision (nothing is dialed until a client attaches to
 * `/ws/connections/:id`), listed, and closed. Another user's connection is invisible (404).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { timeOrderedId } from '../../store/time-ordered-id';
import { GatehouseError } from '../../../protocol/errors';
import type { ConnectionInfo, CreateConnectionRequest } from '../../../protocol/api-types';
import { MAX_TERM_COLS, MAX_TERM_ROWS } from '../../../protocol/terminal-messages';
import type { Services } from '../../services';
import { auditCall } from '../../plugins/request-audit';
import type { AccessService } from '../../access/access-service';
import type { ConnectionRow } from '../../store/connections-repo';
import { requireAuth, sourceOf, type AuthState } from '../../plugins/auth-hook';

export function connectionInfo(r: ConnectionRow): ConnectionInfo {
  return {
    id: r.id,
    userEmail: r.user_email,
    targetName: r.target_name,
    targetUser: r.target_user,
    kind: r.kind,
    command: r.command,
    pty: r.pty === 1,
    state: r.state,
    createdAt: r.created_at,
    closedAt: r.closed_at,
    closeReason: r.close_reason,
    wsPath: `/ws/connections/${r.id}`,
  };
}

/** The caller's own connection, or any connection for an admin; otherwise NOT_FOUND. */
export async function visibleConnection(s: Services, a: AuthState, id: string): Promise<ConnectionRow> {
  const row = /^[0-9a-f-]{36}$/.test(id) ? await s.store.connections.byId(id) : undefined;
  if (!row || (row.user_id !== a.user.id && a.user.role !== 'admin')) throw new GatehouseError('NOT_FOUND', 'no such connection');
  return row;
}

import { anyIdParams } from './schemas';

export function registerConnectionRoutes(app: FastifyInstance, s: Services, access: AccessService): void {
  app.post(
    '/api/v1/connections',
    {
      schema: {
        body: {
          type: 'object',
          required: ['target'],
          additionalProperties: false,
          properties: {
            target: { type: 'string', minLength: 1, maxLength: 128 },
            targetUser: { type: 'string', minLength: 1, maxLength: 32 },
            cols: { type: 'integer', minimum: 1, maximum: MAX_TERM_COLS },
            rows: { type: 'integer', minimum: 1, maximum: MAX_TERM_ROWS },
            command: { type: 'string', minLength: 1, maxLength: 32 * 1024 },
            pty: { type: 'boolean' },
            term: { type: 'string', pattern: '^[A-Za-z0-9_.+-]{1,64}$' },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Body: CreateConnectionRequest }>, reply) => {
      const a = requireAuth(req);
      const { target, targetUser, cols = 80, rows = 24, command, term = 'xterm-256color' } = req.body;
      const pty = command === undefined || req.body.pty === true;
      if (req.body.pty !== undefined && command === undefined) throw new GatehouseError('BAD_REQUEST', 'pty is an option of command');
      let allowed;
      try {
        allowed = await access.decide(a, target, 'shell', targetUser ?? null);
      } catch (e) {
        auditCall(s, req, { type: 'connection.open', v: 1, outcome: 'denied', target, ...(targetUser ? { targetUser } : {}), reason: (e as Error).message });
        throw e;
      }
      const id = timeOrderedId();
      const permit = allowed.permit;
      const kind = command === undefined ? 'shell' : 'exec';
      const row = await s.store.connections.create({ id, permit, kind, command: command ?? null, pty });
      const size = { cols, rows };
      s.broker.register({
        id,
        permit,
        target: { id: allowed.target.id, name: allowed.target.name, kind: allowed.target.kind },
        request:
          command === undefined
            ? // A fresh secret per shell for the agent's shell integration (exact command logging);
              // it lives only in this request and the agent's rc file, never in a row or a log.
              { kind: 'shell', targetUser: permit.targetUser, size, term, lang: 'C.UTF-8', markerNonce: randomBytes(32).toString('base64url') }
            : { kind: 'exec', targetUser: permit.targetUser, command, ...(pty ? { pty: { size, term } } : {}), lang: 'C.UTF-8' },
      });
      auditCall(s, req, { type: 'connection.open', v: 1, outcome: 'success', connectionId: id, target, targetUser: permit.targetUser });
      return reply.code(201).send(connectionInfo(row));
    },
  );

  app.get('/api/v1/connections', { schema: { querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'string', enum: ['0', '1'] } } } } }, async (req: FastifyRequest<{ Querystring: { all?: string } }>) => {
    const a = requireAuth(req);
    const all = a.user.role === 'admin' && req.query.all === '1';
    const rows = await s.store.connections.list({ ...(all ? {} : { userId: a.user.id }), openOnly: true });
    return rows.map(connectionInfo);
  });

  app.get('/api/v1/connections/:id', { schema: { params: anyIdParams } }, async (req: FastifyRequest<{ Params: { id: string } }>) =>
    connectionInfo(await visibleConnection(s, requireAuth(req), req.params.id)),
  );

  app.delete('/api/v1/connections/:id', { schema: { params: anyIdParams } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const a = requireAuth(req);
    const row = await visibleConnection(s, a, req.params.id);
    const live = s.broker.get(row.id);
    const by = row.user_id === a.user.id ? 'closed by user' : 'closed by admin';
    if (live) {
      live.close(by, a.user.email);
      await live.closed;
    } else {
      await s.store.connections.close(row.id, by, a.user.email, null);
    }
    return reply.code(204).send();
  });
}
