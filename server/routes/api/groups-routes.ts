/**
 * Groups (admins): list with members, create, delete, add and remove members. Taking someone
 * out of a group (or deleting the group) re-decides live connections: a shell that only a
 * group policy allowed is closed with "access revoked".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { GroupInfo } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { auditCall } from '../../plugins/request-audit';
import { requireAdmin } from '../../plugins/auth-hook';
import { reevaluateAccess } from '../../access/reevaluate';
import { userByEmail } from './users-routes';
import { EMAIL_PATTERN, NAME_PATTERN, nameParams, noQuery } from './schemas';

const memberParams = {
  type: 'object',
  required: ['name', 'email'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: NAME_PATTERN }, email: { type: 'string', pattern: EMAIL_PATTERN } },
} as const;

async function groups(s: Services): Promise<GroupInfo[]> {
  const members = await s.store.users.groupMembers();
  return (await s.store.users.listGroups()).map((g) => ({ name: g.name, members: members.filter((m) => m.group_name === g.name).map((m) => m.email), createdAt: g.created_at }));
}

async function existingGroup(s: Services, name: string): Promise<void> {
  if (!(await s.store.users.groupExists(name))) throw new GatehouseError('NOT_FOUND', `no group ${name}`);
}

export function registerGroupRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/groups', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    return groups(s);
  });

  app.post(
    '/api/v1/groups',
    { schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', pattern: NAME_PATTERN } } } } },
    async (req: FastifyRequest<{ Body: { name: string } }>, reply) => {
      requireAdmin(req);
      if (!(await s.store.users.createGroup(req.body.name))) throw new GatehouseError('CONFLICT', `group ${req.body.name} already exists`);
      auditCall(s, req, { type: 'group.create', v: 1, outcome: 'success', group: req.body.name });
      return reply.code(201).send((await groups(s)).find((g) => g.name === req.body.name));
    },
  );

  app.delete('/api/v1/groups/:name', { schema: { params: nameParams } }, async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const a = requireAdmin(req);
    if (!(await s.store.users.removeGroup(req.params.name))) throw new GatehouseError('NOT_FOUND', `no group ${req.params.name}`);
    const closed = await reevaluateAccess(s, `group ${req.params.name} deleted`, a.user.email);
    auditCall(s, req, { type: 'group.delete', v: 1, outcome: 'success', group: req.params.name, connectionsClosed: closed });
    return reply.code(204).send();
  });

  app.put('/api/v1/groups/:name/members/:email', { schema: { params: memberParams } }, async (req: FastifyRequest<{ Params: { name: string; email: string } }>, reply) => {
    requireAdmin(req);
    await existingGroup(s, req.params.name);
    const u = await userByEmail(s, req.params.email);
    await s.store.users.addToGroup(u.id, req.params.name);
    auditCall(s, req, { type: 'group.member_add', v: 1, outcome: 'success', group: req.params.name, email: u.email });
    return reply.code(204).send();
  });

  app.delete('/api/v1/groups/:name/members/:email', { schema: { params: memberParams } }, async (req: FastifyRequest<{ Params: { name: string; email: string } }>, reply) => {
    const a = requireAdmin(req);
    await existingGroup(s, req.params.name);
    const u = await userByEmail(s, req.params.email);
    if (!(await s.store.users.removeFromGroup(u.id, req.params.name))) throw new GatehouseError('NOT_FOUND', `${u.email} is not in ${req.params.name}`);
    const closed = await reevaluateAccess(s, `${u.email} removed from group ${req.params.name}`, a.user.email);
    auditCall(s, req, { type: 'group.member_remove', v: 1, outcome: 'success', group: req.params.name, email: u.email, connectionsClosed: closed });
    return reply.code(204).send();
  });
}
