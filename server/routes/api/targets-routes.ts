import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services';
import type { AccessService } from '../../access/access-service';
import { requireAuth } from '../../plugins/auth-hook';

export function registerTargetRoutes(app: FastifyInstance, _s: Services, access: AccessService): void {
  app.get('/api/v1/targets', async (req) => access.visibleTargets(requireAuth(req)));
}
