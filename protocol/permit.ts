/**
 * What a policy decision grants for one connection. Serializable; stored with the connection
 * row. Enforcement points (the broker, the websocket routes, the SSH front door) read only
 * Permits, never policies.
 */
export type Action = 'shell' | 'tunnel' | 'copy';

export interface Permit {
  userId: string;
  email: string;
  targetId: string;
  targetName: string;
  environment: string;
  targetUser: string;
  actions: Action[];
  /** Output is always recorded; input only when a session-recording policy asks for it. */
  recordInput: boolean;
  /** ISO time after which the connection is closed (JIT grants), or null for standing access. */
  notAfter: string | null;
  /** Names of the policies that allowed this, for the audit trail. */
  policies: string[];
}
