/**
 * Environments (admins): the list, and the offline-removal period of one (`PUT` creates the
 * environment when it does not exist). Agent targets of an environment with a period are
 * deleted by the service's sweep once they have been offline that long (target-removal.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { CreateEnvironmentRequest, EnvironmentInfo, UpdateEnvironmentRequest } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { auditCall } from '../../plugins/request-audit';
import type { EnvironmentRow } from '../../store/environments-repo';
import { parseDuration } from '../../config';
import { requireAdmin } from '../../plugins/auth-hook';
import { NAME_PATTERN, nameParams, noQuery } from './schemas';

const MIN_REMOVAL = 3600;
const MAX_REMOVAL = 90 * 86400;

const info = (r: EnvironmentRow): EnvironmentInfo => ({ name: r.name, offlineRemovalSeconds: r.offline_removal_seconds, createdAt: r.created_at });

function removalSeconds(raw: string | null): number | null {
  if (raw === null) return null;
  const seconds = parseDuration(raw);
  if (seconds === null || seconds < MIN_REMOVAL || seconds > MAX_REMOVAL) {
    throw new GatehouseError('BAD_REQUEST', `offlineRemoval must be a duration from 1h to 90d (like 12h, 7d), or null for never; got ${JSON.stringify(raw)}`);
  }
  return seconds;
}

export function registerEnvironmentRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/environments', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    return (await s.store.environments.list()).map(info);
  });

  app.post(
    '/api/v1/environments',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', pattern: NAME_PATTERN }, offlineRemoval: { type: ['string', 'null'], maxLength: 16 } },
        },
      },
    },
    async (req: FastifyRequest<{ Body: CreateEnvironmentRequest }>, reply) => {
      requireAdmin(req);
      const seconds = removalSeconds(req.body.offlineRemoval ?? null);
      const row = await s.store.environments.create(req.body.name, seconds);
      if (!row) throw new GatehouseError('CONFLICT', `environment ${req.body.name} already exists`);
      auditCall(s, req, { type: 'environment.create', v: 1, outcome: 'success', environment: row.name, offlineRemovalSeconds: seconds });
      return reply.code(201).send(info(row));
    },
  );

  app.delete('/api/v1/environments/:name', { schema: { params: nameParams } }, async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    requireAdmin(req);
    const n = await s.store.environments.targetCount(req.params.name);
    if (n > 0) throw new GatehouseError('CONFLICT', `environment ${req.params.name} still has ${n} target${n === 1 ? '' : 's'}; move or delete them first`);
    if (!(await s.store.environments.remove(req.params.name))) throw new GatehouseError('NOT_FOUND', `no environment ${req.params.name}`);
    auditCall(s, req, { type: 'environment.delete', v: 1, outcome: 'success', environment: req.params.name });
    return reply.code(204).send();
  });

  app.put(
    '/api/v1/environments/:name',
    {
      schema: {
        params: nameParams,
        body: {
          type: 'object',
          required: ['offlineRemoval'],
          additionalProperties: false,
          properties: { offlineRemoval: { type: ['string', 'null'], maxLength: 16 } },
        },
      },
    },
    async (req: FastifyRequest<{ Params: { name: string }; Body: UpdateEnvironmentRequest }>) => {
      const a = requireAdmin(req);
      const seconds = removalSeconds(req.body.offlineRemoval);
      const row = await s.store.environments.setOfflineRemoval(req.params.name, seconds);
      auditCall(s, req, { type: 'environment.update', v: 1, outcome: 'success', environment: row.name, offlineRemovalSeconds: seconds });
      return info(row);
    },
  );
}
