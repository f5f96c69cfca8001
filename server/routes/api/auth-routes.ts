/** Login, logout, who-am-I and password change. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { GatehouseError } from '../../../protocol/errors';
import type { LoginRequest, LoginResponse, SessionInfo, TotpEnrolment } from '../../../protocol/api-types';
import { newTotpSecret, otpauthUrl, verifyTotp } from '../../auth/totp';
import type { Services } from '../../services';
import { noQuery } from './schemas';
import { auditCall } from '../../plugins/request-audit';
import { hashPassword, verifyPassword, checkNewPassword } from '../../auth/password';
import { hashToken, newToken } from '../../auth/tokens';
import { isoAfter } from '../../store/time';
import { requireSession, SESSION_COOKIE, sourceOf, type AuthState } from '../../plugins/auth-hook';

const SESSION_SECONDS = 12 * 3600;

function sessionInfo(a: { user: AuthState['user']; session: NonNullable<AuthState['session']> }): SessionInfo {
  return {
    user: { id: a.user.id, email: a.user.email, role: a.user.role },
    mustChangePassword: a.user.must_change_password === 1,
    totpEnabled: a.user.totp_secret !== null,
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
          properties: {
            email: { type: 'string', minLength: 1, maxLength: 320 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            totp: { type: 'string', maxLength: 16 },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Body: LoginRequest }>, reply) => {
      const { email, password } = req.body;
      const source = sourceOf(req);
      const keys = [`user:${email.toLowerCase()}`, `ip:${source}`];
      const wait = s.limiter.retryAfter(keys);
      if (wait > 0) {
        auditCall(s, req, { type: 'auth.login', v: 1, outcome: 'denied', email, reason: 'rate limited' }, email);
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new GatehouseError('RATE_LIMITED');
      }
      const user = await s.store.users.byEmail(email);
      const ok = await verifyPassword(password, user?.password_hash ?? null);
      if (!user || !ok) {
        s.limiter.fail(keys);
        auditCall(s, req, { type: 'auth.login', v: 1, outcome: 'failure', email, reason: user ? 'wrong password' : 'unknown user' }, email);
        throw new GatehouseError('BAD_CREDENTIALS');
      }
      // The second factor: a missing code is not a failed guess (the client asks and retries);
      // a wrong or replayed one is, and counts towards the lockout like a wrong password.
      if (user.totp_secret) {
        const code = req.body.totp?.trim();
        if (!code) {
          auditCall(s, req, { type: 'auth.login', v: 1, outcome: 'failure', email, reason: 'TOTP code required' }, email);
          throw new GatehouseError('MFA_REQUIRED');
        }
        const step = verifyTotp(user.totp_secret, code, user.totp_last_step);
        if (step === null || !(await s.store.users.useTotpStep(user.id, step))) {
          s.limiter.fail(keys);
          auditCall(s, req, { type: 'auth.login', v: 1, outcome: 'failure', email, reason: 'wrong TOTP code' }, email);
          throw new GatehouseError('BAD_CREDENTIALS', 'wrong or already used TOTP code');
        }
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
      auditCall(s, req, { type: 'auth.login', v: 1, outcome: 'success', email: user.email }, user.email);
      setCookie(reply, token, SESSION_SECONDS);
      const body: LoginResponse = { ...sessionInfo({ user, session }), token };
      return body;
    },
  );

  app.get('/api/v1/auth/me', { schema: { querystring: noQuery } }, async (req) => sessionInfo(requireSession(req)));

  // TOTP enrolment: a pending secret first, enabled only once the user proves a code from it,
  // so a half-finished enrolment never locks anyone out. Removing it is an admin's reset-mfa.
  app.post('/api/v1/auth/totp/enrol', async (req) => {
    const a = requireSession(req);
    if (a.user.totp_secret) throw new GatehouseError('CONFLICT', 'TOTP is already enabled; an admin can reset it');
    const secret = newTotpSecret();
    await s.store.users.setTotp(a.user.id, { secret: null, pending: secret, lastStep: null });
    auditCall(s, req, { type: 'auth.totp', v: 1, outcome: 'success', email: a.user.email, step: 'enrol' });
    const body: TotpEnrolment = { secret, otpauthUrl: otpauthUrl(secret, a.user.email) };
    return body;
  });

  app.post(
    '/api/v1/auth/totp/verify',
    { schema: { body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', maxLength: 16 } } } } },
    async (req: FastifyRequest<{ Body: { code: string } }>, reply) => {
      const a = requireSession(req);
      const pending = a.user.totp_pending_secret;
      if (!pending) throw new GatehouseError('CONFLICT', a.user.totp_secret ? 'TOTP is already enabled' : 'start with POST /api/v1/auth/totp/enrol');
      const step = verifyTotp(pending, req.body.code.trim(), null);
      if (step === null) {
        auditCall(s, req, { type: 'auth.totp', v: 1, outcome: 'failure', email: a.user.email, step: 'enable', reason: 'wrong code' });
        throw new GatehouseError('BAD_REQUEST', 'code: wrong TOTP code (check the device clock)');
      }
      await s.store.users.setTotp(a.user.id, { secret: pending, pending: null, lastStep: step });
      auditCall(s, req, { type: 'auth.totp', v: 1, outcome: 'success', email: a.user.email, step: 'enable' });
      return reply.code(204).send();
    },
  );

  app.post('/api/v1/auth/logout', async (req, reply) => {
    const a = requireSession(req);
    await s.store.authSessions.remove(a.session.id);
    auditCall(s, req, { type: 'auth.logout', v: 1, outcome: 'success' });
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
      const a = requireSession(req);
      if (!(await verifyPassword(req.body.currentPassword, a.user.password_hash))) {
        auditCall(s, req, { type: 'auth.password_change', v: 1, outcome: 'failure', reason: 'wrong current password' });
        throw new GatehouseError('BAD_CREDENTIALS', 'the current password is wrong');
      }
      const problem = checkNewPassword(req.body.newPassword) ?? (req.body.newPassword === req.body.currentPassword ? 'the new password must differ from the current one' : null);
      if (problem) {
        auditCall(s, req, { type: 'auth.password_change', v: 1, outcome: 'failure', reason: problem });
        throw new GatehouseError('BAD_REQUEST', problem);
      }
      await s.store.users.setPassword(a.user.id, await hashPassword(req.body.newPassword), false);
      // Other sessions of this user were opened with the old password: end them.
      await s.store.authSessions.removeOthersOfUser(a.user.id, a.session.id);
      auditCall(s, req, { type: 'auth.password_change', v: 1, outcome: 'success' });
      return reply.code(204).send();
    },
  );
}
