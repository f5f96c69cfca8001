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
  | { type: 'policy.delete'; v: 1; outcome: 'success'; policy: string };

/** Who did it and from where; `actor` is an email, `system`, or `cli:` + the OS user. */
export interface AuditContext {
  actor: string | null;
  source: string | null;
}

export interface AuditLog {
  emit(event: AuditEvent, ctx: AuditContext): void;
  /** Resolves when everything emitted so far is committed (tests, shutdown). */
  flush(): Promise<void>;
}
