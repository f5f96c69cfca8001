/**
 * buildApp(services): the fastify instance with every plugin and route. Never listens; the
 * caller (main, or a test) does. The web app is served from `webRoot` (dist/web).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import type { Services } from './services';
import { registerAuthHook } from './plugins/auth-hook';
import { registerErrorHandler } from './plugins/error-handler';
import { registerAuthRoutes } from './routes/api/auth-routes';
import { registerTargetRoutes } from './routes/api/targets-routes';
import { registerConnectionRoutes } from './routes/api/connections-routes';
import { registerRecordingRoutes } from './routes/api/recordings-routes';
import { registerTerminalWs } from './routes/ws/terminal-ws';
import { registerCommandLogRoutes, registerEventLogRoutes, registerLogRoutes } from './routes/api/logs-routes';
import { registerUserRoutes } from './routes/api/users-routes';
import { registerRequestRoutes } from './routes/api/requests-routes';
import { registerGroupRoutes } from './routes/api/groups-routes';
import { registerRequestAudit } from './plugins/request-audit';
import { registerOpenApi } from './plugins/openapi';
import { randomUUID } from 'node:crypto';
import { registerKeyRoutes } from './routes/api/keys-routes';
import { registerTunnelWs } from './routes/ws/tunnel-ws';
import { registerAgentRoutes } from './routes/api/agents-routes';
import { registerAgentWs } from './routes/ws/agent-ws';
import { registerEnvironmentRoutes } from './routes/api/environments-routes';
import { registerPolicyRoutes } from './routes/api/policies-routes';
import { accessService } from './access/access-service';
import { MAX_FRAME_BYTES } from '../protocol/agent-frames';

export const BODY_LIMIT = 64 * 1024;
/** The REST API's version, as the OpenAPI document states it. */
export const API_VERSION = '1.0.0';
/** One agent-link frame per message: the largest frame plus its length field. */
const WS_MAX_PAYLOAD = MAX_FRAME_BYTES + 4;

export async function buildApp(s: Services, opts: { webRoot: string }): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Request ids are stamped on events and replies (x-request-id); never taken from the client.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Unknown fields are an error, not silently dropped (SPEC: validated at the edge).
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    ...(s.tls ? { https: { cert: s.tls.cert, key: s.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  registerErrorHandler(app, s.log);
  await app.register(websocket, {
    options: { maxPayload: WS_MAX_PAYLOAD },
    // On a graceful stop, end the live connections first, so they are closed as "service
    // stopping" (and their clients told so) rather than as "target offline" when the agent
    // links go; then the agent links (agents reconnect with backoff), then every other socket.
    preClose: async function (this: FastifyInstance) {
      await s.broker.closeAll('service stopping');
      await s.agents.close('service stopping');
      for (const client of this.websocketServer.clients) client.close(1001, 'service stopping');
      // Not awaited: its callback waits for every closing handshake, and a frozen peer's takes 30 s.
      this.websocketServer.close();
    },
  });
  registerAuthHook(app, s);
  registerRequestAudit(app, s);
  registerOpenApi(app, API_VERSION);
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return payload;
  });

  const access = accessService(s.store, (t) => (t.kind === 'local' || (t.kind === 'agent' && s.agents.isOnline(t.id)) ? 'online' : 'offline'));
  registerAuthRoutes(app, s);
  registerTargetRoutes(app, s, access);
  registerConnectionRoutes(app, s, access);
  registerRecordingRoutes(app, s);
  registerLogRoutes(app, s);
  registerKeyRoutes(app, s);
  registerAgentRoutes(app, s);
  registerEnvironmentRoutes(app, s);
  registerPolicyRoutes(app, s);
  registerUserRoutes(app, s);
  registerGroupRoutes(app, s);
  registerEventLogRoutes(app, s);
  registerCommandLogRoutes(app, s);
  registerRequestRoutes(app, s);
  registerTerminalWs(app, s);
  registerAgentWs(app, s);
  registerTunnelWs(app, s, access);
  await app.register(fastifyStatic, { root: opts.webRoot, index: ['index.html'], wildcard: true });
  return app;
}
