/**
 * Websocket close codes used on /ws/connections/:id besides those derived from the error table.
 * 4000–4999 is the range RFC 6455 leaves to applications.
 */
export const CLOSE = {
  NORMAL: 1000,
  /** Another client attached to the same shell; the newest wins. */
  REPLACED: 4409,
  /** The connection ended (shell exited, closed by someone); the reason is in the close text. */
  ENDED: 4410,
  UNAUTHENTICATED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  TARGET_UNAVAILABLE: 4503,
} as const;

/** Websocket close codes on the agent link (`/ws/agent`). */
export const AGENT_CLOSE = {
  NORMAL: 1000,
  /** A malformed, oversized, unknown or out-of-order frame (RFC 6455's own code). */
  PROTOCOL_ERROR: 1002,
  /** Too many unauthenticated links at once; the agent retries with backoff. */
  TRY_AGAIN_LATER: 1013,
  /** Unknown or deleted target, no or a wrong signature. */
  AUTH_FAILED: 4401,
  /** No frame within `agents.offline_after`. */
  OFFLINE: 4408,
  /** A newer link of the same agent replaced this one. */
  REPLACED: 4409,
} as const;

/** The close reason that goes with AGENT_CLOSE.AUTH_FAILED. */
export const AGENT_AUTH_FAILED = 'agent authentication failed';
