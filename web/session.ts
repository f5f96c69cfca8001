/**
 * Who is logged in, as far as this tab knows. The cookie itself is HttpOnly, so the truth lives
 * on the server; this module caches /auth/me and keeps the CSRF token in step with it.
 */
import type { LoginRequest, LoginResponse, SessionInfo } from '../protocol/api-types';
import { api, ApiError, setCsrfToken } from './api-client';

let current: SessionInfo | null = null;
let loaded = false;

export function currentSession(): SessionInfo | null {
  return current;
}

function remember(info: SessionInfo | null): void {
  current = info;
  loaded = true;
  setCsrfToken(info?.csrfToken ?? null);
}

/** Loads the session once per page load (or again after `forgetSession`). */
export async function loadSession(): Promise<SessionInfo | null> {
  if (loaded) return current;
  try {
    remember(await api<SessionInfo>('GET', '/auth/me'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) remember(null);
    else throw err;
  }
  return current;
}

/** `totp` only once the server asked for it (401 MFA_REQUIRED): an empty field is not sent. */
export async function login(email: string, password: string, totp?: string): Promise<SessionInfo> {
  const body: LoginRequest = totp ? { email, password, totp } : { email, password };
  const res = await api<LoginResponse>('POST', '/auth/login', body);
  // The bearer token is for non-browser clients; the browser keeps using the HttpOnly cookie.
  const { token: _token, ...info } = res;
  remember(info);
  return info;
}

export async function logout(): Promise<void> {
  try {
    await api<void>('POST', '/auth/logout');
  } finally {
    remember(null);
  }
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await api<void>('POST', '/auth/password', { currentPassword, newPassword });
  // The server may rotate the session (and its CSRF token) on a password change: ask again.
  forgetSession();
  await loadSession();
}

/** Asks the server again (e.g. after enabling TOTP, which changes `totpEnabled`). */
export async function reloadSession(): Promise<SessionInfo | null> {
  loaded = false;
  return loadSession();
}

/** Drops the cached session, e.g. after the server answered 401. */
export function forgetSession(): void {
  current = null;
  loaded = false;
  setCsrfToken(null);
}
