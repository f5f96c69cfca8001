/**
 * Policies (admins): list, show, create-or-replace by name, delete. In this version only
 * `target_access` documents can be applied here (SPEC §3 shows the shape); the body is
 * validated strictly: unknown fields, bad names and bad target users are rejected with a
 * message naming the field, and nothing is stored. References to users, groups, targets or
 * environments that do not exist (yet) are accepted with a warning.
 *
 * Limit: live connections are not re-evaluated when a policy changes (a later issue).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { Services } from '../../services';
import type { PolicyDocument } from '../../access/types';
import { requireAdmin, sourceOf } from '../../plugins/auth-hook';
import { NAME_PATTERN } from './agents-routes';

const nameList = (pattern: string) => ({ type: 'array', maxItems: 1000, uniqueItems: true, items: { type: 'string', pattern } });
const EMAIL_PATTERN = '^[^\\s@]{1,64}@[^\\s@]{1,255}$';
/** A POSIX user name, or a pattern with `{username}` (the part of the user's email before `@`). */
const TARGET_USER_PATTERN = '^(?:[A-Za-z_]|\\{username\\})(?:[A-Za-z0-9_.-]|\\{username\\}){0,31}$';

const targetAccessSchema = {
  type: 'object',
  required: ['name', 'kind', 'subjects', 'actions', 'targetUsers'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: NAME_PATTERN },
    kind: { type: 'string', enum: ['target_access'] },
    subjects: {
      type: 'object',
      additionalProperties: false,
      properties: { users: nameList(EMAIL_PATTERN), groups: nameList(NAME_PATTERN), apiKeys: nameList('^gk_[a-z0-9]{12}$') },
    },
    targets: nameList(NAME_PATTERN),
    environments: nameList(NAME_PATTERN),
    actions: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['shell', 'tunnel', 'copy'] } },
    targetUsers: { ...nameList(TARGET_USER_PATTERN), minItems: 1 },
  },
} as const;

type TargetAccess = Extract<PolicyDocument, { kind: 'target_access' }>;

async function warningsFor(s: Services, p: TargetAccess): Promise<string[]> {
  const out: string[] = [];
  for (const u of p.subjects.users ?? []) if (!(await s.store.users.byEmail(u))) out.push(`no user ${u} (yet)`);
  for (const g of p.subjects.groups ?? []) if (!(await s.store.users.groupExists(g))) out.push(`no group ${g} (yet)`);
  for (const k of p.subjects.apiKeys ?? []) if (!(await s.store.apiKeys.byId(k))) out.push(`no API key ${k} (yet)`);
  for (const t of p.targets ?? []) if (!(await s.store.targets.byName(t))) out.push(`no target ${t} (yet)`);
  for (const e of p.environments ?? []) if (!(await s.store.environments.byName(e))) out.push(`no environment ${e} (yet)`);
  return out;
}

export function registerPolicyRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/policies', async (req) => {
    requireAdmin(req);
    return s.store.policies.list();
  });

  app.get('/api/v1/policies/:name', async (req: FastifyRequest<{ Params: { name: string } }>) => {
    requireAdmin(req);
    const p = req.params.name.length <= 64 ? await s.store.policies.byName(req.params.name) : undefined;
    if (!p) throw new GatehouseError('NOT_FOUND', 'no such policy');
    return p;
  });

  app.put(
    '/api/v1/policies/:name',
    { schema: { params: { type: 'object', properties: { name: { type: 'string', pattern: NAME_PATTERN } } }, body: targetAccessSchema } },
    async (req: FastifyRequest<{ Params: { name: string }; Body: TargetAccess }>, reply) => {
      const a = requireAdmin(req);
      const p = req.body;
      if (p.name !== req.params.name) throw new GatehouseError('BAD_REQUEST', `name: the document is named ${p.name}, the URL ${req.params.name}`);
      const subj = p.subjects;
      if (!(subj.users?.length || subj.groups?.length || subj.apiKeys?.length)) throw new GatehouseError('BAD_REQUEST', 'subjects: name at least one user, group or API key');
      if (!(p.targets?.length || p.environments?.length)) throw new GatehouseError('BAD_REQUEST', 'targets/environments: name at least one target or environment');
      const doc: TargetAccess = {
        name: p.name,
        kind: 'target_access',
        subjects: { ...(subj.users ? { users: subj.users } : {}), ...(subj.groups ? { groups: subj.groups } : {}), ...(subj.apiKeys ? { apiKeys: subj.apiKeys } : {}) },
        ...(p.targets ? { targets: p.targets } : {}),
        ...(p.environments ? { environments: p.environments } : {}),
        actions: p.actions,
        targetUsers: p.targetUsers,
      };
      const warnings = await warningsFor(s, doc);
      const created = !(await s.store.policies.byName(doc.name));
      await s.store.policies.put(doc);
      s.audit.emit({ type: 'policy.put', v: 1, outcome: 'success', policy: doc.name, kind: doc.kind, created }, { actor: a.user.email, source: sourceOf(req) });
      return reply.code(created ? 201 : 200).send({ policy: doc, warnings });
    },
  );

  app.delete('/api/v1/policies/:name', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const a = requireAdmin(req);
    if (req.params.name.length > 64 || !(await s.store.policies.remove(req.params.name))) throw new GatehouseError('NOT_FOUND', 'no such policy');
    s.audit.emit({ type: 'policy.delete', v: 1, outcome: 'success', policy: req.params.name }, { actor: a.user.email, source: sourceOf(req) });
    return reply.code(204).send();
  });
}
