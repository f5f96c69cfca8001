#!/usr/bin/env node
import {
  AGENT_PROTOCOL_VERSION,
  CreditedSender,
  DEFAULT_WINDOW,
  MAX_WINDOW,
  RecvWindow,
  byteStreamTransport,
  decodeFrame,
  encodeFrame
} from "./chunk-H2EIXJU7.js";
import {
  CLOSE,
  MAX_TERM_COLS,
  MAX_TERM_ROWS,
  STREAM_STDERR,
  STREAM_STDOUT,
  parseClientControl
} from "./chunk-QPCFCBSB.js";

// server/main.ts
import { parseArgs } from "node:util";
import { dirname as dirname2, join as join3, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hostname as hostname2 } from "node:os";

// protocol/errors.ts
var ERROR_TABLE = {
  BAD_REQUEST: { http: 400, ws: 4400, message: "bad request" },
  PAYLOAD_TOO_LARGE: { http: 413, ws: 1009, message: "request body too large" },
  UNAUTHENTICATED: { http: 401, ws: 4401, message: "authentication required" },
  BAD_CREDENTIALS: { http: 401, ws: 4401, message: "wrong email or password" },
  PASSWORD_CHANGE_REQUIRED: { http: 403, ws: 4403, message: "the password must be changed first" },
  CSRF: { http: 403, ws: 4403, message: "missing or wrong CSRF token" },
  FORBIDDEN: { http: 403, ws: 4403, message: "not allowed" },
  NOT_FOUND: { http: 404, ws: 4404, message: "not found" },
  CONFLICT: { http: 409, ws: 4409, message: "conflict" },
  RATE_LIMITED: { http: 429, ws: 4429, message: "too many attempts; try again later" },
  TARGET_UNAVAILABLE: { http: 503, ws: 4503, message: "target unavailable" },
  TARGET_USER_UNKNOWN: { http: 422, ws: 4422, message: "no such user on the target" },
  INTERNAL: { http: 500, ws: 1011, message: "internal error" }
};
var GatehouseError = class extends Error {
  code;
  constructor(code, message, options) {
    super(message ?? ERROR_TABLE[code].message, options);
    this.name = "GatehouseError";
    this.code = code;
  }
  get httpStatus() {
    return ERROR_TABLE[this.code].http;
  }
  get wsCloseCode() {
    return ERROR_TABLE[this.code].ws;
  }
};

// server/config.ts
import { readFileSync, existsSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
var KEYS = {
  listen: { kind: "address", default: "0.0.0.0:8443" },
  ssh_listen: { kind: "address_or_off", default: "0.0.0.0:2222" },
  data_dir: { kind: "path", default: "/var/lib/gatehouse" },
  public_url: { kind: "url", default: null },
  "tls.enabled": { kind: "bool", default: true },
  "tls.cert": { kind: "path", default: null },
  "tls.key": { kind: "path", default: null },
  "sessions.idle_retention": { kind: "duration", default: "7d" },
  "agents.heartbeat": { kind: "duration", default: "10s" },
  "agents.offline_after": { kind: "duration", default: "30s" },
  "slack.bot_token": { kind: "string", default: null },
  "slack.app_token": { kind: "string", default: null },
  "slack.api_url": { kind: "url", default: null },
  "slack.command": { kind: "command", default: "/gatehouse" },
  "slack.audit_channel": { kind: "string", default: "gatehouse-jit-log" }
};
var DEFAULT_CONFIG_FILE = "/etc/gatehouse/gatehouse.toml";
function parseDuration(s) {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s.trim());
  if (!m || s.trim() === "") return null;
  const [d, h, mi, se] = m.slice(1).map((x) => x ? Number(x) : 0);
  return d * 86400 + h * 3600 + mi * 60 + se;
}
function parseAddress(s) {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}
function isLoopback(host) {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
function flatten(obj, prefix = "") {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}
var bad = (key, from, why) => new GatehouseError("BAD_REQUEST", `config: ${key} (from ${from}) ${why}`);
function loadConfig(src) {
  const raw = {};
  for (const [k, d] of Object.entries(KEYS)) raw[k] = { value: d.default, from: "default" };
  if (src.dataDirDefault) raw.data_dir = { value: src.dataDirDefault, from: "default" };
  const file = src.configFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : void 0);
  if (file) {
    let parsed;
    try {
      parsed = parseToml(readFileSync(file, "utf8"));
    } catch (e) {
      throw new GatehouseError("BAD_REQUEST", `config: cannot read ${file}: ${e.message.split("\n")[0]}`);
    }
    for (const [k, v] of Object.entries(flatten(parsed))) {
      if (!(k in KEYS)) throw bad(k, file, "is not a known key");
      raw[k] = { value: v, from: file };
    }
  }
  for (const k of Object.keys(KEYS)) {
    const envName = "GATEHOUSE_" + k.toUpperCase().replace(/\./g, "_");
    const v = src.env[envName];
    if (v !== void 0) raw[k] = { value: v, from: envName };
  }
  for (const [k, v] of Object.entries(src.flags)) {
    if (!(k in KEYS)) throw new Error(`internal: flag maps to unknown key ${k}`);
    raw[k] = { value: v, from: "flag" };
  }
  const get = (k) => raw[k];
  const str = (k) => {
    const { value, from } = get(k);
    if (value === null) return null;
    if (typeof value !== "string") throw bad(k, from, "must be a string");
    return value;
  };
  const addr = (k, allowOff) => {
    const v = str(k);
    if (allowOff && (v === "off" || v === null)) return null;
    const a = v === null ? null : parseAddress(v);
    if (!a) throw bad(k, get(k).from, `must be HOST:PORT${allowOff ? " or off" : ""}, got ${JSON.stringify(v)}`);
    return a;
  };
  const bool = (k) => {
    const { value, from } = get(k);
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "1") return true;
    if (value === "false" || value === "0") return false;
    throw bad(k, from, "must be true or false");
  };
  const dur = (k, min, max) => {
    const v = str(k);
    const s = v === null ? null : parseDuration(v);
    if (s === null || s < min || s > max) throw bad(k, get(k).from, `must be a duration like 30s, 10m, 2h, 7d between ${min}s and ${max}s`);
    return s;
  };
  const url = (k) => {
    const v = str(k);
    if (v === null) return null;
    try {
      const u = new URL(v);
      if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error();
    } catch {
      throw bad(k, get(k).from, "must be an http(s) URL");
    }
    return v.replace(/\/+$/, "");
  };
  const listen = addr("listen", false);
  const tlsEnabled = bool("tls.enabled");
  if (!tlsEnabled && !isLoopback(listen.host)) {
    throw bad("tls.enabled", get("tls.enabled").from, `may be false only on a loopback listen address, not ${listen.host}`);
  }
  const cert = str("tls.cert");
  const key = str("tls.key");
  if (cert === null !== (key === null)) throw bad("tls.cert", get("tls.cert").from, "and tls.key must be given together");
  const dataDir = str("data_dir");
  if (!dataDir) throw bad("data_dir", get("data_dir").from, "must be a directory path");
  const command = str("slack.command") ?? "/gatehouse";
  if (!/^\/[a-z0-9_-]{1,31}$/.test(command)) throw bad("slack.command", get("slack.command").from, "must look like /gatehouse");
  const botToken = str("slack.bot_token");
  if (botToken !== null && !botToken.startsWith("xoxb-")) throw bad("slack.bot_token", get("slack.bot_token").from, "must start with xoxb-");
  const appToken = str("slack.app_token");
  if (appToken !== null && !appToken.startsWith("xapp-")) throw bad("slack.app_token", get("slack.app_token").from, "must start with xapp-");
  const heartbeat = dur("agents.heartbeat", 1, 300);
  const offlineAfter = dur("agents.offline_after", 2, 3600);
  if (offlineAfter <= heartbeat) throw bad("agents.offline_after", get("agents.offline_after").from, "must be longer than agents.heartbeat");
  return Object.freeze({
    listen,
    sshListen: addr("ssh_listen", true),
    dataDir,
    publicUrl: url("public_url"),
    tls: { enabled: tlsEnabled, cert, key },
    sessions: { idleRetentionSeconds: dur("sessions.idle_retention", 60, 90 * 86400) },
    agents: { heartbeatSeconds: heartbeat, offlineAfterSeconds: offlineAfter },
    slack: {
      botToken,
      appToken,
      apiUrl: url("slack.api_url"),
      command,
      auditChannel: str("slack.audit_channel") ?? "gatehouse-jit-log"
    }
  });
}

// server/services.ts
import { mkdir as mkdir3, chmod } from "node:fs/promises";
import { join as join2 } from "node:path";

// server/store/db.ts
import sqlite3 from "sqlite3";

// server/store/migrations/001-init.sql
var init_default = "-- Gatehouse schema, version 1. Times are ISO-8601 UTC strings with milliseconds.\nCREATE TABLE users (\n  id TEXT PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE COLLATE NOCASE,\n  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),\n  password_hash TEXT,\n  must_change_password INTEGER NOT NULL DEFAULT 0,\n  totp_secret TEXT,\n  created_at TEXT NOT NULL\n);\n\nCREATE TABLE groups (\n  name TEXT PRIMARY KEY,\n  created_at TEXT NOT NULL\n);\n\nCREATE TABLE group_members (\n  group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,\n  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n  PRIMARY KEY (group_name, user_id)\n);\n\nCREATE TABLE auth_sessions (\n  id TEXT PRIMARY KEY,\n  token_hash TEXT NOT NULL UNIQUE,\n  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n  csrf_token TEXT NOT NULL,\n  created_at TEXT NOT NULL,\n  expires_at TEXT NOT NULL,\n  source TEXT\n);\n\nCREATE TABLE environments (\n  name TEXT PRIMARY KEY,\n  offline_removal_seconds INTEGER,\n  created_at TEXT NOT NULL\n);\n\nCREATE TABLE targets (\n  id TEXT PRIMARY KEY,\n  name TEXT NOT NULL UNIQUE,\n  kind TEXT NOT NULL CHECK (kind IN ('agent', 'ssh', 'local', 'proxy')),\n  environment TEXT NOT NULL REFERENCES environments(name),\n  created_at TEXT NOT NULL,\n  last_seen_at TEXT,\n  -- agent targets: the agent's Ed25519 public key (SPKI PEM) it proves possession of at every connect\n  agent_public_key TEXT,\n  registered_with TEXT\n);\n\n-- API keys: the secret is shown once and stored only as its SHA-256 (it is 256 random bits, so\n-- a slow hash adds nothing). Registration keys may only register agents.\nCREATE TABLE api_keys (\n  id TEXT PRIMARY KEY,\n  name TEXT NOT NULL UNIQUE,\n  secret_hash TEXT NOT NULL,\n  registration INTEGER NOT NULL,\n  created_at TEXT NOT NULL,\n  created_by TEXT,\n  last_used_at TEXT\n);\n\nCREATE TABLE policies (\n  name TEXT PRIMARY KEY,\n  kind TEXT NOT NULL,\n  document TEXT NOT NULL,\n  created_at TEXT NOT NULL,\n  updated_at TEXT NOT NULL\n);\n\nCREATE TABLE connections (\n  id TEXT PRIMARY KEY,\n  user_id TEXT NOT NULL,\n  user_email TEXT NOT NULL,\n  target_id TEXT NOT NULL,\n  target_name TEXT NOT NULL,\n  target_user TEXT NOT NULL,\n  environment TEXT NOT NULL,\n  kind TEXT NOT NULL CHECK (kind IN ('shell', 'exec')),\n  command TEXT,\n  pty INTEGER NOT NULL,\n  state TEXT NOT NULL CHECK (state IN ('open', 'connected', 'disconnected', 'closed')),\n  permit TEXT NOT NULL,\n  created_at TEXT NOT NULL,\n  closed_at TEXT,\n  close_reason TEXT,\n  closed_by TEXT,\n  exit_code INTEGER\n);\nCREATE INDEX connections_user ON connections(user_id, created_at);\n\nCREATE TABLE connection_events (\n  id INTEGER PRIMARY KEY,\n  connection_id TEXT NOT NULL,\n  at TEXT NOT NULL,\n  state TEXT NOT NULL,\n  actor TEXT,\n  reason TEXT\n);\nCREATE INDEX connection_events_conn ON connection_events(connection_id);\n\nCREATE TABLE recordings (\n  connection_id TEXT PRIMARY KEY,\n  path TEXT NOT NULL,\n  started_at TEXT NOT NULL,\n  ended_at TEXT,\n  duration_seconds REAL,\n  size_bytes INTEGER NOT NULL DEFAULT 0,\n  records_input INTEGER NOT NULL,\n  state TEXT NOT NULL CHECK (state IN ('live', 'complete', 'repaired'))\n);\nCREATE INDEX recordings_started ON recordings(started_at);\n\nCREATE TABLE events (\n  id INTEGER PRIMARY KEY,\n  at TEXT NOT NULL,\n  type TEXT NOT NULL,\n  v INTEGER NOT NULL,\n  actor TEXT,\n  source TEXT,\n  outcome TEXT NOT NULL,\n  object TEXT,\n  details TEXT\n);\nCREATE INDEX events_at ON events(at);\n";

// server/store/migrations.ts
var MIGRATIONS = [{ version: 1, sql: init_default }];

// server/store/db.ts
function direct(raw) {
  return {
    run: (sql, params = []) => new Promise(
      (resolve2, reject) => raw.run(sql, params, function(err) {
        if (err) reject(err);
        else resolve2({ changes: this.changes, lastID: this.lastID });
      })
    ),
    get: (sql, params = []) => new Promise((resolve2, reject) => raw.get(sql, params, (err, row) => err ? reject(err) : resolve2(row))),
    all: (sql, params = []) => new Promise((resolve2, reject) => raw.all(sql, params, (err, rows) => err ? reject(err) : resolve2(rows))),
    exec: (sql) => new Promise((resolve2, reject) => raw.exec(sql, (err) => err ? reject(err) : resolve2()))
  };
}
async function openDb(path) {
  const raw = await new Promise((resolve2, reject) => {
    const db2 = new sqlite3.Database(path, (err) => err ? reject(err) : resolve2(db2));
  });
  const q = direct(raw);
  let tail = Promise.resolve();
  const enqueue = (fn) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => void 0);
    return next;
  };
  const db = {
    run: (sql, params) => enqueue(() => q.run(sql, params)),
    get: (sql, params) => enqueue(() => q.get(sql, params)),
    all: (sql, params) => enqueue(() => q.all(sql, params)),
    exec: (sql) => enqueue(() => q.exec(sql)),
    transaction: (fn) => enqueue(async () => {
      await q.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(q);
        await q.exec("COMMIT");
        return result;
      } catch (e) {
        await q.exec("ROLLBACK").catch(() => void 0);
        throw e;
      }
    }),
    close: () => enqueue(() => new Promise((resolve2, reject) => raw.close((err) => err ? reject(err) : resolve2())))
  };
  await db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
  await migrate(db);
  return db;
}
async function migrate(db) {
  const row = await db.get("PRAGMA user_version");
  let version = row?.user_version ?? 0;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    await db.transaction(async (tx) => {
      for (const stmt of splitSql(m.sql)) await tx.run(stmt);
      await tx.run(`PRAGMA user_version = ${m.version}`);
    });
    version = m.version;
  }
}
function splitSql(sql) {
  return sql.split(/;\s*$/m).map((s) => s.replace(/^\s*--.*$/gm, "").trim()).filter((s) => s.length > 0);
}

// server/store/users-repo.ts
import { randomUUID } from "node:crypto";

// server/store/time.ts
var nowIso = () => (/* @__PURE__ */ new Date()).toISOString();
var isoAfter = (seconds) => new Date(Date.now() + seconds * 1e3).toISOString();

// server/store/users-repo.ts
function usersRepo(db) {
  return {
    async create(u) {
      const row = {
        id: randomUUID(),
        email: u.email.toLowerCase(),
        role: u.role,
        password_hash: u.passwordHash,
        must_change_password: u.mustChangePassword ? 1 : 0,
        totp_secret: null,
        created_at: nowIso()
      };
      await db.run(
        "INSERT INTO users (id, email, role, password_hash, must_change_password, totp_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [row.id, row.email, row.role, row.password_hash, row.must_change_password, row.totp_secret, row.created_at]
      );
      return row;
    },
    byEmail: (email) => db.get("SELECT * FROM users WHERE email = ?", [email.toLowerCase()]),
    byId: (id) => db.get("SELECT * FROM users WHERE id = ?", [id]),
    async setPassword(id, hash, mustChange) {
      await db.run("UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?", [hash, mustChange ? 1 : 0, id]);
    },
    async countAdmins() {
      return (await db.get("SELECT count(*) AS n FROM users WHERE role = 'admin'"))?.n ?? 0;
    },
    async groupsOf(id) {
      return (await db.all("SELECT group_name FROM group_members WHERE user_id = ? ORDER BY group_name", [id])).map((r) => r.group_name);
    },
    async addToGroup(id, group) {
      await db.run("INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)", [group, nowIso()]);
      await db.run("INSERT OR IGNORE INTO group_members (group_name, user_id) VALUES (?, ?)", [group, id]);
    }
  };
}

// server/store/auth-sessions-repo.ts
import { randomUUID as randomUUID2 } from "node:crypto";
function authSessionsRepo(db) {
  return {
    async create(s) {
      const row = {
        id: randomUUID2(),
        token_hash: s.tokenHash,
        user_id: s.userId,
        csrf_token: s.csrfToken,
        created_at: nowIso(),
        expires_at: s.expiresAt,
        source: s.source
      };
      await db.run("INSERT INTO auth_sessions (id, token_hash, user_id, csrf_token, created_at, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)", [
        row.id,
        row.token_hash,
        row.user_id,
        row.csrf_token,
        row.created_at,
        row.expires_at,
        row.source
      ]);
      return row;
    },
    /** Looks up by token hash; expired sessions are treated as absent. */
    byTokenHash: (hash) => db.get("SELECT * FROM auth_sessions WHERE token_hash = ? AND expires_at > ?", [hash, nowIso()]),
    async remove(id) {
      await db.run("DELETE FROM auth_sessions WHERE id = ?", [id]);
    },
    async removeOthersOfUser(userId, keepId) {
      await db.run("DELETE FROM auth_sessions WHERE user_id = ? AND id <> ?", [userId, keepId]);
    },
    async pruneExpired() {
      await db.run("DELETE FROM auth_sessions WHERE expires_at <= ?", [nowIso()]);
    }
  };
}

// server/store/targets-repo.ts
import { randomUUID as randomUUID3 } from "node:crypto";
function targetsRepo(db) {
  return {
    async ensureEnvironment(name) {
      await db.run("INSERT OR IGNORE INTO environments (name, offline_removal_seconds, created_at) VALUES (?, NULL, ?)", [name, nowIso()]);
    },
    async create(t) {
      const row = { id: randomUUID3(), name: t.name, kind: t.kind, environment: t.environment, created_at: nowIso(), last_seen_at: null };
      await db.run("INSERT INTO targets (id, name, kind, environment, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)", [
        row.id,
        row.name,
        row.kind,
        row.environment,
        row.created_at,
        row.last_seen_at
      ]);
      return row;
    },
    byName: (name) => db.get("SELECT * FROM targets WHERE name = ?", [name]),
    byId: (id) => db.get("SELECT * FROM targets WHERE id = ?", [id]),
    list: () => db.all("SELECT * FROM targets ORDER BY name")
  };
}

// server/store/policies-repo.ts
function policiesRepo(db) {
  return {
    async put(doc) {
      const now = nowIso();
      await db.run(
        `INSERT INTO policies (name, kind, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, document = excluded.document, updated_at = excluded.updated_at`,
        [doc.name, doc.kind, JSON.stringify(doc), now, now]
      );
    },
    async list() {
      const rows = await db.all("SELECT document FROM policies ORDER BY name");
      return rows.map((r) => JSON.parse(r.document));
    }
  };
}

// server/store/connections-repo.ts
function connectionsRepo(db) {
  const logState = (id, state, actor, reason) => db.run("INSERT INTO connection_events (connection_id, at, state, actor, reason) VALUES (?, ?, ?, ?, ?)", [id, nowIso(), state, actor, reason]);
  return {
    async create(c) {
      const p = c.permit;
      const row = {
        id: c.id,
        user_id: p.userId,
        user_email: p.email,
        target_id: p.targetId,
        target_name: p.targetName,
        target_user: p.targetUser,
        environment: p.environment,
        kind: c.kind,
        command: c.command,
        pty: c.pty ? 1 : 0,
        state: "open",
        permit: JSON.stringify(p),
        created_at: nowIso(),
        closed_at: null,
        close_reason: null,
        closed_by: null,
        exit_code: null
      };
      await db.run(
        `INSERT INTO connections (id, user_id, user_email, target_id, target_name, target_user, environment, kind, command, pty, state, permit, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [row.id, row.user_id, row.user_email, row.target_id, row.target_name, row.target_user, row.environment, row.kind, row.command, row.pty, row.state, row.permit, row.created_at]
      );
      await logState(row.id, "open", p.email, null);
      return row;
    },
    async setState(id, state, actor, reason) {
      await db.run("UPDATE connections SET state = ? WHERE id = ? AND state <> 'closed'", [state, id]);
      await logState(id, state, actor, reason);
    },
    async close(id, reason, by, exitCode) {
      const r = await db.run(
        "UPDATE connections SET state = 'closed', closed_at = ?, close_reason = ?, closed_by = ?, exit_code = ? WHERE id = ? AND state <> 'closed'",
        [nowIso(), reason, by, exitCode, id]
      );
      if (r.changes > 0) await logState(id, "closed", by, reason);
    },
    byId: (id) => db.get("SELECT * FROM connections WHERE id = ?", [id]),
    list: (filter) => {
      const where = [];
      const params = [];
      if (filter.userId) {
        where.push("user_id = ?");
        params.push(filter.userId);
      }
      if (filter.openOnly) where.push("state <> 'closed'");
      params.push(filter.limit ?? 200);
      return db.all(
        `SELECT * FROM connections ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC LIMIT ?`,
        params
      );
    },
    /** The connection log, newest last, joined with who/where. */
    log(f) {
      const where = [];
      const params = [];
      if (f.userEmail) where.push("c.user_email = ?"), params.push(f.userEmail.toLowerCase());
      if (f.targetName) where.push("c.target_name = ?"), params.push(f.targetName);
      if (f.since) where.push("e.at >= ?"), params.push(f.since);
      if (f.until) where.push("e.at < ?"), params.push(f.until);
      params.push(f.limit ?? 1e3);
      return db.all(
        `SELECT * FROM (SELECT e.id, e.at, e.connection_id, e.state, e.actor, e.reason, c.user_email, c.target_name, c.target_user
           FROM connection_events e JOIN connections c ON c.id = e.connection_id
           ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY e.id DESC LIMIT ?) ORDER BY id`,
        params
      );
    },
    /** Connections a previous run left unclosed (the process died under them). */
    unclosed: () => db.all("SELECT * FROM connections WHERE state <> 'closed'")
  };
}

// server/store/recordings-repo.ts
function recordingsRepo(db) {
  return {
    async create(r) {
      await db.run(
        "INSERT INTO recordings (connection_id, path, started_at, records_input, state) VALUES (?, ?, ?, ?, 'live')",
        [r.connectionId, r.path, nowIso(), r.recordsInput ? 1 : 0]
      );
    },
    async finish(connectionId, f) {
      await db.run("UPDATE recordings SET ended_at = ?, size_bytes = ?, duration_seconds = ?, state = ? WHERE connection_id = ?", [
        nowIso(),
        f.sizeBytes,
        f.durationSeconds,
        f.state,
        connectionId
      ]);
    },
    byConnection: (id) => db.get(
      `SELECT r.*, c.user_id, c.user_email, c.target_name, c.target_user FROM recordings r
         JOIN connections c ON c.id = r.connection_id WHERE r.connection_id = ?`,
      [id]
    ),
    list: (filter) => db.all(
      `SELECT r.*, c.user_id, c.user_email, c.target_name, c.target_user FROM recordings r
         JOIN connections c ON c.id = r.connection_id ${filter.userId ? "WHERE c.user_id = ?" : ""}
         ORDER BY r.started_at DESC LIMIT ?`,
      filter.userId ? [filter.userId, filter.limit ?? 500] : [filter.limit ?? 500]
    ),
    live: () => db.all("SELECT * FROM recordings WHERE state = 'live'")
  };
}

// server/store/api-keys-repo.ts
function apiKeysRepo(db) {
  return {
    async create(k) {
      const row = { id: k.id, name: k.name, secret_hash: k.secretHash, registration: k.registration ? 1 : 0, created_at: nowIso(), created_by: k.createdBy, last_used_at: null };
      await db.run("INSERT INTO api_keys (id, name, secret_hash, registration, created_at, created_by, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
        row.id,
        row.name,
        row.secret_hash,
        row.registration,
        row.created_at,
        row.created_by,
        row.last_used_at
      ]);
      return row;
    },
    byId: (id) => db.get("SELECT * FROM api_keys WHERE id = ?", [id]),
    byName: (name) => db.get("SELECT * FROM api_keys WHERE name = ?", [name]),
    list: () => db.all("SELECT * FROM api_keys ORDER BY created_at"),
    async remove(id) {
      return (await db.run("DELETE FROM api_keys WHERE id = ?", [id])).changes > 0;
    },
    async touch(id) {
      await db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [nowIso(), id]);
    }
  };
}

// server/store/store.ts
async function openStore(path) {
  const db = await openDb(path);
  return {
    db,
    users: usersRepo(db),
    authSessions: authSessionsRepo(db),
    targets: targetsRepo(db),
    policies: policiesRepo(db),
    connections: connectionsRepo(db),
    recordings: recordingsRepo(db),
    apiKeys: apiKeysRepo(db),
    close: () => db.close()
  };
}

// server/tls.ts
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync as existsSync2 } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
var run = promisify(execFile);
function fingerprintOf(certPem) {
  return "sha256:" + new X509Certificate(certPem).fingerprint256.replaceAll(":", "").toLowerCase();
}
async function loadTls(dataDir, cert, key) {
  let certPath = cert;
  let keyPath = key;
  const selfSigned = certPath === null;
  if (certPath === null || keyPath === null) {
    const dir = join(dataDir, "tls");
    certPath = join(dir, "cert.pem");
    keyPath = join(dir, "key.pem");
    if (!existsSync2(certPath) || !existsSync2(keyPath)) {
      await mkdir(dir, { recursive: true, mode: 448 });
      const host = hostname().replace(/[^A-Za-z0-9.-]/g, "") || "gatehouse";
      try {
        await run("openssl", [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          keyPath,
          "-out",
          certPath,
          "-days",
          "825",
          "-subj",
          `/CN=${host}`,
          "-addext",
          `subjectAltName=DNS:localhost,DNS:${host},IP:127.0.0.1,IP:::1`
        ]);
      } catch (e) {
        throw new GatehouseError("INTERNAL", `could not create a self-signed certificate with openssl: ${e.message.split("\n")[0]}`);
      }
    }
  }
  let certPem;
  let keyPem;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath), readFile(keyPath)]);
  } catch (e) {
    throw new GatehouseError("BAD_REQUEST", `config: cannot read TLS files: ${e.message}`);
  }
  return { cert: certPem, key: keyPem, fingerprint: fingerprintOf(certPem), selfSigned };
}

// server/bootstrap.ts
import { userInfo } from "node:os";

// server/auth/password.ts
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
var N = 1 << 15;
var R = 8;
var P = 1;
var KEYLEN = 32;
var MIN_PASSWORD_LENGTH = 12;
function scrypt(password, salt, n, r, p) {
  const opts = { N: n, r, p, maxmem: 128 * n * r * 2 };
  return new Promise((resolve2, reject) => scryptCb(password, salt, KEYLEN, opts, (err, key) => err ? reject(err) : resolve2(key)));
}
async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}
var DUMMY = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
async function verifyPassword(password, stored) {
  const parts = (stored ?? DUMMY).split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], "base64url");
  const want = Buffer.from(parts[5], "base64url");
  const got = await scrypt(password, salt, n, r, p);
  return stored !== null && want.length === got.length && timingSafeEqual(want, got);
}
function generatePassword() {
  const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
function checkNewPassword(pw) {
  if (typeof pw !== "string") return "the new password must be a string";
  if (pw.length < MIN_PASSWORD_LENGTH) return `the new password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (pw.length > 1024) return "the new password is too long";
  return null;
}

// server/bootstrap.ts
var BOOTSTRAP_ADMIN = "admin@localhost";
var ADMINS_GROUP = "admins";
var LOCAL_TARGET = "local";
var DEFAULT_ENVIRONMENT = "default";
var DEFAULT_POLICY = "admins-local-shell";
var EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
async function createUser(store, u) {
  if (!EMAIL_RE.test(u.email)) throw new GatehouseError("BAD_REQUEST", `not an email address: ${u.email}`);
  if (await store.users.byEmail(u.email)) throw new GatehouseError("CONFLICT", `user ${u.email} already exists`);
  if (u.password !== void 0) {
    const err = checkNewPassword(u.password);
    if (err) throw new GatehouseError("BAD_REQUEST", err.replace("the new password", "the password"));
  }
  const oneTime = u.password === void 0 ? generatePassword() : null;
  const row = await store.users.create({
    email: u.email,
    role: u.role,
    passwordHash: await hashPassword(u.password ?? oneTime),
    mustChangePassword: oneTime !== null
  });
  const groups = new Set(u.groups ?? []);
  if (u.role === "admin") groups.add(ADMINS_GROUP);
  for (const g of groups) await store.users.addToGroup(row.id, g);
  return { id: row.id, oneTimePassword: oneTime };
}
async function ensureInitialized(store, opts) {
  await store.targets.ensureEnvironment(DEFAULT_ENVIRONMENT);
  let created = false;
  if (!await store.targets.byName(LOCAL_TARGET)) {
    await store.targets.create({ name: LOCAL_TARGET, kind: "local", environment: DEFAULT_ENVIRONMENT });
    created = true;
  }
  if (created) {
    const targetUser = opts.runningAsRoot ? "root" : userInfo().username;
    const policy = {
      name: DEFAULT_POLICY,
      kind: "target_access",
      subjects: { groups: [ADMINS_GROUP] },
      targets: [LOCAL_TARGET],
      actions: ["shell", "tunnel", "copy"],
      targetUsers: [targetUser]
    };
    await store.policies.put(policy);
  }
  if (await store.users.countAdmins() > 0) return { bootstrapPassword: null };
  const { oneTimePassword } = await createUser(store, { email: BOOTSTRAP_ADMIN, role: "admin" });
  return { bootstrapPassword: oneTimePassword };
}

// server/audit/sqlite-audit-log.ts
var FLUSH_MS = 5;
function createSqliteAuditLog(db, log) {
  let queue = [];
  let timer = null;
  let inFlight = Promise.resolve();
  let failures = 0;
  const flushNow = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return inFlight;
    inFlight = inFlight.then(
      () => db.transaction(async (tx) => {
        for (const row of batch) {
          await tx.run("INSERT INTO events (at, type, v, actor, source, outcome, object, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row);
        }
      }).catch((e) => {
        failures += batch.length;
        log(`audit: could not write ${batch.length} events: ${e.message}`);
      })
    );
    return inFlight;
  };
  return {
    emit(event, ctx) {
      try {
        const { type, v, outcome, ...rest } = event;
        const object = "connectionId" in rest ? rest.connectionId ?? null : "keyId" in rest ? rest.keyId : "email" in rest ? rest.email : null;
        queue.push([nowIso(), type, v, ctx.actor, ctx.source, outcome, object ?? null, JSON.stringify(rest)]);
        timer ??= setTimeout(() => void flushNow(), FLUSH_MS);
      } catch (e) {
        failures++;
        log(`audit: dropped an event: ${e.message}`);
      }
    },
    flush: flushNow,
    failures: () => failures
  };
}

// server/auth/login-limiter.ts
var WINDOW_MS = 15 * 60 * 1e3;
var FREE_FAILURES = 5;
var MAX_LOCK_MS = 15 * 60 * 1e3;
var MAX_KEYS = 1e5;
var LoginLimiter = class {
  entries = /* @__PURE__ */ new Map();
  /** Milliseconds the caller must still wait, or 0. */
  retryAfter(keys2, now = Date.now()) {
    let wait = 0;
    for (const k of keys2) {
      const e = this.entries.get(k);
      if (e && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    return wait;
  }
  fail(keys2, now = Date.now()) {
    for (const k of keys2) {
      let e = this.entries.get(k);
      if (!e || now - e.first > WINDOW_MS) {
        e = { failures: 0, first: now, lockedUntil: 0 };
        if (this.entries.size >= MAX_KEYS) this.entries.delete(this.entries.keys().next().value);
        this.entries.set(k, e);
      }
      e.failures++;
      if (e.failures > FREE_FAILURES) e.lockedUntil = now + Math.min(MAX_LOCK_MS, 1e3 * 2 ** (e.failures - FREE_FAILURES - 1));
    }
  }
  succeed(keys2) {
    for (const k of keys2) this.entries.delete(k);
  }
};

// gateway/live-connection.ts
import { performance as performance2 } from "node:perf_hooks";

// gateway/screen-keeper.ts
import headless from "@xterm/headless";
import serialize from "@xterm/addon-serialize";
var SCROLLBACK = 1e3;
function createScreenKeeper(cols, rows) {
  const term = new headless.Terminal({ cols, rows, scrollback: SCROLLBACK, allowProposedApi: true });
  const ser = new serialize.SerializeAddon();
  term.loadAddon(ser);
  let failure = null;
  return {
    name: "screen",
    get failure() {
      return failure;
    },
    onEvent(e) {
      if (failure) return;
      try {
        if (e.kind === "o") term.write(e.data);
        else if (e.kind === "r") term.resize(e.cols, e.rows);
      } catch (err) {
        failure = err;
      }
    },
    backlog: () => 0,
    whenDrained: () => Promise.resolve(),
    snapshot: () => new Promise((resolve2) => term.write("", () => resolve2(ser.serialize()))),
    async close() {
      term.dispose();
    }
  };
}

// gateway/live-connection.ts
var HIGH_WATER = 1024 * 1024;
var END_GRACE_MS = 2e3;
var LiveConnection = class {
  constructor(spec, hooks, dial, idleRetentionMs) {
    this.idleRetentionMs = idleRetentionMs;
    this.spec = spec;
    this.hooks = hooks;
    this.dial = dial;
    const r = spec.request;
    this.size = r.kind === "shell" ? r.size : r.pty?.size ?? { cols: 80, rows: 24 };
    if (spec.permit.notAfter) {
      const ms = Date.parse(spec.permit.notAfter) - Date.now();
      if (ms < 2 ** 31 - 1) this.expiryTimer = setTimeout(() => this.close("grant expired", "system"), Math.max(0, ms));
    }
  }
  idleRetentionMs;
  spec;
  hooks;
  dial;
  channel = null;
  dialing = null;
  abort = new AbortController();
  taps = [];
  screen = null;
  client = null;
  t0 = 0;
  size;
  paused = false;
  closing = null;
  closedResolve;
  closed = new Promise((r) => this.closedResolve = r);
  idleTimer = null;
  expiryTimer = null;
  get state() {
    if (this.closing !== null) return "closed";
    if (!this.channel) return "open";
    return this.client ? "connected" : "disconnected";
  }
  now() {
    return (performance2.now() - this.t0) / 1e3;
  }
  /**
   * Attaches a client, dialing the target on the first attach. A previous client is closed with
   * REPLACED. Rejects with a GatehouseError when the connection is closed or cannot be dialed.
   */
  async attach(client, actor) {
    if (this.closing !== null) throw new GatehouseError("NOT_FOUND", "connection is closed");
    const previous = this.client;
    this.client = client;
    if (previous && previous !== client) previous.close(CLOSE.REPLACED, "another client attached to this connection");
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.channel) {
      this.dialing ??= this.start();
      try {
        await this.dialing;
      } catch (e) {
        this.client = null;
        throw e;
      }
      if (this.client !== client) return;
      client.sendControl({ type: "attached", connectionId: this.spec.id, cols: this.size.cols, rows: this.size.rows, redraw: false });
    } else {
      const snap = this.screen ? await this.screen.snapshot() : "";
      if (this.client !== client || this.closing !== null) return;
      client.sendControl({ type: "attached", connectionId: this.spec.id, cols: this.size.cols, rows: this.size.rows, redraw: snap.length > 0 });
      if (snap) client.sendOutput(Buffer.from("\x1Bc" + snap));
    }
    this.hooks.onState(this.spec.id, { state: "connected", actor, client: client.label });
  }
  /** A shell keeps running without a client; an exec belongs to its client, as with ssh. */
  get persistent() {
    return this.spec.request.kind === "shell";
  }
  /** The client went away; a shell keeps running until idle retention runs out. */
  detach(client, actor, reason) {
    if (this.client !== client || this.closing !== null) return;
    this.client = null;
    if (this.channel && this.persistent) {
      this.hooks.onState(this.spec.id, { state: "disconnected", actor, reason });
      this.idleTimer = setTimeout(() => this.close("idle retention expired", "system"), this.idleRetentionMs);
      this.maybeResume();
    } else {
      this.close(reason, actor);
    }
  }
  /** Input from the attached client; resolves when the channel can take more. */
  async input(client, data) {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    this.emit({ kind: "i", t: this.now(), data });
    if (!this.channel.io.write(data)) {
      await new Promise((resolve2) => {
        const io = this.channel.io;
        const done = () => {
          io.off("drain", done);
          io.off("close", done);
          resolve2();
        };
        io.on("drain", done);
        io.on("close", done);
      });
    }
  }
  /** The client's stdin ended (exec): end the program's stdin. */
  endInput(client) {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    this.channel.io.end();
  }
  resize(client, size) {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    if (size.cols === this.size.cols && size.rows === this.size.rows) return;
    this.size = size;
    this.channel.resize(size);
    this.emit({ kind: "r", t: this.now(), cols: size.cols, rows: size.rows });
  }
  /** Ends the connection (idempotent): the program is stopped, taps flushed, the client told why. */
  close(reason, actor) {
    if (this.closing !== null) return;
    this.closing = reason;
    this.closeActor = actor;
    this.abort.abort(new GatehouseError("TARGET_UNAVAILABLE", reason));
    if (this.channel) this.channel.close(reason);
    else void this.finish(null, actor);
  }
  closeActor = null;
  async start() {
    const channel = await this.dial(this.abort.signal);
    if (this.closing !== null) {
      channel.close(this.closing);
      throw new GatehouseError("NOT_FOUND", "connection is closed");
    }
    this.channel = channel;
    this.t0 = performance2.now();
    const r = this.spec.request;
    const term = r.kind === "shell" ? r.term : r.pty?.term ?? "dumb";
    try {
      this.taps = await this.hooks.openTaps(this.spec, { size: this.size, shell: channel.shell ?? "/bin/sh", term, startedAt: /* @__PURE__ */ new Date() });
    } catch (e) {
      channel.close("recording could not start");
      throw e;
    }
    if (r.kind === "shell" || r.pty) {
      this.screen = createScreenKeeper(this.size.cols, this.size.rows);
      this.taps.push(this.screen);
    }
    const tagged = r.kind === "exec" && !r.pty;
    channel.io.on("data", (chunk) => this.onOutput(channel.io, chunk, tagged ? 1 : void 0));
    channel.io.on("error", (e) => this.hooks.log(`connection ${this.spec.id}: channel error: ${e.message}`));
    const stderr = channel.stderr;
    if (stderr) {
      this.sources.push(stderr);
      stderr.on("data", (chunk) => this.onOutput(stderr, chunk, 2));
    }
    void channel.exit.then((exit) => this.onExit(exit));
  }
  /** Readables the output comes from (stdout, and stderr for exec); paused together. */
  sources = [];
  onOutput(_from, chunk, stream) {
    this.emit({ kind: "o", t: this.now(), data: chunk });
    this.client?.sendOutput(chunk, stream);
    if (!this.paused && this.blockers().length > 0) {
      this.paused = true;
      this.channel.io.pause();
      for (const s of this.sources) s.pause();
      void this.waitForDrain();
    }
  }
  blockers() {
    const out = this.taps.filter((t) => t.backlog() > HIGH_WATER);
    if (this.client && this.client.backlog() > HIGH_WATER) out.push(this.client);
    return out;
  }
  async waitForDrain() {
    for (; ; ) {
      const b = this.blockers();
      if (b.length === 0 || this.closing !== null && !this.channel) break;
      const clientAtStart = this.client;
      await Promise.race([...b.map((x) => x.whenDrained()), this.closed, new Promise((r) => setTimeout(r, 250))]);
      if (this.client !== clientAtStart) continue;
    }
    this.maybeResume();
  }
  maybeResume() {
    if (this.paused && this.blockers().length === 0) {
      this.paused = false;
      this.channel?.io.resume();
      for (const s of this.sources) s.resume();
    }
  }
  emit(e) {
    for (const tap of this.taps) {
      if (tap.failure) continue;
      tap.onEvent(e);
      if (tap.failure) {
        this.hooks.log(`connection ${this.spec.id}: tap ${tap.name} failed: ${tap.failure.message}`);
        if (tap.name === "recording") queueMicrotask(() => this.close(`recording failed: ${tap.failure.message}`, "system"));
      }
    }
  }
  async onExit(exit) {
    const streams = [this.channel.io, ...this.channel.stderr ? [this.channel.stderr] : []];
    this.paused = false;
    for (const st of streams) st.resume();
    await Promise.race([
      Promise.all(
        streams.map((st) => st.readableEnded ? null : new Promise((r) => {
          st.once("end", r);
          st.once("close", r);
        }))
      ),
      new Promise((r) => setTimeout(r, END_GRACE_MS))
    ]);
    this.emit({ kind: "x", t: this.now(), code: exit.code, ...exit.signal ? { signal: exit.signal } : {} });
    await this.finish(exit, this.closing !== null ? this.closeActor : null);
  }
  finished = false;
  async finish(exit, actor) {
    if (this.finished) return;
    this.finished = true;
    const reason = this.closing ?? (exit?.error ? `target: ${exit.error}` : "exited");
    this.closing = reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await Promise.all(this.taps.map((t) => t.close().catch((e) => this.hooks.log(`connection ${this.spec.id}: tap ${t.name} close: ${e.message}`))));
    const client = this.client;
    this.client = null;
    if (client) {
      if (exit) client.sendControl({ type: "exit", code: exit.code, ...exit.signal ? { signal: exit.signal } : {} });
      client.close(CLOSE.ENDED, reason.slice(0, 120));
    }
    this.hooks.onState(this.spec.id, { state: "closed", actor, reason, exit });
    this.closedResolve();
  }
};

// gateway/session-broker.ts
var SessionBroker = class {
  constructor(opts) {
    this.opts = opts;
    for (const d of opts.dialers) this.dialers.set(d.targetKind, d);
  }
  opts;
  live = /* @__PURE__ */ new Map();
  dialers = /* @__PURE__ */ new Map();
  /** Registers a connection; nothing is dialed until the first client attaches. */
  register(spec) {
    const dialer = this.dialers.get(spec.target.kind);
    if (!dialer) throw new GatehouseError("TARGET_UNAVAILABLE", `no dialer for ${spec.target.kind} targets`);
    const conn = new LiveConnection(spec, this.opts.hooks, (signal) => dialer.open(spec.target, spec.request, signal), this.opts.idleRetentionSeconds * 1e3);
    this.live.set(spec.id, conn);
    void conn.closed.then(() => this.live.delete(spec.id));
    return conn;
  }
  get(id) {
    return this.live.get(id);
  }
  list() {
    return [...this.live.values()];
  }
  /** Closes every live connection with `reason` and waits until each has finished its taps. */
  async closeAll(reason) {
    const all = this.list();
    for (const c of all) c.close(reason, "system");
    await Promise.all(all.map((c) => c.closed));
  }
};

// gateway/local/local-dialer.ts
import { spawn } from "node:child_process";

// gateway/agent/agent-channel.ts
import { Duplex, Readable } from "node:stream";
var BUFFER_MARK = 64 * 1024;
var MAX_REASON = 1024;
var ChannelIo = class extends Duplex {
  constructor(owner) {
    super({ allowHalfOpen: true, readableHighWaterMark: BUFFER_MARK, writableHighWaterMark: BUFFER_MARK });
    this.owner = owner;
  }
  owner;
  _read() {
    this.owner.accountDrained();
  }
  read(size) {
    const chunk = super.read(size);
    this.owner.accountDrained();
    return chunk;
  }
  _write(chunk, _enc, cb) {
    this.owner.writeInput(chunk, cb);
  }
  _final(cb) {
    this.owner.endInput();
    cb();
  }
  _destroy(err, cb) {
    this.owner.close(err ? `channel stream error: ${err.message}` : "channel stream destroyed");
    cb(err);
  }
};
var ChannelStderr = class extends Readable {
  constructor(owner) {
    super({ highWaterMark: BUFFER_MARK });
    this.owner = owner;
  }
  owner;
  _read() {
    this.owner.accountDrained();
  }
  read(size) {
    const chunk = super.read(size);
    this.owner.accountDrained();
    return chunk;
  }
};
var AgentChannel = class {
  constructor(opts, port) {
    this.opts = opts;
    this.port = port;
    this.kind = opts.kind;
    if (opts.shell !== void 0) this.shell = opts.shell;
    this.exit = new Promise((r) => this.resolveExit = r);
    this.recv = new RecvWindow(opts.recvWindow);
    this.sender = new CreditedSender(opts.sendWindow, (kind, chunk) => port.send({ type: kind, stream: opts.stream, data: chunk }));
    this.io = new ChannelIo(this);
    if (opts.separateStderr) this.stderr = new ChannelStderr(this);
  }
  opts;
  port;
  kind;
  io;
  stderr;
  exit;
  shell;
  resolveExit;
  finished = false;
  readEnded = false;
  sender;
  recv;
  pushedIo = 0;
  pushedErr = 0;
  drained = 0;
  get stream() {
    return this.opts.stream;
  }
  /** Handles a frame the agent sent on this stream; returns a protocol error message or null. */
  onFrame(f) {
    switch (f.type) {
      case "data":
      case "stderr": {
        const n = f.data.length;
        if (!this.recv.receive(n)) return `${n} bytes beyond the granted credit`;
        if (this.readEnded) return `${f.type} after eof`;
        const buf = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength);
        if (f.type === "stderr" && this.stderr) {
          this.pushedErr += n;
          this.stderr.push(buf);
        } else {
          this.pushedIo += n;
          this.io.push(buf);
        }
        this.accountDrained();
        return null;
      }
      case "credit":
        return this.sender.grant(f.bytes);
      case "eof":
        this.endReadable();
        return null;
      case "exit":
        this.finish({ code: f.body.code, ...f.body.signal ? { signal: f.body.signal } : {} });
        return null;
      case "close":
        this.finish({ code: null, error: f.body.reason || "closed by the agent" });
        return null;
      default:
        return `${f.type} is not valid on an open stream`;
    }
  }
  /** The link died: settle without sending anything. */
  linkClosed(reason) {
    this.finish({ code: null, error: reason });
  }
  resize(size) {
    if (this.finished || !this.opts.hasTerminal) return;
    const cols = clampInt(size.cols, 1, 1e3);
    const rows = clampInt(size.rows, 1, 500);
    this.port.send({ type: "resize", stream: this.opts.stream, body: { cols, rows } });
  }
  close(reason) {
    if (this.finished) return;
    const r = reason.length > MAX_REASON ? reason.slice(0, MAX_REASON) : reason;
    this.port.send({ type: "close", stream: this.opts.stream, body: { reason: r } });
    this.finish({ code: null, error: reason });
  }
  /** Grants credit for every byte the consumers took out of `io`/`stderr` since last time. */
  accountDrained() {
    const drained = this.pushedIo - this.io.readableLength + this.pushedErr - (this.stderr?.readableLength ?? 0);
    const delta = drained - this.drained;
    if (delta <= 0) return;
    this.drained = drained;
    if (this.finished) return;
    const grant = this.recv.drained(delta);
    if (grant > 0) this.port.send({ type: "credit", stream: this.opts.stream, bytes: grant });
  }
  writeInput(chunk, cb) {
    if (this.finished) return cb();
    this.sender.enqueue("data", chunk, () => cb());
  }
  endInput() {
    if (!this.finished) this.port.send({ type: "eof", stream: this.opts.stream });
  }
  endReadable() {
    if (this.readEnded) return;
    this.readEnded = true;
    this.io.push(null);
    this.stderr?.push(null);
  }
  finish(exit) {
    if (this.finished) return;
    this.finished = true;
    this.sender.close();
    this.endReadable();
    this.port.release(this.opts.stream);
    this.resolveExit(exit);
  }
};
function clampInt(v, min, max) {
  const n = Number.isFinite(v) ? Math.trunc(v) : min;
  return Math.min(max, Math.max(min, n));
}

// gateway/agent/agent-link.ts
var FAIL_CODES = {
  TARGET_USER_UNKNOWN: "TARGET_USER_UNKNOWN",
  NOT_PERMITTED: "FORBIDDEN",
  SPAWN_FAILED: "TARGET_UNAVAILABLE",
  CONNECT_FAILED: "TARGET_UNAVAILABLE",
  BAD_REQUEST: "TARGET_UNAVAILABLE"
};
var AgentLink = class {
  constructor(transport, opts = {}) {
    this.transport = transport;
    this.opts = opts;
    this.closed = new Promise((r) => this.resolveClosed = r);
    this.window = Math.min(opts.window ?? DEFAULT_WINDOW, MAX_WINDOW);
    this.label = opts.label ?? "agent";
    transport.start({ frame: (b) => this.onFrame(b), invalid: (r) => this.protocolError(r), end: (r) => this.onEnd(r) });
    if (this.endReason !== null) return;
    this.send({ type: "hello", stream: 0, body: { role: "gateway", v: AGENT_PROTOCOL_VERSION } });
    const helloMs = opts.helloTimeoutMs ?? 1e4;
    const helloTimer = setTimeout(() => {
      if (!this.info) this.protocolError(`no hello within ${helloMs} ms`);
    }, helloMs);
    helloTimer.unref();
    this.timers.push(helloTimer);
    if (opts.keepalive) {
      const { intervalMs, timeoutMs } = opts.keepalive;
      const t = setInterval(() => {
        this.ping(timeoutMs).catch((e) => {
          if (this.endReason === null) this.protocolError(`keepalive: ${e.message}`);
        });
      }, intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }
  transport;
  opts;
  /** Resolves with the reason once the link has ended. */
  closed;
  resolveClosed;
  endReason = null;
  info = null;
  helloWaiters = /* @__PURE__ */ new Set();
  slots = /* @__PURE__ */ new Map();
  nextStream = 1;
  pings = /* @__PURE__ */ new Map();
  nextNonce = 1;
  timers = [];
  window;
  label;
  /** The agent's hello, once received. */
  get agent() {
    return this.info;
  }
  get isClosed() {
    return this.endReason !== null;
  }
  /** Opens a stream; resolves with its Channel once the agent answered `opened`. */
  async open(spec, signal) {
    if (signal?.aborted) throw abortError(signal);
    this.assertOpen();
    if (this.nextStream > 4294967295) throw new GatehouseError("TARGET_UNAVAILABLE", "agent link ran out of stream ids");
    const stream = this.nextStream++;
    let bytes;
    try {
      bytes = encodeFrame({ type: "open", stream, body: { spec, window: this.window } });
    } catch (e) {
      throw new GatehouseError("BAD_REQUEST", `open request too large: ${e.message}`);
    }
    const check2 = decodeFrame(bytes);
    if (!check2.ok) throw new GatehouseError("BAD_REQUEST", `invalid open request: ${check2.error}`);
    await this.whenReady(signal);
    return new Promise((resolve2, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      if (this.endReason !== null) return reject(this.linkError());
      const onAbort = () => {
        if (this.slots.get(stream)?.state !== "pending") return;
        this.slots.delete(stream);
        this.send({ type: "close", stream, body: { reason: "open aborted" } });
        reject(abortError(signal));
      };
      const cleanup = () => signal?.removeEventListener("abort", onAbort);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.slots.set(stream, { state: "pending", spec, resolve: resolve2, reject, cleanup });
      this.transport.send(bytes);
    });
  }
  /** Round-trip time of one ping in ms; rejects on timeout or when the link ends. */
  ping(timeoutMs = 1e4) {
    if (this.endReason !== null) return Promise.reject(this.linkError());
    const nonce = this.nextNonce;
    this.nextNonce = this.nextNonce >= 4294967295 ? 1 : this.nextNonce + 1;
    const started = performance.now();
    return new Promise((resolve2, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(nonce);
        reject(new Error(`no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(nonce, { resolve: () => resolve2(performance.now() - started), reject, timer });
      this.send({ type: "ping", stream: 0, nonce });
    });
  }
  /** Ends the link; every channel's `exit` settles with `reason` as its error. */
  close(reason) {
    this.transport.close(reason);
  }
  send(f) {
    if (this.endReason === null) this.transport.send(encodeFrame(f));
  }
  protocolError(reason) {
    if (this.endReason !== null) return;
    this.opts.log?.(`${this.label}: protocol error: ${reason}; closing the link`);
    this.transport.close(`${this.label} protocol error: ${reason}`);
  }
  assertOpen() {
    if (this.endReason !== null) throw this.linkError();
  }
  linkError() {
    return new GatehouseError("TARGET_UNAVAILABLE", `${this.label} link closed: ${this.endReason}`);
  }
  whenReady(signal) {
    if (this.info) return Promise.resolve();
    return new Promise((resolve2, reject) => {
      const onAbort = () => {
        this.helloWaiters.delete(waiter);
        reject(abortError(signal));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve2();
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.helloWaiters.add(waiter);
    });
  }
  onEnd(reason) {
    if (this.endReason !== null) return;
    this.endReason = reason;
    for (const t of this.timers) clearTimeout(t);
    const err = this.linkError();
    for (const w of this.helloWaiters) w.reject(err);
    this.helloWaiters.clear();
    for (const p of this.pings.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pings.clear();
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const s of slots) {
      if (s.state === "pending") {
        s.cleanup();
        s.reject(err);
      } else {
        s.channel.linkClosed(reason);
      }
    }
    this.resolveClosed(reason);
  }
  onFrame(bytes) {
    if (this.endReason !== null) return;
    const r = decodeFrame(bytes);
    if (!r.ok) return this.protocolError(r.error);
    const f = r.frame;
    if (!this.info) {
      if (f.type !== "hello") return this.protocolError(`expected hello, got ${f.type}`);
      if (f.body.role !== "agent") return this.protocolError("hello from a peer that is not an agent");
      if (f.body.v !== AGENT_PROTOCOL_VERSION) return this.protocolError(`unsupported protocol version ${f.body.v} (the gateway speaks ${AGENT_PROTOCOL_VERSION})`);
      this.info = { name: f.body.name, hostname: f.body.hostname, agentVersion: f.body.agentVersion };
      for (const w of this.helloWaiters) w.resolve();
      this.helloWaiters.clear();
      return;
    }
    switch (f.type) {
      case "ping":
        return this.send({ type: "pong", stream: 0, nonce: f.nonce });
      case "pong": {
        const p = this.pings.get(f.nonce);
        if (!p) return;
        this.pings.delete(f.nonce);
        clearTimeout(p.timer);
        p.resolve();
        return;
      }
      case "hello":
      case "open":
      case "resize":
        return this.protocolError(`the agent may not send ${f.type}`);
    }
    const slot = this.slots.get(f.stream);
    if (!slot) {
      if (f.stream >= this.nextStream) return this.protocolError(`${f.type} on stream ${f.stream}, which was never opened`);
      return;
    }
    if (slot.state === "pending") {
      if (f.type === "opened") {
        slot.cleanup();
        const spec = slot.spec;
        const channel = new AgentChannel(
          {
            stream: f.stream,
            kind: spec.kind,
            separateStderr: spec.kind === "exec" && !spec.pty,
            hasTerminal: spec.kind === "shell" || spec.kind === "exec" && !!spec.pty,
            sendWindow: f.body.window,
            recvWindow: this.window,
            ...f.body.shell !== void 0 ? { shell: f.body.shell } : {}
          },
          { send: (fr) => this.send(fr), release: (id) => this.slots.delete(id) }
        );
        this.slots.set(f.stream, { state: "open", channel });
        return slot.resolve(channel);
      }
      if (f.type === "open_failed") {
        slot.cleanup();
        this.slots.delete(f.stream);
        return slot.reject(new GatehouseError(FAIL_CODES[f.body.code], f.body.message));
      }
      return this.protocolError(`${f.type} on stream ${f.stream} before it was opened`);
    }
    if (f.type === "opened" || f.type === "open_failed") return this.protocolError(`${f.type} on stream ${f.stream}, which is already open`);
    const err = slot.channel.onFrame(f);
    if (err) this.protocolError(`stream ${f.stream}: ${err}`);
  }
};
function abortError(signal) {
  const r = signal.reason;
  return r instanceof GatehouseError ? r : new GatehouseError("TARGET_UNAVAILABLE", "open aborted", { cause: r });
}

// gateway/agent/open-spec.ts
function toOpenSpec(r) {
  switch (r.kind) {
    case "shell":
      return { kind: "shell", targetUser: r.targetUser, pty: { cols: r.size.cols, rows: r.size.rows, term: r.term }, ...r.lang ? { lang: r.lang } : {} };
    case "exec":
      return {
        kind: "exec",
        targetUser: r.targetUser,
        command: r.command,
        ...r.pty ? { pty: { cols: r.pty.size.cols, rows: r.pty.size.rows, term: r.pty.term } } : {},
        ...r.lang ? { lang: r.lang } : {}
      };
    case "tcp":
      return { kind: "tcp", host: r.host, port: r.port };
  }
}

// gateway/local/local-dialer.ts
var PREFIX = "[local agent] ";
var KILL_GRACE_MS = 3e3;
var MAX_LINE = 8192;
function createLocalDialer(opts) {
  if (opts.agentCommand.length === 0) throw new Error("createLocalDialer: agentCommand is empty");
  const err = opts.stderr ?? process.stderr;
  const log = opts.log ?? ((line2) => err.write(`${line2}
`));
  let current = null;
  let closed = false;
  function start() {
    const [file, ...args] = opts.agentCommand;
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], ...opts.env ? { env: opts.env } : {} });
    forwardLines(child.stderr, (line2) => err.write(`${PREFIX}${line2}
`));
    const stdout = child.stdout;
    const source = {
      on(event, fn) {
        if (event === "data" || event === "error") stdout.on(event, fn);
        return source;
      },
      pause: () => stdout.pause()
    };
    child.stdin.on("error", () => {
    });
    const link = new AgentLink(byteStreamTransport(source, child.stdin), { label: "local agent", log, ...opts.window ? { window: opts.window } : {} });
    const gone = new Promise((resolve2) => {
      child.once("error", (e) => {
        link.close(`cannot start the local agent: ${e.message}`);
        resolve2();
      });
      child.once("close", (code, signal) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!link.isClosed) log(`local agent ${how}`);
        link.close(`local agent ${how}`);
        resolve2();
      });
    });
    void link.closed.then(() => terminate(child, gone));
    return { child, link, gone };
  }
  return {
    targetKind: "local",
    async open(_target, request, signal) {
      if (closed) throw new GatehouseError("TARGET_UNAVAILABLE", "the local dialer is closed");
      if (signal.aborted) throw abortError(signal);
      const spec = toOpenSpec(request);
      if (!current || current.link.isClosed) current = start();
      return current.link.open(spec, signal);
    },
    async close() {
      closed = true;
      const running = current;
      current = null;
      if (!running) return;
      running.link.close("the local dialer closed");
      await terminate(running.child, running.gone);
    }
  };
}
async function terminate(child, gone) {
  if (child.exitCode !== null || child.signalCode !== null) return gone;
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
  t.unref();
  await gone;
  clearTimeout(t);
}
function forwardLines(stream, line2) {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      line2(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    if (partial.length > MAX_LINE) {
      line2(partial);
      partial = "";
    }
  });
  stream.on("end", () => {
    if (partial) line2(partial);
  });
}

// recorder/asciicast-sink.ts
import { mkdir as mkdir2, open } from "node:fs/promises";
import { dirname } from "node:path";

// recorder/utf8-stream.ts
var Utf8StreamDecoder = class {
  #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  /**
   * Decodes one chunk. Returns '' when the chunk held only the first bytes of a character;
   * those bytes come out with the next chunk (or as U+FFFD from `end()`).
   */
  decode(chunk) {
    return this.#decoder.decode(chunk, { stream: true });
  }
  /**
   * Flushes bytes still held (an incomplete character becomes one U+FFFD) and resets the
   * decoder, so it can be reused for a new stream.
   */
  end() {
    return this.#decoder.decode();
  }
};

// recorder/asciicast-encoder.ts
var MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);
function formatCastTime(t) {
  const clamped = Number.isFinite(t) ? Math.min(Math.max(t, 0), MAX_SECONDS) : t > 0 ? MAX_SECONDS : 0;
  const micros = Math.round(clamped * 1e6);
  const whole = Math.floor(micros / 1e6);
  const frac = String(micros - whole * 1e6).padStart(6, "0").replace(/0+$/, "");
  return `${whole}.${frac === "" ? "0" : frac}`;
}
function line(t, code, data) {
  return `[${formatCastTime(t)}, ${JSON.stringify(code)}, ${JSON.stringify(data)}]
`;
}
function createAsciicastEncoder() {
  const output = new Utf8StreamDecoder();
  const input = new Utf8StreamDecoder();
  return {
    header(h) {
      const header = {
        version: 2,
        width: h.width,
        height: h.height,
        timestamp: h.timestamp
      };
      if (h.idleTimeLimit !== void 0) header.idle_time_limit = h.idleTimeLimit;
      header.env = { TERM: h.env.TERM, SHELL: h.env.SHELL };
      header.title = h.title;
      return `${JSON.stringify(header)}
`;
    },
    event(e) {
      switch (e.kind) {
        case "o": {
          const text = output.decode(e.data);
          return text === "" ? null : line(e.t, "o", text);
        }
        case "i": {
          const text = input.decode(e.data);
          return text === "" ? null : line(e.t, "i", text);
        }
        case "r":
          return line(e.t, "r", `${e.cols}x${e.rows}`);
        case "m":
          return line(e.t, "m", e.label);
        case "x":
          return null;
      }
    },
    end(t) {
      const lines = [];
      const o = output.end();
      if (o !== "") lines.push(line(t, "o", o));
      const i = input.end();
      if (i !== "") lines.push(line(t, "i", i));
      return lines;
    }
  };
}

// recorder/asciicast-sink.ts
var DEFAULT_FLUSH_INTERVAL_MS = 250;
var MAX_FLUSH_INTERVAL_MS = 1e3;
var DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
var EARLY_FLUSH_BYTES = 64 * 1024;
var FILE_MODE = 416;
var DIR_MODE = 488;
function asError(err) {
  return err instanceof Error ? err : new Error(String(err));
}
async function writeFully(fh, buf, onProgress) {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset, null);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    offset += bytesWritten;
    onProgress(bytesWritten);
  }
}
function createAsciicastSink(opts) {
  const flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const highWaterMark = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (!(flushIntervalMs > 0 && flushIntervalMs <= MAX_FLUSH_INTERVAL_MS)) {
    throw new RangeError(`flushIntervalMs must be in (0, ${MAX_FLUSH_INTERVAL_MS}], got ${flushIntervalMs}`);
  }
  if (!(highWaterMark > 0)) throw new RangeError(`highWaterMark must be > 0, got ${highWaterMark}`);
  const lowWaterMark = highWaterMark / 4;
  const encoder = createAsciicastEncoder();
  let fh = null;
  let queue = [];
  let queuedBytes = 0;
  let inFlightBytes = 0;
  let inFlight = null;
  let timer = null;
  let flushOwed = false;
  let failure = null;
  let startPromise = null;
  let closePromise = null;
  let closing = false;
  let bytesWritten = 0;
  let lastT = 0;
  let drainWaiters = [];
  const backlog = () => queuedBytes + inFlightBytes;
  function notifyDrained() {
    if (drainWaiters.length === 0) return;
    if (failure === null && closePromise === null && backlog() >= lowWaterMark) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve2 of waiters) resolve2();
  }
  function clearTimer() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }
  function releaseFile() {
    const handle = fh;
    fh = null;
    handle?.close().catch(() => void 0);
  }
  function latch(err) {
    if (failure !== null) return;
    failure = asError(err);
    queue = [];
    queuedBytes = 0;
    clearTimer();
    if (inFlight === null) releaseFile();
    notifyDrained();
  }
  function enqueue(text) {
    queue.push(text);
    queuedBytes += Buffer.byteLength(text, "utf8");
  }
  function schedule() {
    if (failure !== null || fh === null || queuedBytes === 0) return;
    if (queuedBytes >= EARLY_FLUSH_BYTES) {
      flush();
      return;
    }
    if (timer === null) {
      timer = setTimeout(onTimer, flushIntervalMs);
      timer.unref?.();
    }
  }
  function onTimer() {
    timer = null;
    if (inFlight !== null) flushOwed = true;
    else flush();
  }
  function flush() {
    if (inFlight !== null || failure !== null || fh === null || queuedBytes === 0) return;
    clearTimer();
    flushOwed = false;
    const handle = fh;
    const buf = Buffer.from(queue.join(""), "utf8");
    queue = [];
    inFlightBytes = queuedBytes;
    queuedBytes = 0;
    inFlight = writeFully(handle, buf, (n) => {
      bytesWritten += n;
    }).then(
      () => afterWrite(null),
      (err) => afterWrite(err)
    );
  }
  function afterWrite(err) {
    inFlight = null;
    inFlightBytes = 0;
    if (err !== null) latch(err);
    if (failure !== null) {
      releaseFile();
      notifyDrained();
      return;
    }
    if (flushOwed || queuedBytes >= EARLY_FLUSH_BYTES) flush();
    else schedule();
    notifyDrained();
  }
  async function openFile(header) {
    const headerLine = encoder.header(header);
    queue.unshift(headerLine);
    queuedBytes += Buffer.byteLength(headerLine, "utf8");
    try {
      await mkdir2(dirname(opts.path), { recursive: true, mode: DIR_MODE });
      const handle = await open(opts.path, "wx", FILE_MODE);
      if (failure !== null) {
        await handle.close();
        return;
      }
      fh = handle;
      await handle.chmod(FILE_MODE);
      flush();
      while (inFlight !== null) await inFlight;
    } catch (err) {
      latch(err);
    }
    if (failure !== null) throw failure;
  }
  async function finish() {
    closing = true;
    if (startPromise !== null) await startPromise.catch(() => void 0);
    if (failure === null && fh !== null) {
      for (const text of encoder.end(lastT)) enqueue(text);
      clearTimer();
      while (failure === null && (inFlight !== null || queuedBytes > 0)) {
        if (inFlight === null) flush();
        if (inFlight !== null) await inFlight;
      }
      if (failure === null && fh !== null) {
        try {
          await fh.sync();
        } catch (err) {
          latch(err);
        }
      }
    }
    clearTimer();
    const handle = fh;
    fh = null;
    if (handle !== null) {
      try {
        await handle.close();
      } catch (err) {
        latch(err);
      }
    }
    queue = [];
    queuedBytes = 0;
    notifyDrained();
  }
  return {
    name: "recording",
    get failure() {
      return failure;
    },
    start(header) {
      startPromise ??= openFile(header);
      return startPromise;
    },
    onEvent(e) {
      if (failure !== null || closing) return;
      try {
        if (e.t > lastT) lastT = e.t;
        if (e.kind === "i" && !opts.recordInput) return;
        const text = encoder.event(e);
        if (text === null) return;
        enqueue(text);
        schedule();
      } catch (err) {
        latch(err);
      }
    },
    backlog,
    whenDrained() {
      if (failure !== null || closePromise !== null || backlog() < lowWaterMark) return Promise.resolve();
      return new Promise((resolve2) => drainWaiters.push(resolve2));
    },
    close() {
      closePromise ??= finish();
      return closePromise;
    },
    artifact() {
      return { path: opts.path, bytes: bytesWritten, durationSeconds: lastT };
    }
  };
}

// server/recovery.ts
import { stat } from "node:fs/promises";

// recorder/cast-repair.ts
import { open as open2 } from "node:fs/promises";
var NL = 10;
var CHUNK = 64 * 1024;
var MAX_LINE_BYTES = 64 * 1024 * 1024;
function isCastHeader(v) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const h = v;
  return h.version === 2 && Number.isInteger(h.width) && Number.isInteger(h.height);
}
function isCastEvent(v) {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === "number" && Number.isFinite(v[0]) && v[0] >= 0 && typeof v[1] === "string" && typeof v[2] === "string";
}
var strictUtf8 = new TextDecoder("utf-8", { fatal: true });
function isValidLine(bytes, isFirst) {
  let value;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return false;
  }
  return isFirst ? isCastHeader(value) : isCastEvent(value);
}
async function readRange(fh, start, end) {
  const buf = Buffer.alloc(end - start);
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at ${start + done}`);
    done += bytesRead;
  }
  return buf;
}
async function lastNewlineBefore(fh, before) {
  let pos = before;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    const buf = await readRange(fh, pos - len, pos);
    const idx = buf.lastIndexOf(NL);
    if (idx >= 0) return pos - len + idx;
    pos -= len;
  }
  return -1;
}
async function countNewlines(fh, end) {
  let count = 0;
  for (let pos = 0; pos < end; pos += CHUNK) {
    const buf = await readRange(fh, pos, Math.min(pos + CHUNK, end));
    for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) count++;
  }
  return count;
}
async function repairCast(path) {
  const fh = await open2(path, "r+");
  try {
    const size = (await fh.stat()).size;
    let end = size;
    while (end > 0) {
      const nl = await lastNewlineBefore(fh, end);
      if (nl !== end - 1) {
        end = nl + 1;
        continue;
      }
      const start = await lastNewlineBefore(fh, nl) + 1;
      if (nl - start <= MAX_LINE_BYTES && isValidLine(await readRange(fh, start, nl), start === 0)) break;
      end = start;
    }
    if (end < size) {
      await fh.truncate(end);
      await fh.sync();
    }
    return { droppedBytes: size - end, lines: await countNewlines(fh, end) };
  } finally {
    await fh.close();
  }
}

// server/recovery.ts
async function recoverAfterCrash(store, log) {
  let n = 0;
  for (const r of await store.recordings.live()) {
    try {
      const { droppedBytes } = await repairCast(r.path);
      const size = (await stat(r.path)).size;
      await store.recordings.finish(r.connection_id, { sizeBytes: size, durationSeconds: 0, state: droppedBytes > 0 ? "repaired" : "complete" });
    } catch (e) {
      log(`recovery: recording ${r.path}: ${e.message}`);
      await store.recordings.finish(r.connection_id, { sizeBytes: 0, durationSeconds: 0, state: "repaired" });
    }
    n++;
  }
  for (const c of await store.connections.unclosed()) {
    await store.connections.close(c.id, "service restart", "system", null);
    n++;
  }
  return n;
}

// server/services.ts
function recordingPath(recordingsDir, connectionId, at) {
  const yyyy = String(at.getUTCFullYear());
  const mm = String(at.getUTCMonth() + 1).padStart(2, "0");
  return join2(recordingsDir, yyyy, mm, `${connectionId}.cast`);
}
async function createServices(config, opts) {
  const log = opts.log ?? ((m) => process.stderr.write(`gatehouse: ${m}
`));
  await mkdir3(config.dataDir, { recursive: true, mode: 448 });
  await chmod(config.dataDir, 448);
  const recordingsDir = join2(config.dataDir, "recordings");
  await mkdir3(recordingsDir, { recursive: true, mode: 488 });
  const store = await openStore(join2(config.dataDir, "gatehouse.db"));
  const audit = createSqliteAuditLog(store.db, log);
  const tls = config.tls.enabled ? await loadTls(config.dataDir, config.tls.cert, config.tls.key) : null;
  const { bootstrapPassword } = await ensureInitialized(store, { runningAsRoot: process.getuid?.() === 0 });
  const recovered = await recoverAfterCrash(store, log);
  audit.emit({ type: "service.start", v: 1, outcome: "success", recovered }, { actor: "system", source: null });
  const hooks = {
    log,
    async openTaps(spec, ctx) {
      const path = recordingPath(recordingsDir, spec.id, ctx.startedAt);
      const sink = createAsciicastSink({ path, recordInput: spec.permit.recordInput });
      await sink.start({
        width: ctx.size.cols,
        height: ctx.size.rows,
        timestamp: Math.floor(ctx.startedAt.getTime() / 1e3),
        env: { TERM: ctx.term, SHELL: ctx.shell },
        title: `${spec.permit.targetUser}@${spec.permit.targetName} by ${spec.permit.email}`
      });
      await store.recordings.create({ connectionId: spec.id, path, recordsInput: spec.permit.recordInput });
      const close = sink.close.bind(sink);
      sink.close = async () => {
        await close();
        const a = sink.artifact();
        await store.recordings.finish(spec.id, { sizeBytes: a.bytes, durationSeconds: a.durationSeconds, state: "complete" });
        const failed = sink.failure;
        audit.emit(
          { type: "recording.written", v: 1, outcome: failed ? "failure" : "success", connectionId: spec.id, bytes: a.bytes, ...failed ? { reason: failed.message } : {} },
          { actor: "system", source: null }
        );
      };
      return [sink];
    },
    onState(id, change) {
      const done = change.state === "closed" ? store.connections.close(id, change.reason, change.actor, change.exit?.code ?? null).then(
        () => audit.emit({ type: "connection.close", v: 1, outcome: "success", connectionId: id, reason: change.reason, exitCode: change.exit?.code ?? null }, { actor: change.actor, source: null })
      ) : store.connections.setState(id, change.state, change.actor, change.state === "disconnected" ? change.reason : null);
      done.catch((e) => log(`connection ${id}: could not store state ${change.state}: ${e.message}`));
    }
  };
  const localDialer = createLocalDialer({ agentCommand: opts.localAgentCommand });
  const broker = new SessionBroker({ dialers: [localDialer, ...opts.dialers ?? []], hooks, idleRetentionSeconds: config.sessions.idleRetentionSeconds });
  return {
    config,
    store,
    audit,
    broker,
    limiter: new LoginLimiter(),
    tls,
    recordingsDir,
    bootstrapPassword,
    log,
    async close() {
      await broker.closeAll("service stopping");
      await localDialer.close();
      await audit.flush();
      await store.close();
    }
  };
}

// server/app.ts
import Fastify from "fastify";
import websocket from "@fastify/websocket";
import fastifyStatic from "@fastify/static";

// server/plugins/auth-hook.ts
import { timingSafeEqual as timingSafeEqual3 } from "node:crypto";

// server/auth/tokens.ts
import { createHash, randomBytes as randomBytes2 } from "node:crypto";
var newToken = (prefix) => `${prefix}_${randomBytes2(32).toString("base64url")}`;
var hashToken = (token) => createHash("sha256").update(token).digest("base64url");

// server/auth/api-keys.ts
import { randomBytes as randomBytes3, timingSafeEqual as timingSafeEqual2 } from "node:crypto";
var ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
var NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
async function createApiKey(store, k) {
  if (!NAME_RE.test(k.name)) throw new GatehouseError("BAD_REQUEST", "key name must be 1-64 letters, digits, dots, dashes or underscores");
  if (await store.apiKeys.byName(k.name)) throw new GatehouseError("CONFLICT", `a key named ${k.name} already exists`);
  const id = "gk_" + Array.from(randomBytes3(12), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("");
  const secret = randomBytes3(32).toString("base64url");
  const row = await store.apiKeys.create({ id, name: k.name, secretHash: hashToken(secret), registration: k.registration, createdBy: k.createdBy });
  return { id, name: row.name, secret, registration: k.registration, createdAt: row.created_at };
}
async function verifyApiKey(store, header) {
  const m = /^(gk_[a-z0-9]{12}):([A-Za-z0-9_-]{43})$/.exec(header.trim());
  if (!m) return null;
  const row = await store.apiKeys.byId(m[1]);
  const want = Buffer.from(row?.secret_hash ?? hashToken("absent"));
  const got = Buffer.from(hashToken(m[2]));
  if (!row || want.length !== got.length || !timingSafeEqual2(want, got)) return null;
  void store.apiKeys.touch(row.id).catch(() => void 0);
  return row;
}

// server/plugins/auth-hook.ts
var SESSION_COOKIE = "gh_session";
var PUBLIC_ROUTES = /* @__PURE__ */ new Set(["/api/v1/auth/login"]);
var REGISTRATION_ROUTE = "/api/v1/agents/register";
var ALLOWED_BEFORE_PASSWORD_CHANGE = /* @__PURE__ */ new Set(["/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/logout"]);
function readCookie(header, name) {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}
function sameSecret(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual3(x, y);
}
async function identify(services, req) {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const token = bearer ?? readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token || token.length > 256) return null;
  const session = await services.store.authSessions.byTokenHash(hashToken(token));
  if (!session) return null;
  const user = await services.store.users.byId(session.user_id);
  if (!user) return null;
  return { user, groups: await services.store.users.groupsOf(user.id), session, via: bearer ? "bearer" : "cookie" };
}
function registerAuthHook(app, services) {
  app.decorateRequest("auth", null);
  app.decorateRequest("apiKey", null);
  app.addHook("onRequest", async (req) => {
    const path = req.url.split("?")[0];
    const isApi = path.startsWith("/api/v1/");
    const isWs = path.startsWith("/ws/");
    if (!isApi && !isWs) return;
    const keyHeader = req.headers["x-api-key"];
    if (typeof keyHeader === "string") {
      req.apiKey = await verifyApiKey(services.store, keyHeader);
      if (!req.apiKey) throw new GatehouseError("UNAUTHENTICATED", "unknown or wrong API key");
      if (req.apiKey.registration && path !== REGISTRATION_ROUTE) throw new GatehouseError("FORBIDDEN", "a registration key can only register agents");
      if (!req.apiKey.registration) throw new GatehouseError("FORBIDDEN", "API keys other than registration keys are not usable in this version");
      return;
    }
    req.auth = await identify(services, req);
    if (isWs || PUBLIC_ROUTES.has(path)) return;
    if (!req.auth) throw new GatehouseError("UNAUTHENTICATED");
    if (req.auth.via === "cookie" && !["GET", "HEAD", "OPTIONS"].includes(req.method)) {
      const sent = req.headers["x-csrf-token"];
      if (typeof sent !== "string" || !sameSecret(sent, req.auth.session.csrf_token)) throw new GatehouseError("CSRF");
    }
    if (req.auth.user.must_change_password && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(path)) {
      throw new GatehouseError("PASSWORD_CHANGE_REQUIRED");
    }
  });
}
function requireAuth(req) {
  if (!req.auth) throw new GatehouseError("UNAUTHENTICATED");
  return req.auth;
}
function requireAdmin(req) {
  const a = requireAuth(req);
  if (a.user.role !== "admin") throw new GatehouseError("FORBIDDEN", "this needs an admin");
  return a;
}
function sourceOf(req) {
  return req.ip;
}

// server/plugins/error-handler.ts
function registerErrorHandler(app, log) {
  app.setErrorHandler((err, req, reply) => {
    let body;
    let status;
    if (err instanceof GatehouseError) {
      status = err.httpStatus;
      body = { error: { code: err.code, message: err.message } };
    } else if ("code" in err && err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      status = 400;
      body = { error: { code: "BAD_REQUEST", message: `request body too large (limit ${req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes)` } };
    } else if ("statusCode" in err && typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      status = 400;
      const msg = "validation" in err && err.validation ? `invalid request: ${err.message}` : err.message;
      body = { error: { code: "BAD_REQUEST", message: msg.slice(0, 300) } };
    } else {
      log(`${req.method} ${req.url.split("?")[0]}: ${err.stack ?? err.message}`);
      status = 500;
      body = { error: { code: "INTERNAL", message: ERROR_TABLE.INTERNAL.message } };
    }
    void reply.code(status).type("application/json").send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` } });
  });
}

// server/routes/api/auth-routes.ts
import { randomBytes as randomBytes4 } from "node:crypto";
var SESSION_SECONDS = 12 * 3600;
function sessionInfo(a) {
  return {
    user: { id: a.user.id, email: a.user.email, role: a.user.role },
    mustChangePassword: a.user.must_change_password === 1,
    csrfToken: a.session.csrf_token,
    expiresAt: a.session.expires_at
  };
}
function setCookie(reply, token, maxAge) {
  void reply.header("set-cookie", `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAge}`);
}
function registerAuthRoutes(app, s) {
  app.post(
    "/api/v1/auth/login",
    {
      schema: {
        body: {
          type: "object",
          required: ["email", "password"],
          additionalProperties: false,
          properties: { email: { type: "string", minLength: 1, maxLength: 320 }, password: { type: "string", minLength: 1, maxLength: 1024 } }
        }
      }
    },
    async (req, reply) => {
      const { email, password } = req.body;
      const source = sourceOf(req);
      const keys2 = [`user:${email.toLowerCase()}`, `ip:${source}`];
      const wait = s.limiter.retryAfter(keys2);
      if (wait > 0) {
        s.audit.emit({ type: "auth.login", v: 1, outcome: "denied", email, reason: "rate limited" }, { actor: email, source });
        void reply.header("retry-after", String(Math.ceil(wait / 1e3)));
        throw new GatehouseError("RATE_LIMITED");
      }
      const user = await s.store.users.byEmail(email);
      const ok = await verifyPassword(password, user?.password_hash ?? null);
      if (!user || !ok) {
        s.limiter.fail(keys2);
        s.audit.emit({ type: "auth.login", v: 1, outcome: "failure", email, reason: user ? "wrong password" : "unknown user" }, { actor: email, source });
        throw new GatehouseError("BAD_CREDENTIALS");
      }
      s.limiter.succeed(keys2);
      const token = newToken("ghs");
      const session = await s.store.authSessions.create({
        tokenHash: hashToken(token),
        userId: user.id,
        csrfToken: randomBytes4(24).toString("base64url"),
        expiresAt: isoAfter(SESSION_SECONDS),
        source
      });
      s.audit.emit({ type: "auth.login", v: 1, outcome: "success", email: user.email }, { actor: user.email, source });
      setCookie(reply, token, SESSION_SECONDS);
      const body = { ...sessionInfo({ user, session }), token };
      return body;
    }
  );
  app.get("/api/v1/auth/me", async (req) => sessionInfo(requireAuth(req)));
  app.post("/api/v1/auth/logout", async (req, reply) => {
    const a = requireAuth(req);
    await s.store.authSessions.remove(a.session.id);
    s.audit.emit({ type: "auth.logout", v: 1, outcome: "success" }, { actor: a.user.email, source: sourceOf(req) });
    setCookie(reply, "", 0);
    return reply.code(204).send();
  });
  app.post(
    "/api/v1/auth/password",
    {
      schema: {
        body: {
          type: "object",
          required: ["currentPassword", "newPassword"],
          additionalProperties: false,
          properties: { currentPassword: { type: "string", maxLength: 1024 }, newPassword: { type: "string", maxLength: 1024 } }
        }
      }
    },
    async (req, reply) => {
      const a = requireAuth(req);
      const ctx = { actor: a.user.email, source: sourceOf(req) };
      if (!await verifyPassword(req.body.currentPassword, a.user.password_hash)) {
        s.audit.emit({ type: "auth.password_change", v: 1, outcome: "failure", reason: "wrong current password" }, ctx);
        throw new GatehouseError("BAD_CREDENTIALS", "the current password is wrong");
      }
      const problem = checkNewPassword(req.body.newPassword) ?? (req.body.newPassword === req.body.currentPassword ? "the new password must differ from the current one" : null);
      if (problem) {
        s.audit.emit({ type: "auth.password_change", v: 1, outcome: "failure", reason: problem }, ctx);
        throw new GatehouseError("BAD_REQUEST", problem);
      }
      await s.store.users.setPassword(a.user.id, await hashPassword(req.body.newPassword), false);
      await s.store.authSessions.removeOthersOfUser(a.user.id, a.session.id);
      s.audit.emit({ type: "auth.password_change", v: 1, outcome: "success" }, ctx);
      return reply.code(204).send();
    }
  );
}

// server/routes/api/targets-routes.ts
function registerTargetRoutes(app, _s, access) {
  app.get("/api/v1/targets", async (req) => access.visibleTargets(requireAuth(req)));
}

// server/routes/api/connections-routes.ts
import { randomUUID as randomUUID4 } from "node:crypto";
function connectionInfo(r) {
  return {
    id: r.id,
    userEmail: r.user_email,
    targetName: r.target_name,
    targetUser: r.target_user,
    kind: r.kind,
    command: r.command,
    pty: r.pty === 1,
    state: r.state,
    createdAt: r.created_at,
    closedAt: r.closed_at,
    closeReason: r.close_reason,
    wsPath: `/ws/connections/${r.id}`
  };
}
async function visibleConnection(s, a, id) {
  const row = /^[0-9a-f-]{36}$/.test(id) ? await s.store.connections.byId(id) : void 0;
  if (!row || row.user_id !== a.user.id && a.user.role !== "admin") throw new GatehouseError("NOT_FOUND", "no such connection");
  return row;
}
function registerConnectionRoutes(app, s, access) {
  app.post(
    "/api/v1/connections",
    {
      schema: {
        body: {
          type: "object",
          required: ["target"],
          additionalProperties: false,
          properties: {
            target: { type: "string", minLength: 1, maxLength: 128 },
            targetUser: { type: "string", minLength: 1, maxLength: 32 },
            cols: { type: "integer", minimum: 1, maximum: MAX_TERM_COLS },
            rows: { type: "integer", minimum: 1, maximum: MAX_TERM_ROWS },
            command: { type: "string", minLength: 1, maxLength: 32 * 1024 },
            pty: { type: "boolean" },
            term: { type: "string", pattern: "^[A-Za-z0-9_.+-]{1,64}$" }
          }
        }
      }
    },
    async (req, reply) => {
      const a = requireAuth(req);
      const ctx = { actor: a.user.email, source: sourceOf(req) };
      const { target, targetUser, cols = 80, rows = 24, command, term = "xterm-256color" } = req.body;
      const pty = command === void 0 || req.body.pty === true;
      if (req.body.pty !== void 0 && command === void 0) throw new GatehouseError("BAD_REQUEST", "pty is an option of command");
      let allowed;
      try {
        allowed = await access.decide(a, target, "shell", targetUser ?? null);
      } catch (e) {
        s.audit.emit({ type: "connection.open", v: 1, outcome: "denied", target, ...targetUser ? { targetUser } : {}, reason: e.message }, ctx);
        throw e;
      }
      const id = randomUUID4();
      const permit = allowed.permit;
      const kind = command === void 0 ? "shell" : "exec";
      const row = await s.store.connections.create({ id, permit, kind, command: command ?? null, pty });
      const size = { cols, rows };
      s.broker.register({
        id,
        permit,
        target: { id: allowed.target.id, name: allowed.target.name, kind: allowed.target.kind },
        request: command === void 0 ? { kind: "shell", targetUser: permit.targetUser, size, term, lang: "C.UTF-8" } : { kind: "exec", targetUser: permit.targetUser, command, ...pty ? { pty: { size, term } } : {}, lang: "C.UTF-8" }
      });
      s.audit.emit({ type: "connection.open", v: 1, outcome: "success", connectionId: id, target, targetUser: permit.targetUser }, ctx);
      return reply.code(201).send(connectionInfo(row));
    }
  );
  app.get("/api/v1/connections", async (req) => {
    const a = requireAuth(req);
    const all = a.user.role === "admin" && req.query.all === "1";
    const rows = await s.store.connections.list({ ...all ? {} : { userId: a.user.id }, openOnly: true });
    return rows.map(connectionInfo);
  });
  app.get(
    "/api/v1/connections/:id",
    async (req) => connectionInfo(await visibleConnection(s, requireAuth(req), req.params.id))
  );
  app.delete("/api/v1/connections/:id", async (req, reply) => {
    const a = requireAuth(req);
    const row = await visibleConnection(s, a, req.params.id);
    const live = s.broker.get(row.id);
    const by = row.user_id === a.user.id ? "closed by user" : "closed by admin";
    if (live) {
      live.close(by, a.user.email);
      await live.closed;
    } else {
      await s.store.connections.close(row.id, by, a.user.email, null);
    }
    return reply.code(204).send();
  });
}

// server/routes/api/recordings-routes.ts
import { createReadStream } from "node:fs";
import { stat as stat2 } from "node:fs/promises";
function recordingInfo(r) {
  return {
    id: r.connection_id,
    connectionId: r.connection_id,
    userEmail: r.user_email,
    targetName: r.target_name,
    targetUser: r.target_user,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationSeconds: r.duration_seconds,
    sizeBytes: r.size_bytes,
    live: r.state === "live",
    recordsInput: r.records_input === 1
  };
}
async function visibleRecording(s, a, id) {
  const row = /^[0-9a-f-]{36}$/.test(id) ? await s.store.recordings.byConnection(id) : void 0;
  if (!row || row.user_id !== a.user.id && a.user.role !== "admin") throw new GatehouseError("NOT_FOUND", "no such recording");
  return row;
}
function registerRecordingRoutes(app, s) {
  app.get("/api/v1/recordings", async (req) => {
    const a = requireAuth(req);
    const rows = await s.store.recordings.list(a.user.role === "admin" ? {} : { userId: a.user.id });
    return Promise.all(
      rows.map(async (r) => r.state === "live" ? { ...r, size_bytes: (await stat2(r.path).catch(() => ({ size: 0 }))).size } : r).map(async (r) => recordingInfo(await r))
    );
  });
  app.get(
    "/api/v1/recordings/:id",
    async (req) => recordingInfo(await visibleRecording(s, requireAuth(req), req.params.id))
  );
  app.get("/api/v1/recordings/:id/cast", async (req, reply) => {
    const row = await visibleRecording(s, requireAuth(req), req.params.id);
    const size = (await stat2(row.path).catch(() => null))?.size;
    if (size === void 0) throw new GatehouseError("NOT_FOUND", "the recording file is missing");
    void reply.type("application/x-asciicast").header("cache-control", "no-store");
    if (req.query.download === "1") void reply.header("content-disposition", `attachment; filename="${row.connection_id}.cast"`);
    return reply.send(createReadStream(row.path, { start: 0, end: Math.max(0, size - 1) }));
  });
}

// server/routes/ws/terminal-ws.ts
var MAX_INPUT_FRAME = 64 * 1024;
var LOW_WATER = 256 * 1024;
function wsClient(socket, label) {
  let pending = 0;
  let waiters = [];
  const sent = (n) => () => {
    pending -= n;
    if (pending <= LOW_WATER && waiters.length) {
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    }
  };
  socket.on("close", () => sent(pending)());
  return {
    label,
    sendOutput(data, stream) {
      if (socket.readyState !== socket.OPEN) return;
      const frame = stream === void 0 ? data : Buffer.concat([Buffer.of(stream === 2 ? STREAM_STDERR : STREAM_STDOUT), data]);
      pending += frame.length;
      socket.send(frame, { binary: true }, sent(frame.length));
    },
    sendControl(msg) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
    },
    backlog: () => pending,
    whenDrained: () => pending <= LOW_WATER ? Promise.resolve() : new Promise((r) => waiters.push(r)),
    close(code, reason) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    }
  };
}
function registerTerminalWs(app, s) {
  app.get("/ws/connections/:id", { websocket: true }, (socket, req) => {
    const client = wsClient(socket, `web ${req.ip}`);
    const queue = [];
    let conn = null;
    let busy = false;
    let closed = false;
    const drain = async () => {
      if (busy || !conn) return;
      busy = true;
      while (queue.length && !closed) {
        const { data, binary } = queue.shift();
        if (binary) {
          if (data.length > MAX_INPUT_FRAME) {
            client.close(4400, "input frame too large");
            break;
          }
          socket.pause();
          await conn.input(client, data);
          socket.resume();
        } else {
          const msg = parseClientControl(data.toString("utf8"));
          if ("error" in msg) {
            client.close(4400, msg.error);
            break;
          }
          if (msg.type === "eof") conn.endInput(client);
          else conn.resize(client, { cols: msg.cols, rows: msg.rows });
        }
      }
      busy = false;
    };
    socket.on("message", (data, isBinary) => {
      queue.push({ data, binary: isBinary });
      if (queue.length > 1024) client.close(4400, "too many frames queued");
      else void drain();
    });
    socket.on("close", () => {
      closed = true;
      conn?.detach(client, req.auth?.user.email ?? "unknown", "client disconnected");
    });
    void (async () => {
      try {
        if (!req.auth) throw new GatehouseError("UNAUTHENTICATED");
        if (req.auth.user.must_change_password) throw new GatehouseError("PASSWORD_CHANGE_REQUIRED");
        const row = await visibleConnection(s, req.auth, req.params.id);
        const live = s.broker.get(row.id);
        if (!live) throw new GatehouseError("NOT_FOUND", "connection is closed");
        if (closed) return;
        await live.attach(client, req.auth.user.email);
        conn = live;
        if (closed) live.detach(client, req.auth.user.email, "client disconnected");
        else void drain();
      } catch (e) {
        const err = e instanceof GatehouseError ? e : new GatehouseError("INTERNAL");
        if (!(e instanceof GatehouseError)) s.log(`ws ${req.params.id}: ${e.stack ?? e}`);
        client.close(err.wsCloseCode, err.message.slice(0, 120));
      }
    })();
  });
}

// server/routes/api/logs-routes.ts
function parseTimeBound(name, v, now = Date.now()) {
  if (v === void 0 || v === "") return void 0;
  const d = parseDuration(v);
  if (d !== null) return new Date(now - d * 1e3).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new GatehouseError("BAD_REQUEST", `${name} must be an ISO time or a duration like 2h, not ${JSON.stringify(v).slice(0, 40)}`);
  return new Date(t).toISOString();
}
var querySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    user: { type: "string", maxLength: 320 },
    target: { type: "string", maxLength: 128 },
    since: { type: "string", maxLength: 40 },
    until: { type: "string", maxLength: 40 },
    limit: { type: "integer", minimum: 1, maximum: 1e4 }
  }
};
function registerLogRoutes(app, s) {
  app.get("/api/v1/logs/connections", { schema: { querystring: querySchema } }, async (req) => {
    const a = requireAuth(req);
    const q = req.query;
    const userEmail = a.user.role === "admin" ? q.user : a.user.email;
    const since = parseTimeBound("since", q.since);
    const until = parseTimeBound("until", q.until);
    const rows = await s.store.connections.log({
      ...userEmail ? { userEmail } : {},
      ...q.target ? { targetName: q.target } : {},
      ...since ? { since } : {},
      ...until ? { until } : {},
      ...q.limit ? { limit: q.limit } : {}
    });
    return rows.map(
      (r) => ({
        at: r.at,
        connectionId: r.connection_id,
        state: r.state,
        actor: r.actor,
        reason: r.reason,
        userEmail: r.user_email,
        targetName: r.target_name,
        targetUser: r.target_user
      })
    );
  });
}

// server/routes/api/keys-routes.ts
function registerKeyRoutes(app, s) {
  app.post(
    "/api/v1/keys",
    {
      schema: {
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 64 }, registration: { type: "boolean" } }
        }
      }
    },
    async (req, reply) => {
      const a = requireAdmin(req);
      const key = await createApiKey(s.store, { name: req.body.name, registration: req.body.registration === true, createdBy: a.user.email });
      s.audit.emit({ type: "api_key.create", v: 1, outcome: "success", keyId: key.id, name: key.name, registration: key.registration }, { actor: a.user.email, source: sourceOf(req) });
      return reply.code(201).send(key);
    }
  );
  app.get("/api/v1/keys", async (req) => {
    requireAdmin(req);
    return (await s.store.apiKeys.list()).map((k) => ({ id: k.id, name: k.name, registration: k.registration === 1, createdAt: k.created_at, createdBy: k.created_by, lastUsedAt: k.last_used_at }));
  });
  app.delete("/api/v1/keys/:id", async (req, reply) => {
    const a = requireAdmin(req);
    if (!await s.store.apiKeys.remove(req.params.id)) throw new GatehouseError("NOT_FOUND", "no such key");
    s.audit.emit({ type: "api_key.delete", v: 1, outcome: "success", keyId: req.params.id }, { actor: a.user.email, source: sourceOf(req) });
    return reply.code(204).send();
  });
}

// server/access/policy-decider.ts
function expandTargetUser(pattern, email) {
  return pattern.replaceAll("{username}", email.split("@")[0] ?? "");
}
function appliesTo(s, subject) {
  return (s.users ?? []).some((u) => u.toLowerCase() === subject.email.toLowerCase()) || (s.groups ?? []).some((g) => subject.groups.includes(g));
}
function coversTarget(p, t) {
  return (p.targets ?? []).includes(t.name) || (p.environments ?? []).includes(t.environment);
}
function allowedTargetUsers(policies, subject, target, action) {
  const out = /* @__PURE__ */ new Map();
  for (const p of policies) {
    if (p.kind !== "target_access" || !appliesTo(p.subjects, subject) || !coversTarget(p, target) || !p.actions.includes(action)) continue;
    for (const pattern of p.targetUsers) {
      const u = expandTargetUser(pattern, subject.email);
      if (!u) continue;
      out.set(u, [...out.get(u) ?? [], p.name]);
    }
  }
  return out;
}
function decide(policies, req) {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, req.action);
  if (allowed.size === 0) return { effect: "deny", code: "NO_POLICY", reason: `no policy allows ${req.action} on ${req.target.name}` };
  let targetUser = req.targetUser;
  if (targetUser === null) {
    if (allowed.size > 1) {
      const choices = [...allowed.keys()].sort();
      return { effect: "deny", code: "TARGET_USER_AMBIGUOUS", reason: `choose a target user: ${choices.join(", ")}`, choices };
    }
    targetUser = [...allowed.keys()][0];
  }
  const grantedBy = allowed.get(targetUser);
  if (!grantedBy) {
    return { effect: "deny", code: "TARGET_USER_NOT_ALLOWED", reason: `no policy allows ${targetUser} on ${req.target.name}`, choices: [...allowed.keys()].sort() };
  }
  const actions = ["shell", "tunnel", "copy"].filter((a) => allowedTargetUsers(policies, req.subject, req.target, a).has(targetUser));
  const recordInput = policies.some((p) => p.kind === "session_recording" && p.recordInput && appliesTo(p.subjects, req.subject));
  const permit = {
    userId: req.subject.userId,
    email: req.subject.email,
    targetId: req.target.id,
    targetName: req.target.name,
    environment: req.target.environment,
    targetUser,
    actions,
    recordInput,
    notAfter: null,
    policies: grantedBy
  };
  return { effect: "allow", permit };
}

// server/access/access-service.ts
var ACTIONS = ["shell", "tunnel", "copy"];
var subjectOf = (a) => ({ userId: a.user.id, email: a.user.email, groups: a.groups });
function accessService(store, presence) {
  async function targetInfo(t, subject) {
    const policies = await store.policies.list();
    const users2 = /* @__PURE__ */ new Set();
    const actions = [];
    for (const a of ACTIONS) {
      const allowed = allowedTargetUsers(policies, subject, { id: t.id, name: t.name, environment: t.environment }, a);
      if (allowed.size > 0) actions.push(a);
      for (const u of allowed.keys()) users2.add(u);
    }
    return { id: t.id, name: t.name, kind: t.kind, status: presence(t), environment: t.environment, targetUsers: [...users2].sort(), actions };
  }
  return {
    /** Targets the caller may use; admins see every target (with their own permissions). */
    async visibleTargets(a) {
      const subject = subjectOf(a);
      const infos = await Promise.all((await store.targets.list()).map((t) => targetInfo(t, subject)));
      return a.user.role === "admin" ? infos : infos.filter((i) => i.actions.length > 0);
    },
    /** Decides one access; throws NOT_FOUND for targets the caller may not see, FORBIDDEN otherwise. */
    async decide(a, targetName, action, targetUser) {
      const target = await store.targets.byName(targetName);
      const notFound = new GatehouseError("NOT_FOUND", `no target named ${targetName}`);
      if (!target) throw notFound;
      const decision = decide(await store.policies.list(), {
        subject: subjectOf(a),
        target: { id: target.id, name: target.name, environment: target.environment },
        action,
        targetUser
      });
      if (decision.effect === "allow") return { ...decision, target };
      if (decision.code === "NO_POLICY" && a.user.role !== "admin") {
        const info = await targetInfo(target, subjectOf(a));
        if (info.actions.length === 0) throw notFound;
      }
      throw new GatehouseError("FORBIDDEN", decision.reason);
    }
  };
}

// server/app.ts
var BODY_LIMIT = 64 * 1024;
var WS_MAX_PAYLOAD = 1024 * 1024;
async function buildApp(s, opts) {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Unknown fields are an error, not silently dropped (SPEC: validated at the edge).
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    ...s.tls ? { https: { cert: s.tls.cert, key: s.tls.key } } : {}
  });
  registerErrorHandler(app, s.log);
  await app.register(websocket, { options: { maxPayload: WS_MAX_PAYLOAD } });
  registerAuthHook(app, s);
  app.addHook("onSend", async (_req, reply, payload) => {
    void reply.header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("x-frame-options", "DENY");
    return payload;
  });
  const access = accessService(s.store, (t) => t.kind === "local" ? "online" : "offline");
  registerAuthRoutes(app, s);
  registerTargetRoutes(app, s, access);
  registerConnectionRoutes(app, s, access);
  registerRecordingRoutes(app, s);
  registerLogRoutes(app, s);
  registerKeyRoutes(app, s);
  registerTerminalWs(app, s);
  await app.register(fastifyStatic, { root: opts.webRoot, index: ["index.html"], wildcard: true });
  return app;
}

// server/main.ts
import { mkdir as mkdir4 } from "node:fs/promises";
var UsageError = class extends Error {
};
var USAGE = `usage:
  gatehouse serve  [--config F] [--data-dir D] [--listen H:P] [--ssh-listen H:P|off] [--no-tls] [--tls-cert F --tls-key F] [--public-url URL]
  gatehouse init   --data-dir D --admin EMAIL [--password-stdin]
  gatehouse users  add EMAIL [--role admin|user] [--password-stdin] [--group G]... --data-dir D
  gatehouse keys   create --name N [--registration] --data-dir D [--json]
  gatehouse check  [--config F] [--data-dir D]
  gatehouse agent  --stdio | --server URL --name NAME ...   (see gatehouse agent --help)
`;
var common = {
  config: { type: "string" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
  debug: { type: "boolean" }
};
function parse(args, options) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e.message);
  }
}
function configFrom(values, extraFlags = {}, dataDirDefault) {
  const flags = { ...extraFlags };
  if (typeof values["data-dir"] === "string") flags.data_dir = resolve(values["data-dir"]);
  return loadConfig({
    ...typeof values.config === "string" ? { configFile: values.config } : {},
    env: process.env,
    flags,
    ...dataDirDefault ? { dataDirDefault } : {}
  });
}
async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}
async function serve(args) {
  const { values } = parse(args, {
    listen: { type: "string" },
    "ssh-listen": { type: "string" },
    "no-tls": { type: "boolean" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "public-url": { type: "string" }
  });
  if (values.help) return usage(0);
  const flags = {};
  if (values.listen) flags.listen = values.listen;
  if (values["ssh-listen"]) flags.ssh_listen = values["ssh-listen"];
  if (values["no-tls"]) flags["tls.enabled"] = false;
  if (values["tls-cert"]) flags["tls.cert"] = resolve(values["tls-cert"]);
  if (values["tls-key"]) flags["tls.key"] = resolve(values["tls-key"]);
  if (values["public-url"]) flags.public_url = values["public-url"];
  const config = configFrom(values, flags);
  const here = dirname2(fileURLToPath(import.meta.url));
  const services = await createServices(config, { localAgentCommand: [process.execPath, process.argv[1], "agent", "--stdio"] });
  const app = await buildApp(services, { webRoot: join3(here, "web") });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.listen.port;
  const scheme = services.tls ? "https" : "http";
  const wildcard = config.listen.host === "0.0.0.0" || config.listen.host === "::";
  const host = wildcard ? hostname2() : config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = config.publicUrl ?? `${scheme}://${host}:${port}`;
  const out = (line2) => process.stdout.write(line2 + "\n");
  out(`gatehouse: data dir ${config.dataDir}`);
  if (services.tls) out(`gatehouse: TLS certificate ${services.tls.fingerprint}${services.tls.selfSigned ? " (self-signed; clients pin it with --ca-fingerprint)" : ""}`);
  if (services.bootstrapPassword) {
    out(`gatehouse: bootstrap admin admin@localhost one-time password: ${services.bootstrapPassword}`);
    out("gatehouse: (shown once; you must change it at first login)");
  }
  if (config.sshListen) out("gatehouse: the SSH front door is not available in this version; ssh_listen is ignored");
  out(`gatehouse listening on ${url} (ssh off)`);
  await new Promise((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await app.close();
  await services.close();
  return 0;
}
async function init(args) {
  const { values } = parse(args, { admin: { type: "string" }, "password-stdin": { type: "boolean" } });
  if (values.help) return usage(0);
  if (!values.admin) throw new UsageError("init needs --admin EMAIL");
  const config = configFrom(values);
  await mkdir4(config.dataDir, { recursive: true, mode: 448 });
  const store = await openStore(join3(config.dataDir, "gatehouse.db"));
  try {
    const password = values["password-stdin"] ? await readStdin() : void 0;
    const { oneTimePassword } = await createUser(store, { email: values.admin, role: "admin", ...password !== void 0 ? { password } : {} });
    await ensureInitialized(store, { runningAsRoot: process.getuid?.() === 0 });
    process.stdout.write(`gatehouse: admin ${values.admin} created in ${config.dataDir}
`);
    if (oneTimePassword) process.stdout.write(`one-time password: ${oneTimePassword} (change it at first login)
`);
  } finally {
    await store.close();
  }
  return 0;
}
async function users(args) {
  const { values, positionals } = parse(args, {
    role: { type: "string" },
    "password-stdin": { type: "boolean" },
    group: { type: "string", multiple: true }
  });
  if (values.help) return usage(0);
  const [sub, email, ...rest] = positionals;
  if (sub !== "add" || !email || rest.length) throw new UsageError("usage: gatehouse users add EMAIL [--role admin|user] [--password-stdin] [--group G]... --data-dir D");
  const role = values.role ?? "user";
  if (role !== "admin" && role !== "user") throw new UsageError(`--role must be admin or user, not ${role}`);
  const config = configFrom(values);
  const store = await openStore(join3(config.dataDir, "gatehouse.db"));
  try {
    const password = values["password-stdin"] ? await readStdin() : void 0;
    const { oneTimePassword } = await createUser(store, { email, role, groups: values.group ?? [], ...password !== void 0 ? { password } : {} });
    process.stdout.write(`gatehouse: user ${email} (${role}) created
`);
    if (oneTimePassword) process.stdout.write(`one-time password: ${oneTimePassword} (change it at first login)
`);
  } finally {
    await store.close();
  }
  return 0;
}
async function keys(args) {
  const { values, positionals } = parse(args, { name: { type: "string" }, registration: { type: "boolean" }, json: { type: "boolean" } });
  if (values.help) return usage(0);
  if (positionals[0] !== "create" || positionals.length !== 1) throw new UsageError("usage: gatehouse keys create --name N [--registration] --data-dir D [--json]");
  if (!values.name) throw new UsageError("keys create needs --name N");
  const config = configFrom(values);
  const store = await openStore(join3(config.dataDir, "gatehouse.db"));
  try {
    const key = await createApiKey(store, { name: values.name, registration: values.registration === true, createdBy: "cli" });
    if (values.json) process.stdout.write(JSON.stringify(key) + "\n");
    else {
      process.stdout.write(`id:     ${key.id}
secret: ${key.secret}
`);
      process.stdout.write(`use:    X-API-KEY: ${key.id}:${key.secret}${key.registration ? "   (registration key: it can only register agents)" : ""}
`);
      process.stdout.write("The secret is shown only now.\n");
    }
  } finally {
    await store.close();
  }
  return 0;
}
async function check(args) {
  const { values } = parse(args, {});
  if (values.help) return usage(0);
  const config = configFrom(values);
  process.stdout.write(`config: ok (listen ${config.listen.host}:${config.listen.port}, data dir ${config.dataDir})
`);
  const store = await openStore(join3(config.dataDir, "gatehouse.db"));
  await store.close();
  process.stdout.write("database: ok\n");
  if (config.tls.enabled) process.stdout.write(`tls: ok (${(await loadTls(config.dataDir, config.tls.cert, config.tls.key)).fingerprint})
`);
  process.stdout.write(config.slack.botToken ? "slack: configured (token check not available in this version)\n" : "slack: off\n");
  return 0;
}
function usage(code) {
  (code === 0 ? process.stdout : process.stderr).write(USAGE);
  return code;
}
async function main(argv) {
  const [verb, ...rest] = argv;
  const debug = argv.includes("--debug");
  try {
    switch (verb) {
      case "serve":
        return await serve(rest);
      case "init":
        return await init(rest);
      case "users":
        return await users(rest);
      case "check":
        return await check(rest);
      case "keys":
        return await keys(rest);
      case "--help":
      case "-h":
      case "help":
        return usage(0);
      case "--version":
        process.stdout.write("gatehouse 0.1.0\n");
        return 0;
      default:
        throw new UsageError(verb ? `unknown command ${verb}` : "a command is required");
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`gatehouse: ${e.message}
${USAGE}`);
      return 2;
    }
    const msg = e instanceof GatehouseError ? e.message : e.message;
    process.stderr.write(`gatehouse: ${msg}
`);
    if (debug) process.stderr.write(`${e.stack}
`);
    return 1;
  }
}
process.exit(await main(process.argv.slice(2)));
//# sourceMappingURL=main-HM4KLD5J.js.map
