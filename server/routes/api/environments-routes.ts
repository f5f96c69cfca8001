/**
 * Environments (admins): the list, and the offline-removal period of one (`PUT` creates the
 * environment when it does not exist). Agent targets of an environment with a period are
 * deleted by the service's sweep once they have been offline that long (target-removal.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { EnvironmentInfo, UpdateEnvironmentRequest } from '../../../protocol/api-types';
import type { Services } from '../../services';
import type { EnvironmentRow } from '../../store/environments-repo';
import { parseDuration } from '../../config';
import { requireAdmin, sourceOf } from '../../plugins/auth-hook';
import { NAME_PATTERN } from './agents-routes';

const MIN_REMOVAL = 3600;
const MAX_REMOVAL = 90 * 86400;

const info = (r: EnvironmentRow): EnvironmentInfo => ({ name: r.name, offlineRemovalSeconds: r.offline_removal_seconds, createdAt: r.created_at });

export function registerEnvironmentRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/environments', async (req) => {
    requireAdmin(req);
    return (await s.store.environments.list()).map(info);
  });

  app.put(
    '/api/v1/environments/:name',
    {
      schema: {
        params: { type: 'object', properties: { name: { type: 'string', pattern: NAME_PATTERN } } },
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
      const raw = req.body.offlineRemoval;
      let seconds: number | null = null;
      if (raw !== null) {
        seconds = parseDuration(raw);
        if (seconds === null || seconds < MIN_REMOVAL || seconds > MAX_REMOVAL) {
          throw new GatehouseError('BAD_REQUEST', `offlineRemoval must be a duration from 1h to 90d (like 12h, 7d), or null for never; got ${JSON.stringify(raw)}`);
        }
      }
      const row = await s.store.environments.setOfflineRemoval(req.params.name, seconds);
      s.audit.emit({ type: 'environment.update', v: 1, outcome: 'success', environment: row.name, offlineRemovalSeconds: seconds }, { actor: a.user.email, source: sourceOf(req) });
      return info(row);
    },
  );
}
