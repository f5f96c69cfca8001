/**
 * A real Gatehouse service in the test process: real store in a temp data dir, real fastify
 * listening on 127.0.0.1:0 (plain HTTP, which the config allows on loopback only), the embedded
 * local agent run from the built bundle. Tests talk to it over the network like any client.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../server/config';
import { createServices, type Services } from '../../server/services';
import { buildApp } from '../../server/app';

export const ROOT = resolve(__dirname, '../..');
export const GATEHOUSE_BIN = join(ROOT, 'dist/gatehouse.js');

export interface TestServer {
  url: string;
  wsUrl: string;
  services: Services;
  app: FastifyInstance;
  dataDir: string;
  adminPassword: string;
  logs: string[];
  /** How many POST/PUT/PATCH/DELETE calls under /api/v1 this server answered so far. */
  stateChangingCalls(): number;
  /** Stops everything; throws if some state-changing call did not leave exactly one event row. */
  stop(): Promise<void>;
}

/** `config`: extra configuration keys, as flags (`'slack.bot_token': 'xoxb-…'`). */
export async function startInProcess(opts: { config?: Record<string, string | boolean> } = {}): Promise<TestServer> {
  if (!existsSync(GATEHOUSE_BIN)) throw new Error('dist/gatehouse.js is missing: run `npm run build` (npm test does)');
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-it-'));
  const config = loadConfig({ configFile: '/dev/null', env: {}, flags: { data_dir: dataDir, listen: '127.0.0.1:0', ssh_listen: 'off', 'tls.enabled': false, ...opts.config } });
  const logs: string[] = [];
  const services = await createServices(config, {
    localAgentCommand: [process.execPath, GATEHOUSE_BIN, 'agent', '--stdio'],
    log: (m) => logs.push(m),
  });
  const app = await buildApp(services, { webRoot: join(ROOT, 'dist/web') });
  // The audit invariant, checked for every suite that uses this helper: each state-changing
  // API call leaves exactly one event row carrying its request id (stop() throws otherwise).
  const changes: string[] = [];
  app.addHook('onResponse', async (req) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && req.url.startsWith('/api/v1/')) changes.push(`${req.id} ${req.method} ${req.url.split('?')[0]}`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    wsUrl: `ws://127.0.0.1:${addr.port}`,
    services,
    app,
    dataDir,
    adminPassword: services.bootstrapPassword!,
    logs,
    stateChangingCalls: () => changes.length,
    async stop() {
      await app.close();
      await services.audit.flush();
      const counts = new Map(
        (await services.store.db.all<{ request_id: string; n: number }>('SELECT request_id, count(*) AS n FROM events WHERE request_id IS NOT NULL GROUP BY request_id')).map((r) => [r.request_id, r.n]),
      );
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
      const wrong = changes.filter((c) => counts.get(c.split(' ')[0]!) !== 1).map((c) => `${c}: ${counts.get(c.split(' ')[0]!) ?? 0} event rows`);
      if (wrong.length) throw new Error(`every state-changing API call must leave exactly one event row:\n${wrong.join('\n')}`);
    },
  };
}

/** Logs in with the API and returns the bearer token (and the CSRF token for cookie use). */
export async function apiLogin(url: string, email: string, password: string): Promise<{ token: string; csrf: string; cookie: string; mustChangePassword: boolean }> {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { token: string; csrfToken: string; mustChangePassword: boolean };
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { token: body.token, csrf: body.csrfToken, cookie, mustChangePassword: body.mustChangePassword };
}

/** Logs in as the bootstrap admin and changes the one-time password; returns a bearer token. */
export async function adminToken(s: TestServer, newPassword = 'correct horse battery staple'): Promise<string> {
  const first = await apiLogin(s.url, 'admin@localhost', s.adminPassword);
  const r = await fetch(`${s.url}/api/v1/auth/password`, {
    method: 'POST',
    headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword: s.adminPassword, newPassword }),
  });
  if (r.status !== 204) throw new Error(`password change failed: ${r.status} ${await r.text()}`);
  s.adminPassword = newPassword;
  return first.token;
}

export function api(s: { url: string }, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const r = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
}
