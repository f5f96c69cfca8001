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
