/**
 * Access decisions. The decider is pure: it sees a snapshot (policies, the subject, the
 * target) and returns a Decision; enforcement points read only the Permit inside an `allow`.
 */
import type { Action, Permit } from '../../protocol/permit';

export interface Subjects {
  users?: string[];
  groups?: string[];
  apiKeys?: string[];
}

export type PolicyDocument =
  | {
      name: string;
      kind: 'target_access';
      subjects: Subjects;
      targets?: string[];
      environments?: string[];
      actions: Action[];
      targetUsers: string[];
    }
  | { name: string; kind: 'session_recording'; subjects: Subjects; recordInput: boolean };

/** Who is asking: a user (by email and groups) or, later, an API key. */
export interface Subject {
  userId: string;
  email: string;
  groups: string[];
}

export interface TargetFacts {
  id: string;
  name: string;
  environment: string;
}

export interface AccessRequest {
  subject: Subject;
  target: TargetFacts;
  action: Action;
  /** The requested target user; null asks "which may I use?" */
  targetUser: string | null;
}

export type DenyCode = 'NO_POLICY' | 'TARGET_USER_NOT_ALLOWED' | 'TARGET_USER_AMBIGUOUS';

export type Decision =
  | { effect: 'allow'; permit: Permit }
  | { effect: 'deny'; code: DenyCode; reason: string; choices?: string[] };
