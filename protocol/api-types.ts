/**
 * JSON shapes of the REST API (`/api/v1`), shared by the server, `gate` and the web app.
 * Field names are camelCase and stable: scripts depend on `--json` output built from these.
 */
import type { Action } from './permit';

export type Role = 'admin' | 'user';

export interface UserInfo {
  id: string;
  email: string;
  role: Role;
}

export interface LoginRequest {
  email: string;
  password: string;
  /** The current 6-digit TOTP code; required once the user has enrolled (else 401 MFA_REQUIRED). */
  totp?: string;
}

export interface SessionInfo {
  user: UserInfo;
  mustChangePassword: boolean;
  /** Echo in `X-CSRF-Token` on state-changing requests authenticated by the cookie. */
  csrfToken: string;
  expiresAt: string;
  totpEnabled: boolean;
}

export interface LoginResponse extends SessionInfo {
  /** Bearer token for non-browser clients; the browser uses the HttpOnly cookie instead. */
  token: string;
}

export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

export type TargetKind = 'agent' | 'ssh' | 'local' | 'proxy';
export type TargetStatus = 'online' | 'offline';

export interface TargetInfo {
  id: string;
  name: string;
  kind: TargetKind;
  status: TargetStatus;
  environment: string;
  targetUsers: string[];
  actions: Action[];
}

export type ConnectionState = 'open' | 'connected' | 'disconnected' | 'closed';

export interface CreateConnectionRequest {
  target: string;
  targetUser?: string;
  cols?: number;
  rows?: number;
  /** Run this command instead of a login shell (kind `exec`). */
  command?: string;
  /** With `command`: run it on a pty (recorded like a shell), as `ssh -t` does. */
  pty?: boolean;
  /** TERM for the pty; default xterm-256color. */
  term?: string;
}

export interface ConnectionInfo {
  id: string;
  userEmail: string;
  targetName: string;
  targetUser: string;
  kind: 'shell' | 'exec' | 'tunnel';
  /** For exec connections: the command; for tunnels: `tcp HOST:PORT`. */
  command: string | null;
  pty: boolean;
  state: ConnectionState;
  createdAt: string;
  closedAt: string | null;
  closeReason: string | null;
  wsPath: string;
}

/** One row of the connection log: a state change of a connection, with who and why. */
export interface ConnectionLogEntry {
  /** The row's place in the log: `after=` this id continues from it (`--follow`). */
  id: number;
  at: string;
  connectionId: string;
  state: ConnectionState;
  actor: string | null;
  reason: string | null;
  userEmail: string;
  targetName: string;
  targetUser: string;
}

export interface RecordingInfo {
  id: string;
  connectionId: string;
  userEmail: string;
  targetName: string;
  targetUser: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  sizeBytes: number;
  live: boolean;
  recordsInput: boolean;
}

/** `POST /api/v1/agents/register` (X-API-KEY: a registration key). */
export interface AgentRegistrationRequest {
  name: string;
  /** Default `default`; created if missing. */
  environment?: string;
  hostname: string;
  /** The agent's Ed25519 public key, SPKI PEM. */
  publicKey: string;
}

/** 201 on a new registration, 200 when this name was already registered with this key. */
export interface AgentRegistrationResponse {
  targetId: string;
  name: string;
}

/** `GET /api/v1/environments`, `PUT /api/v1/environments/:name`. */
export interface EnvironmentInfo {
  name: string;
  /** Offline agent targets of this environment are deleted after this long; null: never. */
  offlineRemovalSeconds: number | null;
  createdAt: string;
}

/** `PUT /api/v1/environments/:name` body: a duration from `1h` to `90d`, or null for never. */
export interface UpdateEnvironmentRequest {
  offlineRemoval: string | null;
}

// ---- Identity administration (admins) -------------------------------------------------------

/** `GET /api/v1/users`, `GET /api/v1/users/:email`. */
export interface UserDetails extends UserInfo {
  groups: string[];
  totpEnabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

/** `POST /api/v1/users`: without `password` a one-time password is generated and returned once. */
export interface CreateUserRequest {
  email: string;
  role?: Role;
  password?: string;
  groups?: string[];
}
export interface CreateUserResponse {
  user: UserDetails;
  /** Only when the server generated it; the user must change it at first login. */
  oneTimePassword?: string;
}

/** `PATCH /api/v1/users/:email`. */
export interface UpdateUserRequest {
  role: Role;
}

/** `GET /api/v1/groups`; `POST /api/v1/groups {name}`. Members are emails. */
export interface GroupInfo {
  name: string;
  members: string[];
  createdAt: string;
}

/** `POST /api/v1/auth/totp/enrol` → pending secret; `POST /api/v1/auth/totp/verify {code}` enables it. */
export interface TotpEnrolment {
  /** Base32, no padding. */
  secret: string;
  otpauthUrl: string;
}

/** `GET /api/v1/keys`. `POST /api/v1/keys {name, registration?}` answers ApiKeyInfo & {secret}. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  registration: boolean;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
}
export interface CreatedApiKey extends ApiKeyInfo {
  /** Shown once. Send `X-API-KEY: ID:SECRET`. */
  secret: string;
}

/** `PATCH /api/v1/targets/:name` (admins): rename and/or move to another environment. */
export interface UpdateTargetRequest {
  name?: string;
  environment?: string;
}

/** `POST /api/v1/environments {name, offlineRemoval?}`. */
export interface CreateEnvironmentRequest {
  name: string;
  offlineRemoval?: string | null;
}

/** Subjects of a policy: user emails, group names, API key ids. */
export interface PolicySubjects {
  users?: string[];
  groups?: string[];
  apiKeys?: string[];
}

/** The policy document of SPEC §3, exactly as `gate policies show --json` prints it. */
export type PolicyDoc =
  | {
      name: string;
      kind: 'target_access';
      subjects: PolicySubjects;
      targets?: string[];
      environments?: string[];
      actions: Action[];
      targetUsers: string[];
      /** Set only on `JIT-…` policies an approved request created: when it stops granting and is deleted. */
      expiresAt?: string;
      /** Set only on `JIT-…` policies: the request that created it. */
      request?: string;
    }
  | { name: string; kind: 'proxy'; subjects: PolicySubjects; targets?: string[]; environments?: string[]; targetUsers: string[] }
  | { name: string; kind: 'session_recording'; subjects: PolicySubjects; recordInput: boolean }
  | {
      name: string;
      kind: 'just_in_time';
      subjects: PolicySubjects;
      targets?: string[];
      environments?: string[];
      actions: Action[];
      targetUsers: string[];
      approval: 'auto' | 'manual';
      /** The longest grant a request may ask for: `30m`, `2h`. */
      duration: string;
      /** Who may approve; empty or absent: every admin. */
      approvers?: { users?: string[]; groups?: string[] };
    };

/**
 * `PUT /api/v1/policies/:name` (one document) → `{policy, warnings}`;
 * `POST /api/v1/policies/apply` (an array, all or nothing) → ApplyPoliciesResponse.
 */
export interface ApplyPoliciesResponse {
  applied: { name: string; created: boolean }[];
  warnings: string[];
}

/** `GET /api/v1/logs/events` (admins: everyone's; users: their own). */
export interface EventLogEntry {
  id: number;
  at: string;
  type: string;
  v: number;
  actor: string | null;
  source: string | null;
  outcome: 'success' | 'failure' | 'denied';
  object: string | null;
  /** The API request that caused it (`x-request-id` of the reply), when there was one. */
  requestId: string | null;
  details: Record<string, unknown>;
}

/** `GET /api/v1/logs/commands` (admins: everyone's; users: their own): one command submitted at a shell prompt. */
export interface CommandLogEntry {
  id: number;
  /** UTC, when the command was submitted. */
  at: string;
  userEmail: string;
  targetName: string;
  targetUser: string;
  environment: string;
  connectionId: string;
  command: string;
  /** The exit status when the shell reported it (shell integration), else null. */
  exitCode: number | null;
  /** Seconds from the start of the connection's recording: the player jumps here. */
  offsetSeconds: number;
}

// ---- Just-in-time access (SPEC §3, §5) --------------------------------------------------------

export type RequestState = 'pending' | 'approved' | 'denied' | 'expired';

/** `GET /api/v1/requests[/:id]`, and the reply of create / approve / deny. */
export interface AccessRequestInfo {
  id: string;
  requester: string;
  target: string;
  targetUser: string;
  action: Action;
  reason: string;
  /** The grant's length in seconds. */
  durationSeconds: number;
  /** The JIT policy that allowed asking. */
  policy: string;
  approval: 'auto' | 'manual';
  state: RequestState;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
  /** Pending: when the request lapses unanswered; approved: when the grant ends. */
  expiresAt: string;
  /** The `JIT-…` policy of an approved request. */
  grantPolicy: string | null;
  /** An approved request whose grant has ended (expired, its policy deleted). */
  grantEnded: boolean;
  /** Whether the caller may approve or deny it now. */
  canDecide: boolean;
}

/** `POST /api/v1/requests`. `duration` defaults to the policy's (and may not exceed it). */
export interface CreateAccessRequest {
  target: string;
  targetUser: string;
  action: Action;
  reason: string;
  duration?: string;
}

/** `GET /api/v1/requestable`: what the caller may request, per target (the governing JIT policy's terms). */
export interface RequestableTarget {
  target: string;
  environment: string;
  options: { action: Action; targetUsers: string[]; approval: 'auto' | 'manual'; maxDurationSeconds: number; policy: string }[];
}

/** `GET /api/v1/slack` (admins): the Slack integration's state; tokens are never shown. */
export interface SlackStatus {
  configured: boolean;
  connected: boolean;
  /** The slash command and the audit channel's name, from the configuration. */
  command: string;
  auditChannel: string;
  auditChannelId: string | null;
  /** Why the last connection attempt failed, while it is failing. */
  lastError: string | null;
  /** When it last connected or disconnected. */
  since: string | null;
}
