/**
 * One event row per state-changing API call, always exactly one:
 * - every reply carries `x-request-id` (a fresh UUID; a client-sent id is never trusted);
 * - a route records its own event with `auditCall(s, req, event)`, which stamps the request id,
 *   actor and source (services the route calls may emit with `{requestId: req.id}` instead);
 * - a POST/PUT/PATCH/DELETE under /api/v1 that ends without one (refused by the auth hook,
 *   failed validation, a route with nothing more specific to say) gets a generic `api.call`
 *   event just before its reply is sent.
 * Events the service raises on its own (a shell exiting, an agent going offline) carry no
 * request id. Two events for one request is a bug the test suite catches.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services';
import type { AuditEvent, Outcome } from '../audit/types';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function actorOf(req: FastifyRequest): string | null {
  if (req.auth) return req.auth.user.email;
  if (req.apiKey) return `apikey:${req.apiKey.id}`;
  return null;
}

/** Records the route's event for this request; `actor` overrides the caller (failed logins). */
export function auditCall(s: Services, req: FastifyRequest, event: AuditEvent, actor?: string | null): void {
  s.audit.emit(event, { actor: actor === undefined ? actorOf(req) : actor, source: req.ip, requestId: req.id });
}

function outcomeOf(status: number): Outcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 404 || status === 429 ? 'denied' : 'failure';
}

export function registerRequestAudit(app: FastifyInstance, s: Services): void {
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-request-id', req.id);
    const emitted = s.audit.takeRequest(req.id);
    if (emitted === 0 && !SAFE_METHODS.has(req.method) && req.url.startsWith('/api/v1/')) {
      const route = req.routeOptions.url ?? req.url.split('?')[0]!.slice(0, 200);
      auditCall(s, req, { type: 'api.call', v: 1, outcome: outcomeOf(reply.statusCode), method: req.method, route, status: reply.statusCode });
    }
    return payload;
  });
}
