import { CliError, UsageError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { ApiClient } from '../../services/api-client';
import { ApiError, type Endpoint } from '../../services/api-transport';
import type { ClientConfig } from '../../services/client-config';
import { localTime } from '../../services/format';
import { endpointOf } from '../../services/logged-in';
import { readFirstLine, readLine, readSecret } from '../../services/prompt';
import { fetchServerCertificate, type TlsPin } from '../../services/server-tls';
import type { LoginResponse } from '../../../protocol/api-types';
import { parseTotpCode, type LoginArgs } from './login.command';

const NEEDS_TOTP = 'this account has TOTP on: pass the current code of your authenticator app with --totp CODE';
const TOTP_TRIES = 3;

/**
 * Logs in, with the TOTP code when one was given. When the service asks for a code
 * (MFA_REQUIRED) and none was given, it is asked for on a terminal (a mistyped code may be
 * typed again), else the error says to pass --totp. The password was right by then: the
 * service checks it before it asks for the code.
 */
async function logIn(deps: Deps, endpoint: Endpoint, args: LoginArgs, email: string, password: string, tty: boolean): Promise<LoginResponse> {
  const api = new ApiClient(endpoint, null);
  try {
    return await api.login({ email, password, ...(args.totp ? { totp: args.totp } : {}) });
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'MFA_REQUIRED') throw e;
    if (args.totp) throw e; // the service wants a code and was given one: say what it said
    if (!tty) throw new CliError(NEEDS_TOTP, { cause: e });
  }
  for (let attempt = 1; ; attempt++) {
    const code = parseTotpCode(await readLine(deps.stdin, deps.stderr, 'TOTP code: '));
    if (!code) {
      if (attempt >= TOTP_TRIES) throw new CliError('no TOTP code given');
      deps.stderr.write('gate: a TOTP code is the 6 digits your authenticator app shows\n');
      continue;
    }
    try {
      return await api.login({ email, password, totp: code });
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'BAD_CREDENTIALS' || attempt >= TOTP_TRIES) throw e;
      deps.stderr.write('gate: wrong TOTP code; try again (the code changes every 30 seconds)\n');
    }
  }
}

const MUST_CHANGE = 'the password must be changed first: log in once on a terminal or in the web UI';

async function readPrevious(deps: Deps): Promise<{ config: ClientConfig | null; token: string | null }> {
  // A broken old config must not prevent logging in again, which is how it gets repaired.
  const config = await deps.store.readConfig().catch(() => null);
  const token = await deps.store.readToken().catch(() => null);
  return { config, token };
}

async function pinFor(args: LoginArgs, origin: string, previous: ClientConfig | null): Promise<TlsPin | null> {
  if (!origin.startsWith('https:')) return null;
  if (args.caFingerprint) {
    const seen = await fetchServerCertificate(new URL(origin));
    if (seen.fingerprint !== args.caFingerprint) {
      throw new CliError(`the server's certificate fingerprint ${seen.fingerprint} does not match --ca-fingerprint`);
    }
    return seen;
  }
  // Logging in again to the same service keeps the certificate pinned at the first login.
  if (previous && previous.server === origin && previous.fingerprint && previous.certPem) {
    return { fingerprint: previous.fingerprint, certPem: previous.certPem };
  }
  return null;
}

async function changePassword(deps: Deps, endpoint: Endpoint, token: string, current: string): Promise<void> {
  const api = new ApiClient(endpoint, token);
  deps.stderr.write('The password must be changed before first use.\n');
  for (let attempt = 0; attempt < 3; attempt++) {
    const next = await readSecret(deps.stdin, deps.stderr, 'New password: ');
    const again = await readSecret(deps.stdin, deps.stderr, 'New password again: ');
    if (next !== again) {
      deps.stderr.write('gate: the passwords do not match\n');
      continue;
    }
    try {
      await api.changePassword({ currentPassword: current, newPassword: next });
      deps.stderr.write('Password changed.\n');
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) throw e;
      deps.stderr.write(`gate: ${e.message}\n`);
    }
  }
  await api.logout().catch(() => undefined);
  throw new CliError('the password was not changed');
}

export async function loginHandler(deps: Deps, args: LoginArgs): Promise<number> {
  const previous = await readPrevious(deps);
  const origin = args.server ?? previous.config?.server;
  if (!origin) throw new UsageError('gate login needs --server URL', 'login');
  const pin = await pinFor(args, origin, previous.config);
  const endpoint: Endpoint = { origin, pin };
  const tty = deps.stdin.isTTY === true;
  const ask = tty && !args.passwordStdin;

  let email = args.user;
  if (!email) {
    if (!ask) throw new UsageError('--user EMAIL is needed when gate cannot ask on a terminal', 'login');
    email = await readLine(deps.stdin, deps.stderr, 'Email: ');
    if (!email) throw new CliError('no email given');
  }
  let password: string;
  if (args.passwordStdin) password = await readFirstLine(deps.stdin);
  else if (ask) password = await readSecret(deps.stdin, deps.stderr, `Password for ${email}: `);
  else throw new UsageError('there is no terminal to ask for the password: use --password-stdin', 'login');
  if (!password) throw new CliError('the password is empty');

  const res = await logIn(deps, endpoint, args, email, password, tty);
  if (res.mustChangePassword) {
    if (!tty || args.passwordStdin) {
      // Leave no half-usable session behind.
      await new ApiClient(endpoint, res.token).logout().catch(() => undefined);
      throw new CliError(MUST_CHANGE);
    }
    await changePassword(deps, endpoint, res.token, password);
  }

  await deps.store.save({ server: origin, fingerprint: pin?.fingerprint ?? null, ...(pin ? { certPem: pin.certPem } : {}) }, res.token);
  // The session this login replaces is of no further use: end it (best effort).
  if (previous.token && previous.config?.server === origin && previous.token !== res.token) {
    await new ApiClient(endpointOf(previous.config), previous.token).logout().catch(() => undefined);
  }
  deps.stdout.write(`Logged in to ${origin} as ${res.user.email} (${res.user.role}); the session expires ${localTime(res.expiresAt)}.\n`);
  return 0;
}
