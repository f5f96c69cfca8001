/**
 * The typed client of the service's REST API and terminal websocket, over the DTOs of
 * protocol/: one method per endpoint. How a request travels (origin, bearer token, pinned
 * certificate, bounds) and how failures read is the transport's (api-transport.ts).
 */
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
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
import { ApiTransport } from './api-transport';

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

export class ApiClient extends ApiTransport {
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
}
