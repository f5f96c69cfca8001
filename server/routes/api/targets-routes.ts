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
import type { UpdateTargetRequest } from '../../../protocol/api-types';
import { auditCall } from '../../plugins/request-audit';
import { reevaluateAccess } from '../../access/reevaluate';
import { NAME_PATTERN, nameParams, noQuery } from './schemas';

export const TARGET_DELETED = 'target deleted';

export function registerTargetRoutes(app: FastifyInstance, s: Services, access: AccessService): void {
  app.get('/api/v1/targets', { schema: { querystring: noQuery } }, async (req) => access.visibleTargets(requireAuth(req)));

  app.patch(
    '/api/v1/targets/:name',
    {
      schema: {
        params: nameParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: { type: 'string', pattern: NAME_PATTERN }, environment: { type: 'string', pattern: NAME_PATTERN } } },
      },
    },
    async (req: FastifyRequest<{ Params: { name: string }; Body: UpdateTargetRequest }>) => {
      const a = requireAdmin(req);
      const target = await s.store.targets.byName(req.params.name);
      if (!target) throw new GatehouseError('NOT_FOUND', `no target named ${req.params.name}`);
      const { name, environment } = req.body;
      if (name !== undefined && name !== target.name) {
        if (target.kind === 'local') throw new GatehouseError('BAD_REQUEST', 'the local target is the bastion itself and keeps its name');
        if (await s.store.targets.byName(name)) throw new GatehouseError('CONFLICT', `a target named ${name} already exists`);
      }
      if (environment !== undefined) await s.store.targets.ensureEnvironment(environment);
      await s.store.targets.update(target.id, { ...(name !== undefined ? { name } : {}), ...(environment !== undefined ? { environment } : {}) });
      // Policies name targets and environments: both a rename and a move can take access away.
      const closed = await reevaluateAccess(s, `target ${target.name} ${environment !== undefined && environment !== target.environment ? `moved to ${environment}` : `renamed to ${name}`}`, a.user.email);
      auditCall(s, req, {
        type: 'target.update', v: 1, outcome: 'success', target: name ?? target.name, targetId: target.id,
        ...(name !== undefined && name !== target.name ? { renamedFrom: target.name } : {}),
        ...(environment !== undefined ? { environment } : {}),
        connectionsClosed: closed,
      });
      const row = (await s.store.targets.byId(target.id))!;
      return (await access.visibleTargets(requireAuth(req))).find((t) => t.id === row.id);
    },
  );

  app.delete('/api/v1/targets/:name', { schema: { params: nameParams } }, async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const a = requireAdmin(req);
    const target = req.params.name.length <= 128 ? await s.store.targets.byName(req.params.name) : undefined;
    if (!target) throw new GatehouseError('NOT_FOUND', `no target named ${req.params.name.slice(0, 128)}`);
    // The bastion's own target is part of the appliance; it would be recreated at the next start.
    if (target.kind === 'local' && target.name === LOCAL_TARGET) throw new GatehouseError('BAD_REQUEST', 'the local target is the bastion itself and cannot be deleted');
    await s.removeTarget(target, TARGET_DELETED, { actor: a.user.email, source: sourceOf(req), requestId: req.id });
    return reply.code(204).send();
  });
}
