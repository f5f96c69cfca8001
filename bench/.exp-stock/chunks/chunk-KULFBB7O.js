#!/usr/bin/env node

// protocol/close-codes.ts
var CLOSE = {
  NORMAL: 1e3,
  /** Another client attached to the same shell; the newest wins. */
  REPLACED: 4409,
  /** The connection ended (shell exited, closed by someone); the reason is in the close text. */
  ENDED: 4410,
  UNAUTHENTICATED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  TARGET_UNAVAILABLE: 4503
};
var AGENT_CLOSE = {
  NORMAL: 1e3,
  /** A malformed, oversized, unknown or out-of-order frame (RFC 6455's own code). */
  PROTOCOL_ERROR: 1002,
  /** Too many unauthenticated links at once; the agent retries with backoff. */
  TRY_AGAIN_LATER: 1013,
  /** Unknown or deleted target, no or a wrong signature. */
  AUTH_FAILED: 4401,
  /** No frame within `agents.offline_after`. */
  OFFLINE: 4408,
  /** A newer link of the same agent replaced this one. */
  REPLACED: 4409
};
var AGENT_AUTH_FAILED = "agent authentication failed";

export {
  CLOSE,
  AGENT_CLOSE,
  AGENT_AUTH_FAILED
};
//# sourceMappingURL=chunk-KULFBB7O.js.map
