/** API keys (admins): create (the secret is in this one reply only), list, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { Services } from '../../services';
import { closeConnectionsOf } from './users-routes';
import { idParams, noQuery } from './schemas';
import { auditCall } from '../../plugins/request-audit';
import { createApiKey } from '../../auth/api-keys';
import { requireAdmin, sourceOf } from '../../plugins/auth-hook';

export function registerKeyRoutes(app: FastifyInstance, s: Services): void {
  app.post(
    '/api/v1/keys',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, registration: { type: 'boolean' } },
        },
      },
    },
    async (req: FastifyRequest<{ Body: { name: string; registration?: boolean } }>, reply) => {
      const a = requireAdmin(req);
      const key = await createApiKey(s.store, { name: req.body.name, registration: req.body.registration === true, createdBy: a.user.email });
      auditCall(s, req, { type: 'api_key.create', v: 1, outcome: 'success', keyId: key.id, name: key.name, registration: key.registration });
      return reply.code(201).send(key);
    },
  );

  app.get('/api/v1/keys', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    return (await s.store.apiKeys.list()).map((k) => ({ id: k.id, name: k.name, registration: k.registration === 1, createdAt: k.created_at, createdBy: k.created_by, lastUsedAt: k.last_used_at }));
  });

  app.delete('/api/v1/keys/:id', { schema: { params: idParams('^gk_[a-z0-9]{12}$') } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const a = requireAdmin(req);
    if (!(await s.store.apiKeys.remove(req.params.id))) throw new GatehouseError('NOT_FOUND', 'no such key');
    // The key stops working at once (every request verifies it); what it opened is closed too.
    closeConnectionsOf(s, req.params.id, 'API key deleted', a.user.email);
    auditCall(s, req, { type: 'api_key.delete', v: 1, outcome: 'success', keyId: req.params.id });
    return reply.code(204).send();
  });
}
