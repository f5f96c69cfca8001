/**
 * Users (admins): list, create (a one-time password when none is given), show, change role,
 * reset MFA, delete. Making a user an admin also puts them in the `admins` group and demoting
 * takes them out, so the group mirrors the role for policies. Deleting a user closes their live
 * connections ("user deleted"), removes them from every policy's subjects and ends their
 * sessions; their connection, recording and event rows stay, under their email. Nobody can
 * delete themselves or remove the last admin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { CreateUserRequest, CreateUserResponse, Role, UserDetails } from '../../../protocol/api-types';
import type { Services } from '../../services';
import type { UserRow } from '../../store/users-repo';
import { auditCall } from '../../plugins/request-audit';
import { requireAdmin } from '../../plugins/auth-hook';
import { ADMINS_GROUP, createUser } from '../../bootstrap';
import { reevaluateAccess } from '../../access/reevaluate';
import { EMAIL_PATTERN, emailParams, NAME_PATTERN, noQuery } from './schemas';

export async function userDetails(s: Services, u: UserRow): Promise<UserDetails> {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    groups: await s.store.users.groupsOf(u.id),
    totpEnabled: u.totp_secret !== null,
    mustChangePassword: u.must_change_password === 1,
    createdAt: u.created_at,
  };
}

export async function userByEmail(s: Services, email: string): Promise<UserRow> {
  const u = await s.store.users.byEmail(email);
  if (!u) throw new GatehouseError('NOT_FOUND', `no user ${email}`);
  return u;
}

/** Closes every live connection and tunnel of one subject (user or API key) with `reason`. */
export function closeConnectionsOf(s: Services, subjectId: string, reason: string, actor: string | null): number {
  let n = 0;
  for (const c of s.broker.list()) if (c.spec.permit.userId === subjectId) (c.close(reason, actor), n++);
  for (const t of s.broker.listTunnels()) if (t.permit.userId === subjectId) (t.channel.close(reason), n++);
  return n;
}

const roleSchema = { type: 'string', enum: ['admin', 'user'] } as const;

export function registerUserRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/users', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    return Promise.all((await s.store.users.list()).map((u) => userDetails(s, u)));
  });

  app.post(
    '/api/v1/users',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email'],
          additionalProperties: false,
          properties: {
            email: { type: 'string', pattern: EMAIL_PATTERN },
            role: roleSchema,
            password: { type: 'string', maxLength: 1024 },
            groups: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: NAME_PATTERN } },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Body: CreateUserRequest }>, reply) => {
      requireAdmin(req);
      const b = req.body;
      const role = b.role ?? 'user';
      const { id, oneTimePassword } = await createUser(s.store, { email: b.email, role, groups: b.groups ?? [], ...(b.password !== undefined ? { password: b.password } : {}) });
      const user = (await s.store.users.byId(id))!;
      auditCall(s, req, { type: 'user.create', v: 1, outcome: 'success', email: user.email, role });
      const body: CreateUserResponse = { user: await userDetails(s, user), ...(oneTimePassword ? { oneTimePassword } : {}) };
      return reply.code(201).send(body);
    },
  );

  app.get('/api/v1/users/:email', { schema: { params: emailParams } }, async (req: FastifyRequest<{ Params: { email: string } }>) => {
    requireAdmin(req);
    return userDetails(s, await userByEmail(s, req.params.email));
  });

  app.patch(
    '/api/v1/users/:email',
    { schema: { params: emailParams, body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: roleSchema } } } },
    async (req: FastifyRequest<{ Params: { email: string }; Body: { role: Role } }>) => {
      const a = requireAdmin(req);
      const u = await userByEmail(s, req.params.email);
      const role = req.body.role;
      if (u.role === 'admin' && role !== 'admin' && (await s.store.users.countAdmins()) <= 1) throw new GatehouseError('CONFLICT', `${u.email} is the last admin`);
      await s.store.users.setRole(u.id, role);
      if (role === 'admin') await s.store.users.addToGroup(u.id, ADMINS_GROUP);
      else await s.store.users.removeFromGroup(u.id, ADMINS_GROUP);
      const closed = role === u.role ? 0 : await reevaluateAccess(s, `${u.email} is now ${role}`, a.user.email);
      auditCall(s, req, { type: 'user.update', v: 1, outcome: 'success', email: u.email, role, connectionsClosed: closed });
      return userDetails(s, (await s.store.users.byId(u.id))!);
    },
  );

  app.post('/api/v1/users/:email/reset-mfa', { schema: { params: emailParams } }, async (req: FastifyRequest<{ Params: { email: string } }>, reply) => {
    requireAdmin(req);
    const u = await userByEmail(s, req.params.email);
    await s.store.users.setTotp(u.id, { secret: null, pending: null, lastStep: null });
    auditCall(s, req, { type: 'user.reset_mfa', v: 1, outcome: 'success', email: u.email });
    return reply.code(204).send();
  });

  app.delete('/api/v1/users/:email', { schema: { params: emailParams } }, async (req: FastifyRequest<{ Params: { email: string } }>, reply) => {
    const a = requireAdmin(req);
    const u = await userByEmail(s, req.params.email);
    if (u.id === a.user.id) throw new GatehouseError('CONFLICT', 'you cannot delete yourself');
    if (u.role === 'admin' && (await s.store.users.countAdmins()) <= 1) throw new GatehouseError('CONFLICT', `${u.email} is the last admin`);
    const closed = closeConnectionsOf(s, u.id, 'user deleted', a.user.email);
    // A policy left with no subject at all would grant nothing and could not be applied again
    // as it reads (SPEC: `show` prints what `apply` takes), so it goes.
    const updated: string[] = [];
    const deleted: string[] = [];
    for (const p of await s.store.policies.list()) {
      const users = p.subjects.users ?? [];
      if (!users.includes(u.email)) continue;
      const rest = users.filter((x) => x !== u.email);
      const subjects = { ...p.subjects };
      if (rest.length) subjects.users = rest;
      else delete subjects.users;
      if (subjects.users?.length || subjects.groups?.length || subjects.apiKeys?.length) {
        await s.store.policies.put({ ...p, subjects });
        updated.push(p.name);
      } else {
        await s.store.policies.remove(p.name);
        deleted.push(p.name);
      }
    }
    await s.store.users.remove(u.id);
    auditCall(s, req, { type: 'user.delete', v: 1, outcome: 'success', email: u.email, connectionsClosed: closed, policiesUpdated: updated, policiesDeleted: deleted });
    return reply.code(204).send();
  });
}
