/**
 * `POST /api/v1/agents/register`: an agent's first contact, authenticated only by a
 * registration key (X-API-KEY; the auth hook lets such a key reach this route and nothing
 * else). It creates the agent target with the agent's Ed25519 public key; from then on the
 * agent authenticates with that key alone (agent-ws.ts).
 *
 * Idempotent: the same name with the same key answers 200 with the existing target (an agent
 * that lost the reply, or was restarted with its key, may register again); the same name with
 * another key is a conflict, so a registration key cannot take over an existing agent.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../../protocol/errors';
import type { AgentRegistrationRequest, AgentRegistrationResponse } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { auditCall } from '../../plugins/request-audit';
import { REGISTRATION_ROUTE, sourceOf } from '../../plugins/auth-hook';
import { DEFAULT_ENVIRONMENT } from '../../bootstrap';
import { canonicalAgentKey } from '../../agents/agent-keys';

/** Target and environment names: what URLs, policies and `TUSER@TARGET` logins can carry. */
export { NAME_PATTERN } from './schemas';
import { NAME_PATTERN } from './schemas';

export function registerAgentRoutes(app: FastifyInstance, s: Services): void {
  app.post(
    REGISTRATION_ROUTE,
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'hostname', 'publicKey'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: NAME_PATTERN },
            environment: { type: 'string', pattern: NAME_PATTERN },
            hostname: { type: 'string', minLength: 1, maxLength: 255 },
            publicKey: { type: 'string', minLength: 1, maxLength: 2048 },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Body: AgentRegistrationRequest }>, reply) => {
      const key = req.apiKey;
      if (!key?.registration) throw new GatehouseError('FORBIDDEN', 'registering an agent needs a registration key (X-API-KEY)');
      const { name, hostname } = req.body;
      const environment = req.body.environment ?? DEFAULT_ENVIRONMENT;
      const fail = (code: 'BAD_REQUEST' | 'CONFLICT', reason: string): never => {
        auditCall(s, req, { type: 'agent.register', v: 1, outcome: 'failure', target: name, keyId: key.id, reason });
        throw new GatehouseError(code, reason);
      };
      const publicKey = canonicalAgentKey(req.body.publicKey);
      if (!publicKey) return fail('BAD_REQUEST', 'publicKey must be an Ed25519 public key in SPKI PEM form');

      const existing = (await s.store.targets.byAgentName(name)) ?? (await s.store.targets.byName(name));
      if (existing) {
        if (existing.kind !== 'agent') return fail('CONFLICT', `a ${existing.kind} target named ${name} already exists`);
        if (existing.agent_public_key !== publicKey) return fail('CONFLICT', `an agent named ${name} is already registered`);
        auditCall(s, req, { type: 'agent.register', v: 1, outcome: 'success', target: name, targetId: existing.id, keyId: key.id, environment: existing.environment, existing: true });
        const body: AgentRegistrationResponse = { targetId: existing.id, name: existing.name };
        return reply.code(200).send(body);
      }
      await s.store.targets.ensureEnvironment(environment);
      let row;
      try {
        row = await s.store.targets.create({ name, kind: 'agent', environment, agentPublicKey: publicKey, registeredWith: key.id });
      } catch (e) {
        // Two registrations of one name raced; the loser sees the unique constraint.
        if (/UNIQUE constraint failed: targets\.name/.test((e as Error).message)) return fail('CONFLICT', `an agent named ${name} is already registered`);
        throw e;
      }
      s.log(`agent ${name} registered (${hostname}, environment ${environment}) with registration key ${key.id}`);
      auditCall(s, req, { type: 'agent.register', v: 1, outcome: 'success', target: name, targetId: row.id, keyId: key.id, environment });
      const body: AgentRegistrationResponse = { targetId: row.id, name: row.name };
      return reply.code(201).send(body);
    },
  );
}
