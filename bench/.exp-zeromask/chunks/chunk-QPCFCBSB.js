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

// protocol/terminal-messages.ts
var STREAM_STDOUT = 1;
var STREAM_STDERR = 2;
var MAX_CONTROL_BYTES = 1024;
var MAX_TERM_COLS = 1e3;
var MAX_TERM_ROWS = 500;
function isDim(v, max) {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max;
}
function parseClientControl(text) {
  if (text.length > MAX_CONTROL_BYTES) return { error: "control message too large" };
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: "control message is not JSON" };
  }
  if (typeof v !== "object" || v === null) return { error: "control message must be an object" };
  const m = v;
  switch (m.type) {
    case "resize": {
      if (!isDim(m.cols, MAX_TERM_COLS) || !isDim(m.rows, MAX_TERM_ROWS)) {
        return { error: `resize needs integer cols 1..${MAX_TERM_COLS} and rows 1..${MAX_TERM_ROWS}` };
      }
      if (Object.keys(m).length !== 3) return { error: "resize has unknown fields" };
      return { type: "resize", cols: m.cols, rows: m.rows };
    }
    case "eof":
      if (Object.keys(m).length !== 1) return { error: "eof has unknown fields" };
      return { type: "eof" };
    default:
      return { error: `unknown control message type ${JSON.stringify(String(m.type)).slice(0, 40)}` };
  }
}

export {
  CLOSE,
  STREAM_STDOUT,
  STREAM_STDERR,
  MAX_TERM_COLS,
  MAX_TERM_ROWS,
  parseClientControl
};
//# sourceMappingURL=chunk-QPCFCBSB.js.map
