#!/usr/bin/env node

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
function parseServerControl(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const m = v;
  switch (m.type) {
    case "attached":
      return {
        type: "attached",
        connectionId: String(m.connectionId ?? ""),
        cols: Number(m.cols) || 0,
        rows: Number(m.rows) || 0,
        redraw: m.redraw === true
      };
    case "exit":
      return {
        type: "exit",
        code: typeof m.code === "number" ? m.code : null,
        ...typeof m.signal === "string" ? { signal: m.signal } : {}
      };
    case "notice":
      return typeof m.message === "string" ? { type: "notice", message: m.message } : null;
    default:
      return null;
  }
}

export {
  STREAM_STDOUT,
  STREAM_STDERR,
  MAX_TERM_COLS,
  MAX_TERM_ROWS,
  parseClientControl,
  parseServerControl
};
//# sourceMappingURL=chunk-XYKGIRXE.js.map
