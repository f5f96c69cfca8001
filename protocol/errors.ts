/**
 * The one table of error codes. Every failure that crosses a boundary (HTTP reply, websocket
 * close, CLI exit) is one of these codes; the status and close code are mapped here and nowhere
 * else. Messages in the table are safe to show to any caller; causes are logged, never sent.
 */
export const ERROR_TABLE = {
  BAD_REQUEST: { http: 400, ws: 4400, message: 'bad request' },
  PAYLOAD_TOO_LARGE: { http: 413, ws: 1009, message: 'request body too large' },
  UNAUTHENTICATED: { http: 401, ws: 4401, message: 'authentication required' },
  BAD_CREDENTIALS: { http: 401, ws: 4401, message: 'wrong email or password' },
  MFA_REQUIRED: { http: 401, ws: 4401, message: 'a TOTP code is required' },
  PASSWORD_CHANGE_REQUIRED: { http: 403, ws: 4403, message: 'the password must be changed first' },
  CSRF: { http: 403, ws: 4403, message: 'missing or wrong CSRF token' },
  FORBIDDEN: { http: 403, ws: 4403, message: 'not allowed' },
  NOT_FOUND: { http: 404, ws: 4404, message: 'not found' },
  CONFLICT: { http: 409, ws: 4409, message: 'conflict' },
  RATE_LIMITED: { http: 429, ws: 4429, message: 'too many attempts; try again later' },
  TARGET_UNAVAILABLE: { http: 503, ws: 4503, message: 'target unavailable' },
  TARGET_USER_UNKNOWN: { http: 422, ws: 4422, message: 'no such user on the target' },
  INTERNAL: { http: 500, ws: 1011, message: 'internal error' },
} as const satisfies Record<string, { http: number; ws: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** The error every layer throws for an expected failure. `message` is shown to the caller. */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_TABLE[code].message, options);
    this.name = 'GatehouseError';
    this.code = code;
  }
  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }
  get wsCloseCode(): number {
    return ERROR_TABLE[this.code].ws;
  }
}

/** The JSON body of every HTTP error reply. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}
