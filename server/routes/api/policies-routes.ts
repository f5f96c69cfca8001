/**
 * Policies (admins): list, show, create-or-replace one by name, apply a batch (all or nothing),
 * delete. Documents are validated strictly by access/policy-validate.ts (the field is named in
 * the error and nothing is stored); references to users, groups, API keys, targets or
 * environments that do not exist (yet) are accepted with a warning. Every change re-decides
 * the live connections (access/reevaluate.ts) and closes those no longer allowed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { ApplyPoliciesResponse, PolicyDoc } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { auditCall } from '../../plugins/request-audit';
import { requireAdmin } from '../../plugins/auth-hook';
import { validatePolicies, validatePolicy } from '../../access/policy-validate';
import { reevaluateAccess } from '../../access/reevaluate';
import { nameParams, noQuery } from './schemas';

/** The validator names fields better than JSON Schema can; the schema only bounds the shape. */
const documentSchema = { type: 'object', maxProperties: 16 } as const;

async function warningsFor(s: Services, p: PolicyDoc): Promise<string[]> {
  const out: string[] = [];
  const where = `${p.name}: `;
  for (const u of p.subjects.users ?? []) if (!(await s.store.users.byEmail(u))) out.push(`${where}no user ${u} (yet)`);
  for (const g of p.subjects.groups ?? []) if (!(await s.store.users.groupExists(g))) out.push(`${where}no group ${g} (yet)`);
  for (const k of p.subjects.apiKeys ?? []) if (!(await s.store.apiKeys.byId(k))) out.push(`${where}no API key ${k} (yet)`);
  if (p.kind !== 'session_recording') {
    for (const t of p.targets ?? []) if (!(await s.store.targets.byName(t))) out.push(`${where}no target ${t} (yet)`);
    for (const e of p.environments ?? []) if (!(await s.store.environments.byName(e))) out.push(`${where}no environment ${e} (yet)`);
  }
  return out;
}

export function registerPolicyRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/v1/policies', { schema: { querystring: noQuery } }, async (req) => {
    requireAdmin(req);
    return s.store.policies.list();
  });

  app.get('/api/v1/policies/:name', { schema: { params: nameParams } }, async (req: FastifyRequest<{ Params: { name: string } }>) => {
    requireAdmin(req);
    const p = await s.store.policies.byName(req.params.name);
    if (!p) throw new GatehouseError('NOT_FOUND', `no policy named ${req.params.name}`);
    return p;
  });

  app.put('/api/v1/policies/:name', { schema: { params: nameParams, body: documentSchema } }, async (req: FastifyRequest<{ Params: { name: string }; Body: unknown }>, reply) => {
    const a = requireAdmin(req);
    const doc = validatePolicy(req.body);
    if (doc.name !== req.params.name) throw new GatehouseError('BAD_REQUEST', `name: the document is named ${doc.name}, the URL ${req.params.name}`);
    const warnings = await warningsFor(s, doc);
    const created = (await s.store.policies.putMany([doc])).has(doc.name);
    await reevaluateAccess(s, `policy ${doc.name} changed`, a.user.email);
    auditCall(s, req, { type: 'policy.put', v: 1, outcome: 'success', policy: doc.name, kind: doc.kind, created });
    return reply.code(created ? 201 : 200).send({ policy: doc, warnings });
  });

  app.post('/api/v1/policies/apply', { schema: { body: { oneOf: [{ type: 'array', maxItems: 500 }, { type: 'object' }] } } }, async (req: FastifyRequest<{ Body: unknown }>) => {
    const a = requireAdmin(req);
    const docs = validatePolicies(req.body);
    const warnings = (await Promise.all(docs.map((d) => warningsFor(s, d)))).flat();
    const created = await s.store.policies.putMany(docs);
    const closed = await reevaluateAccess(s, `policies ${docs.map((d) => d.name).join(', ')} applied`.slice(0, 200), a.user.email);
    auditCall(s, req, { type: 'policy.apply', v: 1, outcome: 'success', policies: docs.map((d) => d.name), connectionsClosed: closed });
    const body: ApplyPoliciesResponse = { applied: docs.map((d) => ({ name: d.name, created: created.has(d.name) })), warnings };
    return body;
  });

  app.delete('/api/v1/policies/:name', { schema: { params: nameParams } }, async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const a = requireAdmin(req);
    if (!(await s.store.policies.remove(req.params.name))) throw new GatehouseError('NOT_FOUND', `no policy named ${req.params.name}`);
    const closed = await reevaluateAccess(s, `policy ${req.params.name} deleted`, a.user.email);
    auditCall(s, req, { type: 'policy.delete', v: 1, outcome: 'success', policy: req.params.name, connectionsClosed: closed });
    return reply.code(204).send();
  });
}
