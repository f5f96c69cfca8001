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
  | { type: 'service.start'; v: 1; outcome: 'success'; recovered: number };

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
