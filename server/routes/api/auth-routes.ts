/** Login, logout, who-am-I and password change. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { GatehouseError } from '../../../protocol/errors';
import type { LoginResponse, SessionInfo } from '../../../protocol/api-types';
import type { Services } from '../../services';
import { hashPassword, verifyPassword, checkNewPassword } from '../../auth/password';
import { hashToken, newToken } from '../../auth/tokens';
import { isoAfter } from '../../store/time';
import { requireAuth, SESSION_COOKIE, sourceOf, type AuthState } from '../../plugins/auth-hook';

const SESSION_SECONDS = 12 * 3600;

function sessionInfo(a: { user: AuthState['user']; session: AuthState['session'] }): SessionInfo {
  return {
    user: { id: a.user.id, email: a.user.email, role: a.user.role },
    mustChangePassword: a.user.must_change_password === 1,
    csrfToken: a.session.csrf_token,
    expiresAt: a.session.expires_at,
  };
}

function setCookie(reply: FastifyReply, token: string, maxAge: number): void {
  void reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAge}`);
}

export function registerAuthRoutes(app: FastifyInstance, s: Services): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          additionalProperties: false,
          properties: { email: { type: 'string', minLength: 1, maxLength: 320 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
      },
    },
    async (req: FastifyRequest<{ Body: { email: string; password: string } }>, reply) => {
      const { email, password } = req.body;
      const source = sourceOf(req);
      const keys = [`user:${email.toLowerCase()}`, `ip:${source}`];
      const wait = s.limiter.retryAfter(keys);
      if (wait > 0) {
        s.audit.emit({ type: 'auth.login', v: 1, outcome: 'denied', email, reason: 'rate limited' }, { actor: email, source });
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new GatehouseError('RATE_LIMITED');
      }
      const user = await s.store.users.byEmail(email);
      const ok = await verifyPassword(password, user?.password_hash ?? null);
      if (!user || !ok) {
        s.limiter.fail(keys);
        s.audit.emit({ type: 'auth.login', v: 1, outcome: 'failure', email, reason: user ? 'wrong password' : 'unknown user' }, { actor: email, source });
        throw new GatehouseError('BAD_CREDENTIALS');
      }
      s.limiter.succeed(keys);
      const token = newToken('ghs');
      const session = await s.store.authSessions.create({
        tokenHash: hashToken(token),
        userId: user.id,
        csrfToken: randomBytes(24).toString('base64url'),
        expiresAt: isoAfter(SESSION_SECONDS),
        source,
      });
      s.audit.emit({ type: 'auth.login', v: 1, outcome: 'success', email: user.email }, { actor: user.email, source });
      setCookie(reply, token, SESSION_SECONDS);
      const body: LoginResponse = { ...sessionInfo({ user, session }), token };
      return body;
    },
  );

  app.get('/api/v1/auth/me', async (req) => sessionInfo(requireAuth(req)));

  app.post('/api/v1/auth/logout', async (req, reply) => {
    const a = requireAuth(req);
    await s.store.authSessions.remove(a.session.id);
    s.audit.emit({ type: 'auth.logout', v: 1, outcome: 'success' }, { actor: a.user.email, source: sourceOf(req) });
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  app.post(
    '/api/v1/auth/password',
    {
      schema: {
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: { currentPassword: { type: 'string', maxLength: 1024 }, newPassword: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (req: FastifyRequest<{ Body: { currentPassword: string; newPassword: string } }>, reply) => {
      const a = requireAuth(req);
      const ctx = { actor: a.user.email, source: sourceOf(req) };
      if (!(await verifyPassword(req.body.currentPassword, a.user.password_hash))) {
        s.audit.emit({ type: 'auth.password_change', v: 1, outcome: 'failure', reason: 'wrong current password' }, ctx);
        throw new GatehouseError('BAD_CREDENTIALS', 'the current password is wrong');
      }
      const problem = checkNewPassword(req.body.newPassword) ?? (req.body.newPassword === req.body.currentPassword ? 'the new password must differ from the current one' : null);
      if (problem) {
        s.audit.emit({ type: 'auth.password_change', v: 1, outcome: 'failure', reason: problem }, ctx);
        throw new GatehouseError('BAD_REQUEST', problem);
      }
      await s.store.users.setPassword(a.user.id, await hashPassword(req.body.newPassword), false);
      // Other sessions of this user were opened with the old password: end them.
      await s.store.authSessions.removeOthersOfUser(a.user.id, a.session.id);
      s.audit.emit({ type: 'auth.password_change', v: 1, outcome: 'success' }, ctx);
      return reply.code(204).send();
    },
  );
}
