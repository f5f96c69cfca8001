/**
 * `GET /api/v1/openapi.json`: an OpenAPI 3.0 document built from the routes' own JSON schemas,
 * collected as routes are registered, so it cannot drift from what the server validates.
 * Replies are described by name only (the types live in protocol/api-types.ts).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

interface Collected {
  method: string;
  url: string;
  schema: { params?: JsonSchema; querystring?: JsonSchema; body?: JsonSchema };
}
type JsonSchema = { properties?: Record<string, unknown>; required?: readonly string[] } & Record<string, unknown>;

const PUBLIC = new Set(['/api/v1/auth/login', '/api/v1/openapi.json']);

function parameters(where: 'path' | 'query', s: JsonSchema | undefined): unknown[] {
  return Object.entries(s?.properties ?? {}).map(([name, schema]) => ({ name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema }));
}

export function registerOpenApi(app: FastifyInstance, version: string): void {
  const routes: Collected[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    if (!r.url.startsWith('/api/v1/')) return;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m.toLowerCase(), url: r.url, schema: (r.schema ?? {}) as Collected['schema'] });
  });

  app.get('/api/v1/openapi.json', async () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of routes) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op: Record<string, unknown> = {
        operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
        parameters: [...parameters('path', r.schema.params), ...parameters('query', r.schema.querystring)],
        responses: {
          default: { description: 'Success: the JSON of protocol/api-types.ts. Errors: `{"error":{"code","message"}}` (protocol/errors.ts).' },
        },
        ...(PUBLIC.has(r.url) ? { security: [] } : {}),
      };
      if (r.schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
      (paths[path] ??= {})[r.method] = op;
    }
    return {
      openapi: '3.0.3',
      info: { title: 'Gatehouse API', version },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'the token of POST /api/v1/auth/login' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'gh_session', description: 'browser session; state changes also need X-CSRF-Token' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY', description: 'ID:SECRET' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }, { apiKey: [] }],
      paths,
    };
  });
}
