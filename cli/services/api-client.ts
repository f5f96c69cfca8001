/**
 * The typed client of the service's REST API and terminal websocket, over the DTOs of
 * protocol/. Every request goes to one origin with the stored bearer token and, when the login
 * pinned a certificate, trusts only that certificate (services/server-tls.ts).
 *
 * Failures become CliErrors with one line a user can act on: the service's own safe message
 * for HTTP errors, and a short diagnosis for network and TLS failures.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type {
  AccessRequestInfo,
  CreateAccessRequest,
  CommandLogEntry,
  ApiKeyInfo,
  ApplyPoliciesResponse,
  ChangePasswordRequest,
  ConnectionInfo,
  ConnectionLogEntry,
  CreateConnectionRequest,
  CreatedApiKey,
  CreateEnvironmentRequest,
  CreateUserRequest,
  CreateUserResponse,
  EnvironmentInfo,
  EventLogEntry,
  GroupInfo,
  LoginRequest,
  LoginResponse,
  PolicyDoc,
  RecordingInfo,
  Role,
  SessionInfo,
  TargetInfo,
  UpdateTargetRequest,
  UserDetails,
} from '../../protocol/api-types';
import type { ErrorBody, ErrorCode } from '../../protocol/errors';
import { CliError } from '../cli-errors';
import { pinnedTlsOptions, type TlsPin } from './server-tls';

export interface Endpoint {
  /** `https://host:port` or `http://host:port`. */
  origin: string;
  pin: TlsPin | null;
}

/** An HTTP error reply of the service. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ConnectionLogFilter {
  user?: string;
  target?: string;
  since?: string;
  until?: string;
  grep?: string;
  limit?: string;
  /** Rows after this id, oldest first (follow). */
  after?: string;
}

export interface EventLogFilter {
  user?: string;
  type?: string;
  outcome?: string;
  since?: string;
  until?: string;
  grep?: string;
  limit?: string;
  /** Rows after this id, oldest first (follow). */
  after?: string;
}

/** `?k=v&…` of the filter's non-empty values, or ''. */
function query(filter: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (typeof v === 'string' && v !== '') q.set(k, v);
  const qs = q.toString();
  return qs ? `?${qs}` : '';
}

/** One path segment: names and emails go into URLs encoded, never as they are. */
const seg = encodeURIComponent;

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

const NOT_LOGGED_IN = 'not logged in: the session has expired or was ended; run gate login';

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line for a failure to talk to the service at all (network, TLS). */
export function describeNetworkError(endpoint: Endpoint, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (endpoint.pin && (TLS_VERIFY_CODES.has(code) || /is not the pinned/.test(err.message))) {
    return `the certificate of ${endpoint.origin} is not the pinned ${endpoint.pin.fingerprint}; if the service's certificate was replaced, run gate login --ca-fingerprint with the new one`;
  }
  if (TLS_VERIFY_CODES.has(code)) {
    return `cannot verify the certificate of ${endpoint.origin} (${err.message}); for a self-signed certificate run gate login --ca-fingerprint sha256:HEX as printed by gatehouse serve`;
  }
  return `cannot reach ${endpoint.origin}: ${err.message}`;
}

/**
 * Client frames must be masked (RFC 6455) so that a browser's bytes cannot poison a plaintext
 * proxy's cache. Over TLS no intermediary sees the bytes, and ws's JS masking loop was half the
 * CPU of a tunnel (bench/RESULTS.md): an all-zero key leaves the payload as is, and ws skips the
 * work on both ends. Used only on wss:.
 */
export const ZERO_MASK = (mask: Buffer): Buffer => mask.fill(0);

export class ApiClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly token: string | null,
  ) {}

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.call('POST', '/api/v1/auth/login', body);
  }

  me(): Promise<SessionInfo> {
    return this.call('GET', '/api/v1/auth/me');
  }

  logout(): Promise<void> {
    return this.call('POST', '/api/v1/auth/logout');
  }

  changePassword(body: ChangePasswordRequest): Promise<void> {
    return this.call('POST', '/api/v1/auth/password', body);
  }

  targets(): Promise<TargetInfo[]> {
    return this.call('GET', '/api/v1/targets');
  }

  createConnection(body: CreateConnectionRequest): Promise<ConnectionInfo> {
    return this.call('POST', '/api/v1/connections', body);
  }

  connections(opts: { all?: boolean } = {}): Promise<ConnectionInfo[]> {
    return this.call('GET', `/api/v1/connections${opts.all ? '?all=1' : ''}`);
  }

  connection(id: string): Promise<ConnectionInfo> {
    return this.call('GET', `/api/v1/connections/${encodeURIComponent(id)}`);
  }

  closeConnection(id: string): Promise<void> {
    return this.call('DELETE', `/api/v1/connections/${encodeURIComponent(id)}`);
  }

  /** The connection log, oldest first: the newest rows, or with `after` the rows after that id. */
  connectionLog(filter: ConnectionLogFilter = {}): Promise<ConnectionLogEntry[]> {
    return this.call('GET', `/api/v1/logs/connections${query(filter)}`);
  }

  // ---- just-in-time access ----

  createRequest(body: CreateAccessRequest): Promise<AccessRequestInfo> {
    return this.call('POST', '/api/v1/requests', body);
  }

  requests(): Promise<AccessRequestInfo[]> {
    return this.call('GET', '/api/v1/requests');
  }

  approveRequest(id: string): Promise<AccessRequestInfo> {
    return this.call('POST', `/api/v1/requests/${seg(id)}/approve`);
  }

  denyRequest(id: string, reason: string | null): Promise<AccessRequestInfo> {
    return this.call('POST', `/api/v1/requests/${seg(id)}/deny`, reason ? { reason } : {});
  }

  /** The command log: newest first, or with `after` the rows after that id, oldest first. */
  commandLog(filter: Record<string, string> = {}): Promise<CommandLogEntry[]> {
    return this.call('GET', `/api/v1/logs/commands${query(filter)}`);
  }

  /** The audit log, newest first (admins: everyone's; others: their own). */
  eventLog(filter: EventLogFilter = {}): Promise<EventLogEntry[]> {
    return this.call('GET', `/api/v1/logs/events${query(filter)}`);
  }

  // ---- administration (admins; others get 403) ----

  users(): Promise<UserDetails[]> {
    return this.call('GET', '/api/v1/users');
  }

  createUser(body: CreateUserRequest): Promise<CreateUserResponse> {
    return this.call('POST', '/api/v1/users', body);
  }

  deleteUser(email: string): Promise<void> {
    return this.call('DELETE', `/api/v1/users/${seg(email)}`);
  }

  setUserRole(email: string, role: Role): Promise<UserDetails> {
    return this.call('PATCH', `/api/v1/users/${seg(email)}`, { role });
  }

  resetMfa(email: string): Promise<void> {
    return this.call('POST', `/api/v1/users/${seg(email)}/reset-mfa`, {});
  }

  groups(): Promise<GroupInfo[]> {
    return this.call('GET', '/api/v1/groups');
  }

  createGroup(name: string): Promise<GroupInfo> {
    return this.call('POST', '/api/v1/groups', { name });
  }

  deleteGroup(name: string): Promise<void> {
    return this.call('DELETE', `/api/v1/groups/${seg(name)}`);
  }

  addGroupMember(group: string, email: string): Promise<void> {
    return this.call('PUT', `/api/v1/groups/${seg(group)}/members/${seg(email)}`);
  }

  removeGroupMember(group: string, email: string): Promise<void> {
    return this.call('DELETE', `/api/v1/groups/${seg(group)}/members/${seg(email)}`);
  }

  apiKeys(): Promise<ApiKeyInfo[]> {
    return this.call('GET', '/api/v1/keys');
  }

  createApiKey(body: { name: string; registration?: boolean }): Promise<CreatedApiKey> {
    return this.call('POST', '/api/v1/keys', body);
  }

  deleteApiKey(id: string): Promise<void> {
    return this.call('DELETE', `/api/v1/keys/${seg(id)}`);
  }

  updateTarget(name: string, body: UpdateTargetRequest): Promise<TargetInfo> {
    return this.call('PATCH', `/api/v1/targets/${seg(name)}`, body);
  }

  deleteTarget(name: string): Promise<void> {
    return this.call('DELETE', `/api/v1/targets/${seg(name)}`);
  }

  environments(): Promise<EnvironmentInfo[]> {
    return this.call('GET', '/api/v1/environments');
  }

  createEnvironment(body: CreateEnvironmentRequest): Promise<EnvironmentInfo> {
    return this.call('POST', '/api/v1/environments', body);
  }

  /** A duration from 1h to 90d, or null: offline targets are never removed. */
  setOfflineRemoval(name: string, offlineRemoval: string | null): Promise<EnvironmentInfo> {
    return this.call('PUT', `/api/v1/environments/${seg(name)}`, { offlineRemoval });
  }

  deleteEnvironment(name: string): Promise<void> {
    return this.call('DELETE', `/api/v1/environments/${seg(name)}`);
  }

  policies(): Promise<PolicyDoc[]> {
    return this.call('GET', '/api/v1/policies');
  }

  policy(name: string): Promise<PolicyDoc> {
    return this.call('GET', `/api/v1/policies/${seg(name)}`);
  }

  /**
   * Creates or replaces every document by name, all or nothing. The documents go as the file
   * had them: the service validates them and names the index and field of the first bad one.
   */
  applyPolicies(docs: unknown[]): Promise<ApplyPoliciesResponse> {
    return this.call('POST', '/api/v1/policies/apply', docs);
  }

  deletePolicy(name: string): Promise<void> {
    return this.call('DELETE', `/api/v1/policies/${seg(name)}`);
  }

  /**
   * Opens the terminal websocket of a connection (`wsPath` from ConnectionInfo). The socket is
   * returned at once; the caller listens for open/message/close/error.
   */
  openTerminal(wsPath: string): WebSocket {
    return this.openSocket(wsPath);
  }

  /** Opens any websocket of the service (terminal, tunnel) with this login and TLS pinning. */
  openSocket(wsPath: string): WebSocket {
    const url = new URL(wsPath, this.endpoint.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new WebSocket(url, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      ...(this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {}),
      ...(url.protocol === 'wss:' ? { generateMask: ZERO_MASK } : {}),
      handshakeTimeout: REQUEST_TIMEOUT_MS,
      maxPayload: 4 * 1024 * 1024,
    });
  }

  // ---- recordings ----

  /** Newest first; `grep`: recordings of sessions in which a command containing it was run. */
  recordings(filter: { user?: string; target?: string; since?: string; grep?: string } = {}): Promise<RecordingInfo[]> {
    return this.call('GET', `/api/v1/recordings${query(filter)}`);
  }

  /**
   * A recording's asciicast file as a stream (what exists now, for a live one) and its size;
   * any refusal is the API's error, as for every other call.
   */
  async recordingCast(id: string): Promise<{ stream: IncomingMessage; size: number | null }> {
    const path = `/api/v1/recordings/${seg(id)}/cast`;
    const res = await this.request('GET', path);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      const size = Number(res.headers['content-length']);
      return { stream: res, size: Number.isFinite(size) ? size : null };
    }
    throw this.failure('GET', path, status, await this.readBody(res, 'GET', path));
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || res.text === '') return undefined as T;
      try {
        return JSON.parse(res.text) as T;
      } catch {
        throw new ApiError(res.status, null, `${method} ${path}: the service sent a reply that is not JSON`);
      }
    }
    throw this.failure(method, path, res.status, res.text);
  }

  /** The error for a refused call: the API's own code and message when the body is one of ours. */
  private failure(method: string, path: string, status: number, text: string): ApiError {
    let err: ErrorBody['error'] | null = null;
    try {
      err = (JSON.parse(text) as ErrorBody).error ?? null;
    } catch {
      // not one of our error bodies (a proxy in between?): described by its status below
    }
    if (status === 401 && err?.code === 'UNAUTHENTICATED') return new ApiError(401, err.code, NOT_LOGGED_IN);
    if (err?.code === 'PASSWORD_CHANGE_REQUIRED') {
      return new ApiError(status, err.code, 'the password must be changed first: log in once on a terminal or in the web UI');
    }
    if (err && typeof err.message === 'string') return new ApiError(status, err.code ?? null, err.message);
    return new ApiError(status, null, `${method} ${path}: HTTP ${status}`);
  }

  /** A failure to talk to the service at all, described for the user. */
  networkError(e: Error): CliError {
    return new CliError(describeNetworkError(this.endpoint, e), { cause: e });
  }

  /** A JSON call's reply, read whole. */
  private async send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await this.request(method, path, body);
    return { status: res.statusCode ?? 0, text: await this.readBody(res, method, path) };
  }

  /** A reply's body as text, bounded by MAX_RESPONSE_BYTES. */
  private async readBody(res: IncomingMessage, method: string, path: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res) {
        size += (c as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy();
          throw new CliError(`${method} ${path}: reply larger than ${MAX_RESPONSE_BYTES} bytes`);
        }
        chunks.push(c as Buffer);
      }
    } catch (e) {
      throw e instanceof CliError ? e : this.networkError(e as Error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One request with this login and TLS pinning; resolves with the reply's head, its body unread. */
  private request(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const url = new URL(path, this.endpoint.origin);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const options: RequestOptions = { method, headers, timeout: REQUEST_TIMEOUT_MS };
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = secure
        ? httpsRequest(url, { ...options, ...(this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {}) }, resolve)
        : httpRequest(url, options, resolve);
      req.on('timeout', () => req.destroy(new Error(`no reply within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (e) => reject(this.networkError(e)));
      req.end(payload);
    });
  }
}
