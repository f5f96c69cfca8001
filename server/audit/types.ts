/**
 * The audit vocabulary: closed, dotted, versioned. Events are emitted at the enforcement point
 * and never built ad hoc elsewhere. `emit()` never throws into callers.
 */
export type Outcome = 'success' | 'failure' | 'denied';

export type AuditEvent =
  | { type: 'auth.login'; v: 1; outcome: Outcome; email: string; reason?: string }
  | { type: 'auth.logout'; v: 1; outcome: 'success' }
  | { type: 'auth.password_change'; v: 1; outcome: Outcome; reason?: string }
  | { type: 'connection.open'; v: 1; outcome: Outcome; connectionId?: string; target: string; targetUser?: string; reason?: string }
  | { type: 'connection.close'; v: 1; outcome: 'success'; connectionId: string; reason: string; exitCode?: number | null }
  | { type: 'recording.written'; v: 1; outcome: Outcome; connectionId: string; bytes: number; reason?: string }
  | { type: 'user.create'; v: 1; outcome: 'success'; email: string; role: string }
  | { type: 'api_key.create'; v: 1; outcome: 'success'; keyId: string; name: string; registration: boolean }
  | { type: 'api_key.delete'; v: 1; outcome: 'success'; keyId: string }
  | { type: 'service.start'; v: 1; outcome: 'success'; recovered: number }
  // Agents: registration (with a registration key), every connect's challenge–response, and
  // the end of its link (the reason says why: target offline, replaced, deleted, protocol error).
  | { type: 'agent.register'; v: 1; outcome: Outcome; target: string; targetId?: string; keyId: string; environment?: string; existing?: boolean; reason?: string }
  | { type: 'agent.auth'; v: 1; outcome: 'failure'; target: string; reason: string }
  | { type: 'agent.connect'; v: 1; outcome: 'success'; target: string; targetId: string; hostname: string; agentVersion: string }
  | { type: 'agent.disconnect'; v: 1; outcome: 'success'; target: string; targetId: string; reason: string }
  | { type: 'target.delete'; v: 1; outcome: 'success'; target: string; targetId: string; reason: string; connectionsClosed: number }
  | { type: 'environment.update'; v: 1; outcome: 'success'; environment: string; offlineRemovalSeconds: number | null }
  | { type: 'policy.put'; v: 1; outcome: 'success'; policy: string; kind: string; created: boolean }
  | { type: 'policy.delete'; v: 1; outcome: 'success'; policy: string; connectionsClosed: number }
  | { type: 'policy.apply'; v: 1; outcome: 'success'; policies: string[]; connectionsClosed: number }
  | { type: 'auth.totp'; v: 1; outcome: Outcome; email: string; step: 'enrol' | 'enable' | 'reset'; reason?: string }
  | { type: 'user.update'; v: 1; outcome: 'success'; email: string; role: string; connectionsClosed: number }
  | { type: 'user.reset_mfa'; v: 1; outcome: 'success'; email: string }
  | { type: 'user.delete'; v: 1; outcome: 'success'; email: string; connectionsClosed: number; policiesUpdated: string[]; policiesDeleted: string[] }
  | { type: 'group.create'; v: 1; outcome: 'success'; group: string }
  | { type: 'group.delete'; v: 1; outcome: 'success'; group: string; connectionsClosed: number }
  | { type: 'group.member_add'; v: 1; outcome: 'success'; group: string; email: string }
  | { type: 'group.member_remove'; v: 1; outcome: 'success'; group: string; email: string; connectionsClosed: number }
  | { type: 'target.update'; v: 1; outcome: 'success'; target: string; targetId: string; renamedFrom?: string; environment?: string; connectionsClosed: number }
  | { type: 'environment.create'; v: 1; outcome: 'success'; environment: string; offlineRemovalSeconds: number | null }
  | { type: 'environment.delete'; v: 1; outcome: 'success'; environment: string }
  // Just-in-time access: a request (or its refusal), a decision (or a refused attempt to decide,
  // outcome denied), and the end of a pending request or of a grant.
  | { type: 'jit.request'; v: 1; outcome: Outcome; requestId?: string; target: string; targetUser: string; action: string; durationSeconds?: number; approval?: string; policy?: string; reason?: string }
  | { type: 'jit.decision'; v: 1; outcome: Outcome; requestId: string; decision: 'approved' | 'denied'; via: string; grantPolicy?: string; reason?: string }
  | { type: 'jit.expire'; v: 1; outcome: 'success'; requestId: string; what: 'request' | 'grant'; grantPolicy?: string; connectionsClosed?: number }
  | { type: 'slack.event'; v: 1; outcome: Outcome; what: string; slackUser?: string; reason?: string }
  // Any state-changing API call whose route raised no more specific event (refused before the
  // route ran, failed validation, or a route with nothing more to say): exactly one per call.
  | { type: 'api.call'; v: 1; outcome: Outcome; method: string; route: string; status: number };

/** Every event type, for filters and the vocabulary test. */
export const EVENT_TYPES = [
  'auth.login', 'auth.logout', 'auth.password_change', 'auth.totp', 'connection.open', 'connection.close', 'recording.written',
  'user.create', 'user.update', 'user.reset_mfa', 'user.delete', 'group.create', 'group.delete', 'group.member_add', 'group.member_remove',
  'api_key.create', 'api_key.delete', 'service.start', 'agent.register', 'agent.auth', 'agent.connect', 'agent.disconnect',
  'target.delete', 'target.update', 'environment.create', 'environment.update', 'environment.delete',
  'policy.put', 'policy.delete', 'policy.apply', 'jit.request', 'jit.decision', 'jit.expire', 'slack.event', 'api.call',
] as const satisfies readonly AuditEvent['type'][];

/** Who did it and from where; `actor` is an email, `system`, or `cli:` + the OS user. */
export interface AuditContext {
  actor: string | null;
  source: string | null;
  /** The API request that caused the event (the reply's x-request-id), if any. */
  requestId?: string | null;
}

export interface AuditLog {
  emit(event: AuditEvent, ctx: AuditContext): void;
  /** Resolves when everything emitted so far is committed (tests, shutdown). */
  flush(): Promise<void>;
  /**
   * How many events were emitted with this request id since the last call for it, forgetting
   * it (the request-audit hook asks once per reply, to add `api.call` when the route said nothing).
   */
  takeRequest(requestId: string): number;
}
