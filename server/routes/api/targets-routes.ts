/**
 * Targets: the list (what the caller may use; admins see all, with their online status) and,
 * for admins, deletion (target-removal.ts: live connections closed with "target deleted", the
 * agent's link closed and the agent refused from then on).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { Services } from '../../services';
import type { AccessService } from '../../access/access-service';
import { requireAdmin, requireAuth, sourceOf } from '../../plugins/auth-hook';
import { LOCAL_TARGET } from '../../bootstrap';

export const TARGET_DELETED = 'target deleted';

export function registerTargetRoutes(app: FastifyInstance, s: Services, access: AccessService): void {
  app.get('/api/v1/targets', async (req) => access.visibleTargets(requireAuth(req)));

  app.delete('/api/v1/targets/:name', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const a = requireAdmin(req);
    const target = req.params.name.length <= 128 ? await s.store.targets.byName(req.params.name) : undefined;
    if (!target) throw new GatehouseError('NOT_FOUND', `no target named ${req.params.name.slice(0, 128)}`);
    // The bastion's own target is part of the appliance; it would be recreated at the next start.
    if (target.kind === 'local' && target.name === LOCAL_TARGET) throw new GatehouseError('BAD_REQUEST', 'the local target is the bastion itself and cannot be deleted');
    await s.removeTarget(target, TARGET_DELETED, { actor: a.user.email, source: sourceOf(req) });
    return reply.code(204).send();
  });
}
