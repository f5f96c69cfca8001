/**
 * Access decisions. The decider is pure: it sees a snapshot (policies, the subject, the
 * target) and returns a Decision; enforcement points read only the Permit inside an `allow`.
 */
import type { Action } from '../../protocol/permit';
import type { PolicyDoc, PolicySubjects } from '../../protocol/api-types';

export type Subjects = PolicySubjects;
/** The stored document: exactly the shape of SPEC §3 (protocol/api-types.ts). */
export type PolicyDocument = PolicyDoc;

/**
 * Who is asking: a user (email and groups) or an API key (its id; no groups). `username` is
 * what `{username}` expands to: the part of the email before `@`, or the key's name.
 */
export interface Subject {
  /** The user's id, or the API key's id. */
  userId: string;
  /** The user's email, or `apikey:ID` for a key (never matches a policy's user list). */
  email: string;
  username: string;
  groups: string[];
  /** Set when the subject is an API key. */
  apiKeyId?: string;
}

export interface TargetFacts {
  id: string;
  name: string;
  environment: string;
  /** `proxy` targets are granted by proxy policies, the others by target-access policies. */
  kind?: 'agent' | 'ssh' | 'local' | 'proxy';
}

export interface AccessRequest {
  subject: Subject;
  target: TargetFacts;
  action: Action;
  /** The requested target user; null asks "which may I use?" */
  targetUser: string | null;
  /** Milliseconds since the epoch: JIT grants that expired by then grant nothing. Absent: no expiry check. */
  now?: number;
}

export type DenyCode = 'NO_POLICY' | 'TARGET_USER_NOT_ALLOWED' | 'TARGET_USER_AMBIGUOUS';

export type Decision =
  | { effect: 'allow'; permit: import('../../protocol/permit').Permit }
  | { effect: 'deny'; code: DenyCode; reason: string; choices?: string[] };
