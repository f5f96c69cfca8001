/**
 * The browser's only door to the REST API. It sends the session cookie (same origin), adds the
 * CSRF token to every state-changing request, always sends a JSON body on those, and turns every
 * error reply ({error:{code,message}}) into an ApiError whose message is safe to show.
 */
import type { ErrorBody } from '../protocol/errors';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrfToken: string | null = null;

/** Set from the login reply or from /auth/me; cleared on logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) throw toApiError(res, data);
  return data as T;
}

function toApiError(res: Response, data: unknown): ApiError {
  const err = (data as Partial<ErrorBody> | undefined)?.error;
  if (err && typeof err.message === 'string') {
    return new ApiError(res.status, String(err.code ?? 'UNKNOWN'), err.message);
  }
  return new ApiError(res.status, 'UNKNOWN', `Request failed (${res.status} ${res.statusText})`);
}

/** Human-readable message for anything a page caught. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
