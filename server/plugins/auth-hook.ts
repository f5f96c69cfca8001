/**
 * Identifies the caller of every `/api/v1` and `/ws` request from the `gh_session` cookie
 * (browser), `Authorization: Bearer` (CLI) or `X-API-KEY: ID:SECRET` (scripts), and enforces the
 * rules that hold for all routes:
 * - a registration key may call the agent registration route and nothing else (403); any other
 *   API key acts as itself: a policy subject with role `user`, never an admin;
 * - no valid session → 401 (websockets: the handler closes with 4401 instead, so the browser
 *   learns why);
 * - cookie-authenticated state changes must carry the session's CSRF token;
 * - while the password must be changed, only the auth routes answer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../../protocol/errors';
import { hashToken } from '../auth/tokens';
import type { Services } from '../services';
import type { UserRow } from '../store/users-repo';
import type { AuthSessionRow } from '../store/auth-sessions-repo';
import type { ApiKeyRow } from '../store/api-keys-repo';
import { verifyApiKey } from '../auth/api-keys';
import { usernameOf } from '../access/policy-decider';

export const SESSION_COOKIE = 'gh_session';
const PUBLIC_ROUTES = new Set(['/api/v1/auth/login', '/api/v1/openapi.json']);
/** The only route a registration key may call. */
export const REGISTRATION_ROUTE = '/api/v1/agents/register';
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(['/api/v1/auth/me', '/api/v1/auth/password', '/api/v1/auth/logout']);

export interface AuthState {
  /** The user; for an API key, a stand-in row (id = key id, email `apikey:ID`, role user). */
  user: UserRow;
  groups: string[];
  /** The login session; null for API keys, which have none. */
  session: AuthSessionRow | null;
  via: 'cookie' | 'bearer' | 'api_key';
  /** What `{username}` means for this caller. */
  username: string;
  apiKey: ApiKeyRow | null;
}

/** The stand-in user row of an API key: it can never log in nor be an admin. */
function keyPrincipal(k: ApiKeyRow): AuthState {
  const user: UserRow = {
    id: k.id,
    email: `apikey:${k.id}`,
    role: 'user',
    password_hash: null,
    must_change_password: 0,
    totp_secret: null,
    totp_pending_secret: null,
    totp_last_step: null,
    created_at: k.created_at,
  };
  return { user, groups: [], session: null, via: 'api_key', username: k.name, apiKey: k };
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthState | null;
    /** Set when the caller authenticated with X-API-KEY. */
    apiKey: ApiKeyRow | null;
  }
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A user acting as themselves: from a login session, or (session null) from Slack. */
export async function userAuthState(services: Services, user: UserRow, session: AuthSessionRow | null, via: 'cookie' | 'bearer'): Promise<AuthState> {
  return { user, groups: await services.store.users.groupsOf(user.id), session, via, username: usernameOf(user.email), apiKey: null };
}

async function identify(services: Services, req: FastifyRequest): Promise<AuthState | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ?? readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token || token.length > 256) return null;
  const session = await services.store.authSessions.byTokenHash(hashToken(token));
  if (!session) return null;
  const user = await services.store.users.byId(session.user_id);
  if (!user) return null;
  return userAuthState(services, user, session, bearer ? 'bearer' : 'cookie');
}

export function registerAuthHook(app: FastifyInstance, services: Services): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    const isApi = path.startsWith('/api/v1/');
    const isWs = path.startsWith('/ws/');
    if (!isApi && !isWs) return;
    const keyHeader = req.headers['x-api-key'];
    if (typeof keyHeader === 'string') {
      req.apiKey = await verifyApiKey(services.store, keyHeader);
      if (!req.apiKey) throw new GatehouseError('UNAUTHENTICATED', 'unknown or wrong API key');
      if (req.apiKey.registration) {
        if (path !== REGISTRATION_ROUTE) throw new GatehouseError('FORBIDDEN', 'a registration key can only register agents');
        return;
      }
      req.auth = keyPrincipal(req.apiKey);
      return;
    }
    req.auth = await identify(services, req);
    if (isWs || PUBLIC_ROUTES.has(path)) return;
    if (!req.auth) throw new GatehouseError('UNAUTHENTICATED');
    if (req.auth.via === 'cookie' && req.auth.session && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, req.auth.session.csrf_token)) throw new GatehouseError('CSRF');
    }
    if (req.auth.user.must_change_password && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(path)) {
      throw new GatehouseError('PASSWORD_CHANGE_REQUIRED');
    }
  });
}

export function requireAuth(req: FastifyRequest): AuthState {
  if (!req.auth) throw new GatehouseError('UNAUTHENTICATED');
  return req.auth;
}

/** Routes about the login session itself (logout, password, TOTP): not for API keys. */
export function requireSession(req: FastifyRequest): AuthState & { session: AuthSessionRow } {
  const a = requireAuth(req);
  if (!a.session) throw new GatehouseError('FORBIDDEN', 'this needs a login session, not an API key');
  return a as AuthState & { session: AuthSessionRow };
}

export function requireAdmin(req: FastifyRequest): AuthState {
  const a = requireAuth(req);
  if (a.user.role !== 'admin') throw new GatehouseError('FORBIDDEN', 'this needs an admin');
  return a;
}

export function sourceOf(req: FastifyRequest): string {
  return req.ip;
}
