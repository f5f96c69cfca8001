/**
 * Just-in-time requests over the API (web UI and `gate`): what may be requested, create,
 * list, show, approve, deny. The same broker decides as for Slack (jit/jit-service.ts): a
 * decision happens once, and only an approver who is not the requester makes it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateAccessRequest, SlackStatus } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { requireAdmin, requireAuth, requireSession } from '../../plugins/auth-hook';
import { actorOf } from '../../plugins/request-audit';
import { NAME_PATTERN, noQuery } from './schemas';

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', maxLength: 64 } } } as const;

/** The broker emits this call's event with the request id; if it emits none, the hook does. */
const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req), source: req.ip, requestId: req.id });

export function registerRequestRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/slack', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    const st = s.slack?.status();
    const body: SlackStatus = {
      configured: s.slack !== null,
      connected: st?.connected ?? false,
      command: s.config.slack.command,
      auditChannel: s.config.slack.auditChannel,
      auditChannelId: st?.auditChannelId ?? null,
      lastError: st?.lastError ?? null,
      since: st?.since ?? null,
    };
    return body;
  });

  app.get('/api/v1/requestable', { schema: { querystring: noQuery } }, async (req) => s.jit.requestable(requireAuth(req)));

  app.post(
    '/api/v1/requests',
    {
      schema: {
        body: {
          type: 'object',
          required: ['target', 'targetUser', 'action', 'reason'],
          additionalProperties: false,
          properties: {
            target: { type: 'string', pattern: NAME_PATTERN },
            targetUser: { type: 'string', minLength: 1, maxLength: 32 },
            action: { type: 'string', enum: ['shell', 'tunnel', 'copy'] },
            reason: { type: 'string', maxLength: 500 },
            duration: { type: 'string', maxLength: 16 },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Body: CreateAccessRequest }>, reply) => {
      const a = requireAuth(req);
      return reply.code(201).send(await s.jit.create(a, req.body, 'api', ctxOf(req)));
    },
  );

  app.get('/api/v1/requests', { schema: { querystring: noQuery } }, async (req) => s.jit.list(requireAuth(req)));

  app.get('/api/v1/requests/:id', { schema: { params: idParams } }, async (req: FastifyRequest<{ Params: { id: string } }>) => s.jit.get(requireAuth(req), req.params.id));

  app.post('/api/v1/requests/:id/approve', { schema: { params: idParams } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const a = requireSession(req);
    await s.jit.get(a, req.params.id); // a request the caller may not see answers 404
    const d = await s.jit.approve(req.params.id, { kind: 'user', user: a.user, groups: a.groups }, 'api', ctxOf(req));
    return reply.code(d.changed ? 200 : 409).send(d.changed ? d.request : { error: { code: 'CONFLICT', message: `the request is already ${d.request.state}` } });
  });

  app.post(
    '/api/v1/requests/:id/deny',
    { schema: { params: idParams, body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } } } },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { reason?: string } | undefined }>, reply) => {
      const a = requireSession(req);
      await s.jit.get(a, req.params.id); // a request the caller may not see answers 404
      const d = await s.jit.deny(req.params.id, { kind: 'user', user: a.user, groups: a.groups }, req.body?.reason ?? null, 'api', ctxOf(req));
      return reply.code(d.changed ? 200 : 409).send(d.changed ? d.request : { error: { code: 'CONFLICT', message: `the request is already ${d.request.state}` } });
    },
  );
}
