#!/usr/bin/env node
import {
  CLOSE,
  MAX_TERM_COLS,
  MAX_TERM_ROWS,
  STREAM_STDERR,
  STREAM_STDOUT
} from "./chunk-QPCFCBSB.js";

// cli/main.ts
import { homedir } from "node:os";

// cli/commands/command.ts
import { parseArgs } from "node:util";

// cli/cli-errors.ts
var UsageError = class extends Error {
  /** The verb whose help the user should read, when known. */
  verb;
  constructor(message, verb = null) {
    super(message);
    this.name = "UsageError";
    this.verb = verb;
  }
};
var CliError = class extends Error {
  constructor(message, options4) {
    super(message, options4);
    this.name = "CliError";
  }
};

// cli/commands/command.ts
function bind(def, handler) {
  return { def, run: (deps2, argv2) => handler(deps2, def.parse(argv2)) };
}
var COMMON = { help: { type: "boolean", short: "h" }, debug: { type: "boolean" } };
function parseCommandLine(verb, argv2, options4) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv2, options: { ...COMMON, ...options4 }, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError(e.message.split("\n")[0].replace(/\. To specify a positional argument.*$/, ""), verb);
  }
  const terminator = parsed.tokens.find((t) => t.kind === "option-terminator");
  const positionals = [];
  const rest = [];
  for (const t of parsed.tokens) {
    if (t.kind !== "positional") continue;
    if (terminator && t.index > terminator.index) rest.push(t.value);
    else positionals.push(t.value);
  }
  return { values: parsed.values, positionals, rest: terminator ? rest : null };
}
function noPositionals(verb, p) {
  const extra = [...p.positionals, ...p.rest ?? []];
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, verb);
}

// cli/services/server-tls.ts
import { connect } from "node:tls";
import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
function normalizeFingerprint(text) {
  const m = /^sha256:([0-9a-f:]+)$/i.exec(text.trim());
  if (!m) return null;
  const hex = m[1].replaceAll(":", "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : null;
}
function fingerprintOfDer(der) {
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}
function pinnedTlsOptions(pin) {
  return {
    ca: [pin.certPem],
    checkServerIdentity(_host, cert) {
      const seen = cert.raw ? fingerprintOfDer(cert.raw) : "unknown";
      if (seen === pin.fingerprint) return void 0;
      return new Error(`the server's certificate ${seen} is not the pinned ${pin.fingerprint}`);
    }
  };
}
function hostOf(url) {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}
function portOf(url) {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80;
}
function fetchServerCertificate(url, timeoutMs = 1e4) {
  const host = hostOf(url);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: portOf(url),
      ...isIP(host) ? {} : { servername: host },
      rejectUnauthorized: false
    });
    const fail = (why) => {
      socket.destroy();
      reject(new CliError(`cannot reach ${url.origin}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail("timed out during the TLS handshake"));
    socket.once("error", (e) => fail(e.message));
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) {
        reject(new CliError(`${url.origin} presented no certificate`));
        return;
      }
      resolve({ fingerprint: fingerprintOfDer(cert.raw), certPem: new X509Certificate(cert.raw).toString() });
    });
  });
}

// cli/commands/login/login.command.ts
var options = {
  server: { type: "string" },
  user: { type: "string" },
  "password-stdin": { type: "boolean" },
  "ca-fingerprint": { type: "string" }
};
function parseServerUrl(text, verb = "login") {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be a URL like https://bastion.example.com:8443, not ${JSON.stringify(text)}`, verb);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`--server must be an https:// (or loopback http://) URL, not ${url.protocol}`, verb);
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/" && url.pathname !== "") {
    throw new UsageError("--server takes the address of the service only (scheme, host and port)", verb);
  }
  return url.origin;
}
var loginCommand = {
  name: "login",
  summary: "log in to a Gatehouse service and remember it",
  help: `usage: gate login --server URL [--user EMAIL] [--password-stdin] [--ca-fingerprint sha256:HEX]

Logs in and stores the server, its pinned certificate and the session token in the client
config directory ($GATE_CONFIG_DIR, else $XDG_CONFIG_HOME/gatehouse, else ~/.config/gatehouse).

options:
  --server URL              the service, e.g. https://bastion.example.com:8443 (default: the last one)
  --user EMAIL              your account (asked on a terminal when omitted)
  --password-stdin          read the password from the first line of stdin instead of asking
  --ca-fingerprint sha256:HEX
                            trust exactly the certificate with this SHA-256 fingerprint, as printed by
                            gatehouse serve (for self-signed certificates); without it the system CAs
                            are used
  --debug                   show stack traces on errors

A one-time password must be changed at the first login; gate asks for a new one on a terminal.
`,
  parse(argv2) {
    const p = parseCommandLine("login", argv2, options);
    noPositionals("login", p);
    const v = p.values;
    let caFingerprint = null;
    if (v["ca-fingerprint"] !== void 0) {
      caFingerprint = normalizeFingerprint(v["ca-fingerprint"]);
      if (!caFingerprint) throw new UsageError("--ca-fingerprint must be sha256: followed by 64 hex digits", "login");
    }
    const server = v.server !== void 0 ? parseServerUrl(v.server) : null;
    if (server?.startsWith("http:") && caFingerprint) throw new UsageError("--ca-fingerprint needs an https:// server", "login");
    return { server, user: v.user ?? null, passwordStdin: v["password-stdin"] === true, caFingerprint };
  }
};

// cli/services/api-client.ts
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import WebSocket from "ws";
var ApiError = class extends CliError {
  constructor(status, code2, message) {
    super(message);
    this.status = status;
    this.code = code2;
    this.name = "ApiError";
  }
  status;
  code;
};
var MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
var REQUEST_TIMEOUT_MS = 3e4;
var NOT_LOGGED_IN = "not logged in: the session has expired or was ended; run gate login";
var TLS_VERIFY_CODES = /* @__PURE__ */ new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID"
]);
function describeNetworkError(endpoint, err) {
  const code2 = err.code ?? "";
  if (endpoint.pin && (TLS_VERIFY_CODES.has(code2) || /is not the pinned/.test(err.message))) {
    return `the certificate of ${endpoint.origin} is not the pinned ${endpoint.pin.fingerprint}; if the service's certificate was replaced, run gate login --ca-fingerprint with the new one`;
  }
  if (TLS_VERIFY_CODES.has(code2)) {
    return `cannot verify the certificate of ${endpoint.origin} (${err.message}); for a self-signed certificate run gate login --ca-fingerprint sha256:HEX as printed by gatehouse serve`;
  }
  return `cannot reach ${endpoint.origin}: ${err.message}`;
}
var ApiClient = class {
  constructor(endpoint, token) {
    this.endpoint = endpoint;
    this.token = token;
  }
  endpoint;
  token;
  login(body) {
    return this.call("POST", "/api/v1/auth/login", body);
  }
  me() {
    return this.call("GET", "/api/v1/auth/me");
  }
  logout() {
    return this.call("POST", "/api/v1/auth/logout");
  }
  changePassword(body) {
    return this.call("POST", "/api/v1/auth/password", body);
  }
  targets() {
    return this.call("GET", "/api/v1/targets");
  }
  createConnection(body) {
    return this.call("POST", "/api/v1/connections", body);
  }
  connections(opts = {}) {
    return this.call("GET", `/api/v1/connections${opts.all ? "?all=1" : ""}`);
  }
  connection(id) {
    return this.call("GET", `/api/v1/connections/${encodeURIComponent(id)}`);
  }
  closeConnection(id) {
    return this.call("DELETE", `/api/v1/connections/${encodeURIComponent(id)}`);
  }
  connectionLog(filter = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    const qs = q.toString();
    return this.call("GET", `/api/v1/logs/connections${qs ? `?${qs}` : ""}`);
  }
  /**
   * Opens the terminal websocket of a connection (`wsPath` from ConnectionInfo). The socket is
   * returned at once; the caller listens for open/message/close/error.
   */
  openTerminal(wsPath) {
    return this.openSocket(wsPath);
  }
  /** Opens any websocket of the service (terminal, tunnel) with this login and TLS pinning. */
  openSocket(wsPath) {
    const url = new URL(wsPath, this.endpoint.origin);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return new WebSocket(url, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      ...this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {},
      handshakeTimeout: REQUEST_TIMEOUT_MS,
      maxPayload: 4 * 1024 * 1024
    });
  }
  async call(method, path, body) {
    const res = await this.send(method, path, body);
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || res.text === "") return void 0;
      try {
        return JSON.parse(res.text);
      } catch {
        throw new ApiError(res.status, null, `${method} ${path}: the service sent a reply that is not JSON`);
      }
    }
    let err = null;
    try {
      err = JSON.parse(res.text).error ?? null;
    } catch {
    }
    if (res.status === 401 && err?.code === "UNAUTHENTICATED") throw new ApiError(401, err.code, NOT_LOGGED_IN);
    if (err?.code === "PASSWORD_CHANGE_REQUIRED") {
      throw new ApiError(res.status, err.code, "the password must be changed first: log in once on a terminal or in the web UI");
    }
    if (err && typeof err.message === "string") throw new ApiError(res.status, err.code ?? null, err.message);
    throw new ApiError(res.status, null, `${method} ${path}: HTTP ${res.status}`);
  }
  send(method, path, body) {
    const url = new URL(path, this.endpoint.origin);
    const payload = body === void 0 ? void 0 : Buffer.from(JSON.stringify(body));
    const headers = { accept: "application/json" };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const options4 = { method, headers, timeout: REQUEST_TIMEOUT_MS };
    const secure = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const onResponse = (res) => {
        const chunks = [];
        let size = 0;
        res.on("data", (c) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`reply larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => reject(new CliError(describeNetworkError(this.endpoint, e), { cause: e })));
      };
      const req = secure ? httpsRequest(url, { ...options4, ...this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {} }, onResponse) : httpRequest(url, options4, onResponse);
      req.on("timeout", () => req.destroy(new Error(`no reply within ${REQUEST_TIMEOUT_MS / 1e3} s`)));
      req.on("error", (e) => reject(new CliError(describeNetworkError(this.endpoint, e), { cause: e })));
      req.end(payload);
    });
  }
};

// cli/services/format.ts
function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map((c) => c === "" ? "-" : c))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd() + "\n").join("");
}
var pad = (n) => String(n).padStart(2, "0");
function localTime(iso) {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function json(value) {
  return JSON.stringify(value, null, 2) + "\n";
}

// cli/services/logged-in.ts
function endpointOf(config) {
  return {
    origin: config.server,
    pin: config.fingerprint && config.certPem ? { fingerprint: config.fingerprint, certPem: config.certPem } : null
  };
}
async function requireLogin(deps2) {
  const [config, token] = await Promise.all([deps2.store.readConfig(), deps2.store.readToken()]);
  if (!config || !token) throw new CliError("not logged in: run gate login --server URL");
  return { config, api: new ApiClient(endpointOf(config), token) };
}

// cli/services/prompt.ts
import { createInterface } from "node:readline";
var MAX_LINE = 4096;
function readSecret(input, output, prompt) {
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  let value = "";
  return new Promise((resolve, reject) => {
    const finish = (err) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "") return finish(new CliError("interrupted"));
        if (ch === "" && value === "") return finish(new CliError("no input"));
        if (ch === "\x7F" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch === "") value = "";
        else if (ch >= " " && value.length < MAX_LINE) value += ch;
      }
    };
    input.on("data", onData);
  });
}
function readLine(input, output, prompt) {
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.on("SIGINT", () => {
      rl.close();
      output.write("\n");
      reject(new CliError("interrupted"));
    });
    rl.on("close", () => {
      if (!answered) reject(new CliError("no input"));
    });
    rl.question(prompt, (answer) => {
      answered = true;
      rl.close();
      resolve(answer.trim());
    });
  });
}
function readFirstLine(input) {
  return new Promise((resolve, reject) => {
    let text = "";
    const done = (err) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", done);
      input.pause();
      if (err) reject(err);
      else resolve(text.replace(/\r$/, ""));
    };
    const onData = (chunk) => {
      text += chunk.toString();
      const nl = text.indexOf("\n");
      if (nl >= 0) {
        text = text.slice(0, nl);
        done(null);
      } else if (text.length > MAX_LINE) done(new CliError("the first line of stdin is too long for a password"));
    };
    const onEnd = () => done(null);
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", done);
    input.resume();
  });
}
async function choose(input, output, title, choices) {
  output.write(`${title}
`);
  choices.forEach((c, i) => output.write(`  ${i + 1}) ${c}
`));
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await readLine(input, output, `Choose 1-${choices.length}: `);
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1];
    if (choices.includes(answer)) return answer;
    output.write(`"${answer}" is not one of the choices
`);
  }
  throw new CliError("no choice made");
}

// cli/commands/login/login.handler.ts
var MUST_CHANGE = "the password must be changed first: log in once on a terminal or in the web UI";
async function readPrevious(deps2) {
  const config = await deps2.store.readConfig().catch(() => null);
  const token = await deps2.store.readToken().catch(() => null);
  return { config, token };
}
async function pinFor(args, origin, previous) {
  if (!origin.startsWith("https:")) return null;
  if (args.caFingerprint) {
    const seen = await fetchServerCertificate(new URL(origin));
    if (seen.fingerprint !== args.caFingerprint) {
      throw new CliError(`the server's certificate fingerprint ${seen.fingerprint} does not match --ca-fingerprint`);
    }
    return seen;
  }
  if (previous && previous.server === origin && previous.fingerprint && previous.certPem) {
    return { fingerprint: previous.fingerprint, certPem: previous.certPem };
  }
  return null;
}
async function changePassword(deps2, endpoint, token, current) {
  const api = new ApiClient(endpoint, token);
  deps2.stderr.write("The password must be changed before first use.\n");
  for (let attempt = 0; attempt < 3; attempt++) {
    const next = await readSecret(deps2.stdin, deps2.stderr, "New password: ");
    const again = await readSecret(deps2.stdin, deps2.stderr, "New password again: ");
    if (next !== again) {
      deps2.stderr.write("gate: the passwords do not match\n");
      continue;
    }
    try {
      await api.changePassword({ currentPassword: current, newPassword: next });
      deps2.stderr.write("Password changed.\n");
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) throw e;
      deps2.stderr.write(`gate: ${e.message}
`);
    }
  }
  await api.logout().catch(() => void 0);
  throw new CliError("the password was not changed");
}
async function loginHandler(deps2, args) {
  const previous = await readPrevious(deps2);
  const origin = args.server ?? previous.config?.server;
  if (!origin) throw new UsageError("gate login needs --server URL", "login");
  const pin = await pinFor(args, origin, previous.config);
  const endpoint = { origin, pin };
  const tty = deps2.stdin.isTTY === true;
  const ask = tty && !args.passwordStdin;
  let email = args.user;
  if (!email) {
    if (!ask) throw new UsageError("--user EMAIL is needed when gate cannot ask on a terminal", "login");
    email = await readLine(deps2.stdin, deps2.stderr, "Email: ");
    if (!email) throw new CliError("no email given");
  }
  let password;
  if (args.passwordStdin) password = await readFirstLine(deps2.stdin);
  else if (ask) password = await readSecret(deps2.stdin, deps2.stderr, `Password for ${email}: `);
  else throw new UsageError("there is no terminal to ask for the password: use --password-stdin", "login");
  if (!password) throw new CliError("the password is empty");
  const res = await new ApiClient(endpoint, null).login({ email, password });
  if (res.mustChangePassword) {
    if (!tty || args.passwordStdin) {
      await new ApiClient(endpoint, res.token).logout().catch(() => void 0);
      throw new CliError(MUST_CHANGE);
    }
    await changePassword(deps2, endpoint, res.token, password);
  }
  await deps2.store.save({ server: origin, fingerprint: pin?.fingerprint ?? null, ...pin ? { certPem: pin.certPem } : {} }, res.token);
  if (previous.token && previous.config?.server === origin && previous.token !== res.token) {
    await new ApiClient(endpointOf(previous.config), previous.token).logout().catch(() => void 0);
  }
  deps2.stdout.write(`Logged in to ${origin} as ${res.user.email} (${res.user.role}); the session expires ${localTime(res.expiresAt)}.
`);
  return 0;
}

// cli/commands/logout/logout.command.ts
var logoutCommand = {
  name: "logout",
  summary: "end the session and forget its token",
  help: `usage: gate logout

Ends the session on the service and removes the stored token. The server address and pinned
certificate are kept, so the next gate login needs no --server.
`,
  parse(argv2) {
    noPositionals("logout", parseCommandLine("logout", argv2, {}));
    return {};
  }
};

// cli/commands/logout/logout.handler.ts
async function logoutHandler(deps2, _args) {
  const [config, token] = await Promise.all([deps2.store.readConfig().catch(() => null), deps2.store.readToken()]);
  if (!token) {
    deps2.stdout.write("Not logged in.\n");
    return 0;
  }
  let failure = null;
  if (config) {
    try {
      await new ApiClient(endpointOf(config), token).logout();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) failure = e;
    }
  }
  await deps2.store.removeToken();
  if (failure) throw new CliError(`the local token was removed, but the session could not be ended on the service: ${failure.message}`, { cause: failure });
  deps2.stdout.write(`Logged out${config ? ` of ${config.server}` : ""}.
`);
  return 0;
}

// cli/commands/status/status.command.ts
var statusCommand = {
  name: "status",
  summary: "show the server, user, role and session expiry",
  help: `usage: gate status [--json]

Shows which service you are logged in to, as whom, and when the session expires. Exits 1
when not logged in or when the session has ended.

options:
  --json    print {server, fingerprint, user: {id, email, role}, mustChangePassword, expiresAt}
`,
  parse(argv2) {
    const p = parseCommandLine("status", argv2, { json: { type: "boolean" } });
    noPositionals("status", p);
    return { json: p.values.json === true };
  }
};

// cli/commands/status/status.handler.ts
async function statusHandler(deps2, args) {
  const { config, api } = await requireLogin(deps2);
  const me = await api.me();
  if (args.json) {
    deps2.stdout.write(
      json({ server: config.server, fingerprint: config.fingerprint, user: me.user, mustChangePassword: me.mustChangePassword, expiresAt: me.expiresAt })
    );
    return 0;
  }
  const rows = [
    ["server:", config.server],
    ["certificate:", config.fingerprint ? `pinned ${config.fingerprint}` : config.server.startsWith("https:") ? "system CAs" : "none (plain HTTP)"],
    ["user:", me.user.email],
    ["role:", me.user.role],
    ["expires:", localTime(me.expiresAt)]
  ];
  deps2.stdout.write(rows.map(([label, value]) => `${label.padEnd(13)}${value}
`).join(""));
  return 0;
}

// cli/commands/ls/ls.command.ts
var lsCommand = {
  name: "ls",
  summary: "list the targets you may use (admins: every target)",
  help: `usage: gate ls [--json] [--env ENVIRONMENT]

Lists targets with their kind, status, environment, the target users you may act as and the
actions you may take.

options:
  --env E   only targets in environment E
  --json    print the TargetInfo objects of the API
`,
  parse(argv2) {
    const p = parseCommandLine("ls", argv2, { json: { type: "boolean" }, env: { type: "string" } });
    noPositionals("ls", p);
    return { json: p.values.json === true, env: p.values.env ?? null };
  }
};

// cli/commands/ls/ls.handler.ts
async function lsHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const targets = (await api.targets()).filter((t) => args.env === null || t.environment === args.env).sort((a, b) => a.name.localeCompare(b.name));
  if (args.json) {
    deps2.stdout.write(json(targets));
    return 0;
  }
  if (targets.length === 0) {
    deps2.stderr.write(args.env ? `No targets in environment ${args.env}.
` : "No targets.\n");
    return 0;
  }
  deps2.stdout.write(
    table(
      ["NAME", "KIND", "STATUS", "ENVIRONMENT", "TARGET USERS", "ACTIONS"],
      targets.map((t) => [t.name, t.kind, t.status, t.environment, t.targetUsers.join(","), t.actions.join(",")])
    )
  );
  return 0;
}

// cli/commands/connect/connect.command.ts
var options2 = {
  t: { type: "boolean", short: "t" },
  n: { type: "boolean", short: "n" }
};
function parseDestination(text, verb) {
  const at = text.indexOf("@");
  if (at < 0) return { target: text, targetUser: null };
  const targetUser = text.slice(0, at);
  const target = text.slice(at + 1);
  if (!targetUser || !target) throw new UsageError(`expected [TUSER@]TARGET, not ${JSON.stringify(text)}`, verb);
  return { target, targetUser };
}
var connectCommand = {
  name: "connect",
  summary: "open a shell on a target, or run a command there",
  help: `usage: gate connect [-t] [-n] [TUSER@]TARGET [-- COMMAND...]

Without a command: a recorded interactive shell (raw terminal, resize follows the window).
The shell keeps running when the client goes away; "~." at the start of a line detaches,
and gate attach ID continues it.

With a command: runs it and streams its stdout and stderr separately; stdin is passed through
and its end is forwarded. The words of COMMAND are joined with spaces, as ssh does, and run
by the target user's shell.

Exit code: the remote command's (or shell's) exit code; 255 when the connection ended
without one; 1 when it could not be opened.

Without TUSER, the only target user you may act as on TARGET is used; when there are several,
gate asks on a terminal and fails otherwise.

options:
  -t        run COMMAND on a pseudo-terminal (interactive programs; recorded like a shell)
  -n        do not read stdin (like ssh -n); the command sees end of input at once
`,
  parse(argv2) {
    const p = parseCommandLine("connect", argv2, options2);
    const [dest, ...words] = p.positionals;
    if (!dest) throw new UsageError("gate connect needs a TARGET", "connect");
    const commandWords = [...words, ...p.rest ?? []];
    const command = commandWords.length ? commandWords.join(" ") : null;
    if (p.values.n && command === null) throw new UsageError("-n only applies to a command", "connect");
    return { ...parseDestination(dest, "connect"), command, tty: p.values.t === true, noStdin: p.values.n === true };
  }
};

// cli/services/terminal-session.ts
import WebSocket2 from "ws";
var MAX_FRAME = 32 * 1024;
var HIGH_WATER = 1024 * 1024;
var LOW_WATER = 256 * 1024;
var CLOSE_GRACE_MS = 5e3;
var SIGNAL_EXIT = { SIGHUP: 129, SIGTERM: 143, SIGINT: 130 };
function terminalSize(stdout) {
  const clamp = (v, max, dflt) => v && v > 0 ? Math.min(v, max) : dflt;
  return stdout.isTTY ? { cols: clamp(stdout.columns, MAX_TERM_COLS, 80), rows: clamp(stdout.rows, MAX_TERM_ROWS, 24) } : { cols: 80, rows: 24 };
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
      return typeof m.cols === "number" && typeof m.rows === "number" ? m : null;
    case "exit":
      return m.code === null || typeof m.code === "number" ? m : null;
    case "notice":
      return typeof m.message === "string" ? m : null;
    default:
      return null;
  }
}
var EscapeReader = class {
  atLineStart = true;
  pending = false;
  feed(chunk, onCommand) {
    if (!this.pending && !chunk.includes(126)) {
      if (chunk.length) this.atLineStart = chunk[chunk.length - 1] === 13 || chunk[chunk.length - 1] === 10;
      return chunk;
    }
    const out = [];
    for (const b of chunk) {
      if (this.pending) {
        this.pending = false;
        if (b === 46) {
          onCommand(".");
          return Buffer.from(out);
        }
        if (b === 63) {
          onCommand("?");
          continue;
        }
        if (b !== 126) out.push(126);
        out.push(b);
      } else if (this.atLineStart && b === 126) {
        this.pending = true;
        continue;
      } else out.push(b);
      this.atLineStart = b === 13 || b === 10;
    }
    return Buffer.from(out);
  }
};
function runTerminalSession(opts) {
  const { ws, mode, io } = opts;
  const { stdin, stdout, stderr } = io;
  const rawTty = mode === "shell" && stdin.isTTY === true;
  const escapes = rawTty ? new EscapeReader() : null;
  let opened = false;
  let attached = false;
  let exit = null;
  let detached = false;
  let endedBySignal = null;
  let stdoutBroken = false;
  let netError = null;
  let stdinPaused = false;
  let outputPaused = false;
  let cleanedUp = false;
  const unsubscribe = [];
  const nl = () => rawTty && opened && !cleanedUp ? "\r\n" : "\n";
  const sendControl = (msg) => {
    if (ws.readyState === WebSocket2.OPEN) ws.send(JSON.stringify(msg));
  };
  const afterSend = () => {
    if (stdinPaused && ws.bufferedAmount < LOW_WATER) {
      stdinPaused = false;
      stdin.resume();
    }
  };
  const sendInput = (data) => {
    if (ws.readyState !== WebSocket2.OPEN || data.length === 0) return;
    for (let i = 0; i < data.length; i += MAX_FRAME) ws.send(data.subarray(i, i + MAX_FRAME), { binary: true }, afterSend);
    if (ws.bufferedAmount > HIGH_WATER && !stdinPaused) {
      stdinPaused = true;
      stdin.pause();
    }
  };
  const onInput = (chunk) => {
    const data = escapes ? escapes.feed(chunk, (c) => {
      if (c === "?") stderr.write("\r\nSupported escape sequences:\r\n  ~.  detach (the shell keeps running; gate attach continues it)\r\n  ~?  this help\r\n  ~~  send ~\r\n");
      else {
        detached = true;
        ws.close(CLOSE.NORMAL, "detached");
      }
    }) : chunk;
    if (!detached) sendInput(data);
  };
  const onInputEnd = () => sendControl({ type: "eof" });
  const onResize = () => sendControl({ type: "resize", ...terminalSize(stdout) });
  const onOutputError = () => {
    stdoutBroken = true;
    ws.terminate();
  };
  const cleanup = () => {
    if (cleanedUp) return;
    cleanedUp = true;
    stdin.off("data", onInput);
    stdin.off("end", onInputEnd);
    stdout.off("resize", onResize);
    if (rawTty) stdin.setRawMode(false);
    stdin.pause();
    unsubscribe.forEach((u) => u());
  };
  const writeOutput = (out, data) => {
    if (stdoutBroken) return;
    if (!out.write(data) && !outputPaused) {
      outputPaused = true;
      ws.pause();
      out.once("drain", () => {
        outputPaused = false;
        ws.resume();
      });
    }
  };
  return new Promise((resolve, reject) => {
    stdout.once("error", onOutputError);
    unsubscribe.push(() => stdout.off("error", onOutputError));
    for (const sig of ["SIGHUP", "SIGTERM"]) {
      unsubscribe.push(
        io.onSignal(sig, () => {
          endedBySignal = sig;
          ws.close(CLOSE.NORMAL, "client ended");
          setTimeout(() => ws.terminate(), 2e3).unref();
        })
      );
    }
    ws.on("open", () => {
      opened = true;
      if (rawTty) stdin.setRawMode(true);
      if (mode === "shell") stdout.on("resize", onResize);
      if (mode === "exec" && opts.noStdin) {
        sendControl({ type: "eof" });
        return;
      }
      stdin.on("data", onInput);
      stdin.on("end", onInputEnd);
      stdin.resume();
    });
    ws.on("message", (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        if (mode === "shell") return writeOutput(stdout, buf);
        const tag = buf[0];
        if (tag === STREAM_STDOUT) writeOutput(stdout, buf.subarray(1));
        else if (tag === STREAM_STDERR) writeOutput(stderr, buf.subarray(1));
        return;
      }
      const msg = parseServerControl(buf.toString("utf8"));
      if (!msg) return;
      if (msg.type === "attached") {
        attached = true;
        const size = terminalSize(stdout);
        if (mode === "shell" && stdout.isTTY && (size.cols !== msg.cols || size.rows !== msg.rows)) onResize();
      } else if (msg.type === "exit") {
        exit = { code: msg.code, ...msg.signal ? { signal: msg.signal } : {} };
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      } else if (msg.type === "notice") {
        stderr.write(`${nl()}gate: ${msg.message}${nl()}`);
      }
    });
    ws.on("error", (e) => {
      netError = e;
    });
    ws.on("close", (code2, reasonBuf) => {
      const reason = reasonBuf.toString("utf8");
      cleanup();
      if (exit) {
        if (exit.signal && mode === "exec") stderr.write(`gate: the command was killed by ${exit.signal}
`);
        return resolve(exit.code ?? 255);
      }
      if (stdoutBroken) return resolve(141);
      if (endedBySignal) return resolve(SIGNAL_EXIT[endedBySignal] ?? 255);
      if (detached) {
        stderr.write(`
gate: detached from ${opts.connectionId}; it keeps running: gate attach ${opts.connectionId}
`);
        return resolve(0);
      }
      if (!attached) {
        if (code2 === CLOSE.UNAUTHENTICATED) return reject(new CliError("not logged in: the session has expired or was ended; run gate login"));
        if (reason) return reject(new CliError(reason));
        if (netError) return reject(new CliError(describeNetworkError(opts.endpoint, netError), { cause: netError }));
        return reject(new CliError(`the service closed the terminal (websocket code ${code2})`));
      }
      const why = reason || (netError ? netError.message : code2 === 1006 ? "the network connection was lost" : "");
      stderr.write(`${rawTty ? "\n" : ""}Connection to ${opts.label} closed${why ? `: ${why}` : "."}
`);
      resolve(255);
    });
  });
}

// cli/commands/connect/connect.handler.ts
async function pickTargetUser(deps2, api, target) {
  const info = (await api.targets()).find((t) => t.name === target);
  if (!info) throw new CliError(`no target named ${target}`);
  const users = info.targetUsers;
  if (!info.actions.includes("shell") || users.length === 0) throw new CliError(`no policy lets you open a shell on ${target}`);
  if (users.length === 1) return users[0];
  if (deps2.stdin.isTTY && deps2.stderr.isTTY) return choose(deps2.stdin, deps2.stderr, `Several target users are allowed on ${target}:`, users);
  throw new CliError(`several target users are allowed on ${target}: ${users.join(", ")}; use USER@${target}`);
}
async function connectHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const targetUser = args.targetUser ?? await pickTargetUser(deps2, api, args.target);
  const term = /^[A-Za-z0-9_.+-]{1,64}$/.test(deps2.env.TERM ?? "") ? deps2.env.TERM : void 0;
  const request = {
    target: args.target,
    targetUser,
    ...terminalSize(deps2.stdout),
    ...args.command !== null ? { command: args.command, pty: args.tty } : {},
    ...term ? { term } : {}
  };
  const conn = await api.createConnection(request);
  return runTerminalSession({
    ws: api.openTerminal(conn.wsPath),
    endpoint: api.endpoint,
    mode: args.command === null || args.tty ? "shell" : "exec",
    label: `${conn.targetUser}@${conn.targetName}`,
    connectionId: conn.id,
    noStdin: args.noStdin,
    io: deps2
  });
}

// cli/commands/attach/attach.command.ts
var attachCommand = {
  name: "attach",
  summary: "re-attach to a shell that kept running; the screen is redrawn",
  help: `usage: gate attach CONNECTION_ID

Attaches this terminal to a connection that is still running (see gate lc). The service
redraws the current screen first. A client already attached is replaced. "~." at the start
of a line detaches again.
`,
  parse(argv2) {
    const p = parseCommandLine("attach", argv2, {});
    const [id, ...extra] = [...p.positionals, ...p.rest ?? []];
    if (!id) throw new UsageError("gate attach needs a CONNECTION_ID", "attach");
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, "attach");
    return { id };
  }
};

// cli/commands/attach/attach.handler.ts
async function attachHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const conn = await api.connection(args.id);
  if (conn.state === "closed") throw new CliError(`connection ${conn.id} is closed${conn.closeReason ? ` (${conn.closeReason})` : ""}`);
  return runTerminalSession({
    ws: api.openTerminal(conn.wsPath),
    endpoint: api.endpoint,
    // Exec connections without a pty keep their tagged stdout/stderr frames.
    mode: conn.kind === "exec" && !conn.pty ? "exec" : "shell",
    label: `${conn.targetUser}@${conn.targetName}`,
    connectionId: conn.id,
    io: deps2
  });
}

// cli/commands/lc/lc.command.ts
var lcCommand = {
  name: "lc",
  summary: "list your open connections (admins: --all for everyone's)",
  help: `usage: gate lc [--json] [--all]

Lists connections that are not closed: open, connected (a client is attached) or
disconnected (still running, nobody attached; gate attach ID continues it).

options:
  --all     every user's connections (admins only; others see their own)
  --json    print the ConnectionInfo objects of the API
`,
  parse(argv2) {
    const p = parseCommandLine("lc", argv2, { json: { type: "boolean" }, all: { type: "boolean" } });
    noPositionals("lc", p);
    return { json: p.values.json === true, all: p.values.all === true };
  }
};

// cli/commands/lc/lc.handler.ts
async function lcHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const conns = await api.connections({ all: args.all });
  if (args.json) {
    deps2.stdout.write(json(conns));
    return 0;
  }
  if (conns.length === 0) {
    deps2.stderr.write("No open connections.\n");
    return 0;
  }
  const headers = ["ID", ...args.all ? ["USER"] : [], "TARGET", "KIND", "STATE", "CREATED", "COMMAND"];
  const rows = conns.map((c) => [
    c.id,
    ...args.all ? [c.userEmail] : [],
    `${c.targetUser}@${c.targetName}`,
    c.kind === "exec" && c.pty ? "exec (pty)" : c.kind,
    c.state,
    localTime(c.createdAt),
    c.command ?? ""
  ]);
  deps2.stdout.write(table(headers, rows));
  return 0;
}

// cli/commands/close/close.command.ts
var closeCommand = {
  name: "close",
  summary: "close connections (ends the shell or command on the target)",
  help: `usage: gate close CONNECTION_ID... | --all

Closes the given connections, or with --all every open connection of yours (see gate lc).
The program on the target is ended and the close is logged with your name.
`,
  parse(argv2) {
    const p = parseCommandLine("close", argv2, { all: { type: "boolean" } });
    const ids = [...p.positionals, ...p.rest ?? []];
    if (p.values.all && ids.length) throw new UsageError("give connection ids or --all, not both", "close");
    if (p.values.all) return { all: true, ids: [] };
    if (!ids.length) throw new UsageError("gate close needs a CONNECTION_ID or --all", "close");
    return { all: false, ids };
  }
};

// cli/commands/close/close.handler.ts
async function closeHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const ids = args.all ? (await api.connections()).map((c) => c.id) : args.ids;
  if (args.all && ids.length === 0) {
    deps2.stderr.write("No open connections.\n");
    return 0;
  }
  const failed = [];
  for (const id of ids) {
    try {
      await api.closeConnection(id);
      deps2.stdout.write(`Closed ${id}
`);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      deps2.stderr.write(`gate: ${id}: ${e.message}
`);
      failed.push(id);
    }
  }
  return failed.length ? 1 : 0;
}

// cli/commands/logs/logs.command.ts
var options3 = {
  user: { type: "string" },
  target: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  json: { type: "boolean" }
};
var UNIT_MS = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
function parseTimeFilter(text, flag, now = Date.now()) {
  const ago = /^(\d+)([smhdw])$/.exec(text.trim());
  if (ago) return new Date(now - Number(ago[1]) * UNIT_MS[ago[2]]).toISOString();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const d = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new UsageError(`${flag} takes a time (2024-05-01, 2024-05-01T14:30, ISO 8601) or a duration ago (30m, 2h, 7d), not ${JSON.stringify(text)}`, "logs");
  }
  return d.toISOString();
}
var logsCommand = {
  name: "logs",
  summary: "the connection log (commands and events: not yet)",
  help: `usage: gate logs connections [--user EMAIL] [--target T] [--since TIME] [--until TIME] [--json]

The connection log: every open, connected, disconnected and closed event, with who and why.
Times are shown in local time (--json keeps the service's ISO UTC).

options:
  --user EMAIL      only connections of this user
  --target T        only connections to this target
  --since TIME      from TIME: 2024-05-01, 2024-05-01T14:30, ISO 8601, or a duration ago (30m, 2h, 7d)
  --until TIME      up to TIME (same forms)
  --json            print the ConnectionLogEntry objects of the API

gate logs commands and gate logs events are not available in this version yet.
`,
  parse(argv2) {
    const p = parseCommandLine("logs", argv2, options3);
    const [kind, ...extra] = [...p.positionals, ...p.rest ?? []];
    if (!kind) throw new UsageError("gate logs needs one of: connections, commands, events", "logs");
    if (kind !== "connections" && kind !== "commands" && kind !== "events") throw new UsageError(`unknown log ${JSON.stringify(kind)}; use connections, commands or events`, "logs");
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, "logs");
    const v = p.values;
    return {
      kind,
      user: v.user ?? null,
      target: v.target ?? null,
      since: v.since !== void 0 ? parseTimeFilter(v.since, "--since") : null,
      until: v.until !== void 0 ? parseTimeFilter(v.until, "--until") : null,
      json: v.json === true
    };
  }
};

// cli/commands/logs/logs.handler.ts
async function logsHandler(deps2, args) {
  if (args.kind !== "connections") throw new CliError(`logs ${args.kind} is not available in this version yet`);
  const { api } = await requireLogin(deps2);
  const entries = await api.connectionLog({
    ...args.user ? { user: args.user } : {},
    ...args.target ? { target: args.target } : {},
    ...args.since ? { since: args.since } : {},
    ...args.until ? { until: args.until } : {}
  });
  if (args.json) {
    deps2.stdout.write(json(entries));
    return 0;
  }
  if (entries.length === 0) {
    deps2.stderr.write("No matching connection log entries.\n");
    return 0;
  }
  deps2.stdout.write(
    table(
      ["TIME", "STATE", "CONNECTION", "USER", "TARGET", "ACTOR", "REASON"],
      entries.map((e) => [localTime(e.at), e.state, e.connectionId, e.userEmail, `${e.targetUser}@${e.targetName}`, e.actor ?? "", e.reason ?? ""])
    )
  );
  return 0;
}

// cli/commands/tunnel/tunnel.command.ts
function port(name, v, dflt) {
  if (v === void 0) {
    if (dflt === null) throw new UsageError(`tunnel needs --${name} P`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || name === "target-port" && n === 0) throw new UsageError(`--${name} must be a port number, not ${v}`);
  return n;
}
var tunnelCommand = {
  name: "tunnel",
  summary: "forward a local TCP port to a port on a target (through its agent)",
  help: `usage: gate tunnel TARGET --target-port P [--local-port P] [--bind 127.0.0.1]

Listens on a local port and carries each TCP connection to 127.0.0.1:P as seen from TARGET
(the target host itself, through its agent), like ssh -L. Needs the tunnel action on TARGET.
Each connection is logged on the service (gate logs connections); the bytes are not recorded.
Prints one line "gate: tunnel listening on HOST:PORT -> TARGET:P" when ready; Ctrl-C stops.

options:
  --target-port P   the port on the target (required)
  --local-port P    the local port (default: any free port, printed)
  --bind ADDR       the local address (default 127.0.0.1)
`,
  parse(argv2) {
    const p = parseCommandLine("tunnel", argv2, {
      "target-port": { type: "string" },
      "local-port": { type: "string" },
      bind: { type: "string" }
    });
    if (p.positionals.length !== 1 || p.rest !== null) throw new UsageError("usage: gate tunnel TARGET --target-port P [--local-port P] [--bind 127.0.0.1]");
    return {
      target: p.positionals[0],
      targetPort: port("target-port", p.values["target-port"], null),
      localPort: port("local-port", p.values["local-port"], 0),
      bind: p.values.bind ?? "127.0.0.1"
    };
  }
};

// cli/commands/tunnel/tunnel.handler.ts
import { createServer } from "node:net";
var HIGH_WATER2 = 1024 * 1024;
function carry(api, args, local, deps2) {
  local.pause();
  const ws = api.openSocket(`/ws/tunnels?target=${encodeURIComponent(args.target)}&port=${args.targetPort}`);
  let unsent = 0;
  ws.on("open", () => {
    local.on("data", (chunk) => {
      unsent += chunk.length;
      ws.send(chunk, { binary: true }, () => {
        unsent -= chunk.length;
        if (local.isPaused() && unsent < HIGH_WATER2 / 4) local.resume();
      });
      if (unsent > HIGH_WATER2) local.pause();
    });
    local.on("end", () => ws.send(JSON.stringify({ type: "eof" })));
    local.resume();
  });
  ws.on("message", (data, binary) => {
    if (!binary) return;
    if (!local.write(data)) {
      ws.pause();
      local.once("drain", () => ws.resume());
    }
  });
  ws.on("close", (code2, reason) => {
    if (code2 === 1e3) local.end();
    else {
      deps2.stderr.write(`gate: tunnel connection closed by the service: ${reason.toString() || `code ${code2}`}
`);
      local.destroy();
    }
  });
  ws.on("error", (e) => {
    deps2.stderr.write(`gate: tunnel connection failed: ${e.message}
`);
    local.destroy();
  });
  local.on("error", () => ws.close());
  local.on("close", () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  });
}
async function tunnelHandler(deps2, args) {
  const { api } = await requireLogin(deps2);
  const target = (await api.targets()).find((t) => t.name === args.target);
  if (!target) throw new CliError(`no target named ${args.target} (gate ls lists yours)`);
  if (!target.actions.includes("tunnel")) throw new CliError(`you may not open tunnels to ${args.target}`);
  const server = createServer({ pauseOnConnect: true }, (sock) => carry(api, args, sock, deps2));
  await new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new CliError(`cannot listen on ${args.bind}:${args.localPort}: ${e.message}`)));
    server.listen(args.localPort, args.bind, () => resolve());
  });
  const addr = server.address();
  const port2 = typeof addr === "object" && addr ? addr.port : args.localPort;
  deps2.stdout.write(`gate: tunnel listening on ${args.bind}:${port2} -> ${args.target}:${args.targetPort}
`);
  await new Promise((resolve) => {
    const offs = ["SIGINT", "SIGTERM", "SIGHUP"].map((sig) => deps2.onSignal(sig, () => resolve()));
    server.once("close", () => resolve());
    void offs;
  });
  server.close();
  return 0;
}

// cli/commands/index.ts
var COMMANDS = new Map(
  [
    bind(loginCommand, loginHandler),
    bind(logoutCommand, logoutHandler),
    bind(statusCommand, statusHandler),
    bind(lsCommand, lsHandler),
    bind(connectCommand, connectHandler),
    bind(attachCommand, attachHandler),
    bind(lcCommand, lcHandler),
    bind(closeCommand, closeHandler),
    bind(logsCommand, logsHandler),
    bind(tunnelCommand, tunnelHandler)
  ].map((c) => [c.def.name, c])
);
var NOT_YET = /* @__PURE__ */ new Map([
  ["ssh-proxy", "gate ssh-proxy %r %h %p"],
  ["generate", "gate generate ssh-config [--output F]"],
  ["recordings", "gate recordings ls|play|download|rm ..."],
  ["request", "gate request TARGET --user TUSER --action shell|tunnel|copy --reason TEXT [--duration 30m]"],
  ["requests", "gate requests ls|approve|deny ..."],
  ["users", "gate users ls|add|rm|reset-mfa|set-role ..."],
  ["groups", "gate groups ls|add|rm|add-member|rm-member ..."],
  ["policies", "gate policies ls|show|apply|rm ..."],
  ["keys", "gate keys ls|create|rm ..."],
  ["targets", "gate targets ls|rm|rename|set-env ..."],
  ["envs", "gate envs ls|add|rm|set-offline-removal ..."]
]);
function topLevelHelp() {
  const width = Math.max(...[...COMMANDS.keys(), ...NOT_YET.keys()].map((n) => n.length)) + 2;
  const lines = [
    "usage: gate <command> [options]        gate <command> --help for its options",
    "",
    "commands:",
    ...[...COMMANDS.values()].map((c) => `  ${c.def.name.padEnd(width)}${c.def.summary}`),
    "",
    "not available in this version yet:",
    ...[...NOT_YET.values()].map((synopsis) => `  ${synopsis}`),
    "",
    "common options: --help, --debug (stack traces on errors); --json on verbs that print data",
    "exit codes: 0 ok, 1 reported error, 2 usage error; connect and attach return the remote exit code"
  ];
  return lines.join("\n") + "\n";
}

// cli/services/client-config.ts
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
function configDirFrom(env, home) {
  if (env.GATE_CONFIG_DIR) return env.GATE_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "gatehouse");
  return join(home, ".config", "gatehouse");
}
function isConfig(v) {
  if (typeof v !== "object" || v === null) return false;
  const c = v;
  return typeof c.server === "string" && (c.fingerprint === null || typeof c.fingerprint === "string") && (c.certPem === void 0 || typeof c.certPem === "string");
}
var ClientConfigStore = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  get configPath() {
    return join(this.dir, "config.json");
  }
  get tokenPath() {
    return join(this.dir, "token");
  }
  async readConfig() {
    const text = await readOptional(this.configPath);
    if (text === null) return null;
    let v;
    try {
      v = JSON.parse(text);
    } catch {
      throw new CliError(`${this.configPath} is not valid JSON; run gate login again`);
    }
    if (!isConfig(v)) throw new CliError(`${this.configPath} is not a gate config; run gate login again`);
    return v;
  }
  async readToken() {
    const text = await readOptional(this.tokenPath);
    const token = text?.trim();
    return token ? token : null;
  }
  /** Saves the login: config first, then the token, each atomically with mode 0600. */
  async save(config, token) {
    await this.ensureDir();
    await writePrivate(this.configPath, JSON.stringify(config, null, 2) + "\n");
    await writePrivate(this.tokenPath, token + "\n");
  }
  async removeToken() {
    await rm(this.tokenPath, { force: true });
  }
  async ensureDir() {
    await mkdir(this.dir, { recursive: true, mode: 448 });
    await chmod(this.dir, 448);
  }
};
async function readOptional(path) {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw new CliError(`cannot read ${path}: ${e.message}`);
  }
}
async function writePrivate(path, text) {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 384, flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${e.message}`);
  }
}

// cli/main.ts
var VERSION = "0.1.0";
function wantsHelp(argv2) {
  const cut2 = argv2.indexOf("--");
  return (cut2 < 0 ? argv2 : argv2.slice(0, cut2)).some((a) => a === "--help" || a === "-h");
}
function realDeps() {
  return {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    store: new ClientConfigStore(configDirFrom(process.env, homedir())),
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    }
  };
}
async function run(argv2, deps2) {
  let i = 0;
  while (i < argv2.length && argv2[i].startsWith("-") && argv2[i] !== "--") i++;
  const globals = argv2.slice(0, i);
  const verb = argv2[i];
  const rest = argv2.slice(i + 1);
  for (const g of globals) {
    if (!["--help", "-h", "--debug", "--version"].includes(g)) throw new UsageError(`unknown option ${g}`);
  }
  if (globals.includes("--version") || verb === "version") {
    deps2.stdout.write(`gate ${VERSION}
`);
    return 0;
  }
  if (verb === void 0 || verb === "--" || verb === "help") {
    const topic = verb === "help" ? rest[0] : void 0;
    if (topic !== void 0) return run([topic, "--help"], deps2);
    if (verb === void 0 && !globals.includes("--help") && !globals.includes("-h")) {
      deps2.stderr.write(topLevelHelp());
      return 2;
    }
    deps2.stdout.write(topLevelHelp());
    return 0;
  }
  const command = COMMANDS.get(verb);
  if (command) {
    if (globals.includes("--help") || globals.includes("-h") || wantsHelp(rest)) {
      deps2.stdout.write(command.def.help);
      return 0;
    }
    return command.run(deps2, rest);
  }
  const synopsis = NOT_YET.get(verb);
  if (synopsis) {
    if (wantsHelp(rest)) {
      deps2.stdout.write(`usage: ${synopsis}

${verb} is not available in this version yet.
`);
      return 0;
    }
    throw new CliError(`${verb} is not available in this version yet`);
  }
  throw new UsageError(`unknown command ${JSON.stringify(verb)}`);
}
function report(err, debug2, stderr) {
  const e = err instanceof Error ? err : new Error(String(err));
  const oneLine = (s) => s.replace(/\s*\n\s*/g, " ").trim();
  if (e instanceof UsageError) {
    stderr.write(`gate: ${oneLine(e.message)} (see gate ${e.verb ? `${e.verb} ` : ""}--help)
`);
  } else {
    stderr.write(`gate: ${oneLine(e.message) || e.name}
`);
  }
  if (debug2) stderr.write(`${e.stack ?? e}
${e.cause instanceof Error ? `caused by: ${e.cause.stack}
` : ""}`);
  return e instanceof UsageError ? 2 : 1;
}
function flushed(stream) {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });
}
var argv = process.argv.slice(2);
var cut = argv.indexOf("--");
var debug = (cut < 0 ? argv : argv.slice(0, cut)).includes("--debug");
var deps = realDeps();
var code;
try {
  code = await run(argv, deps);
} catch (err) {
  code = report(err, debug, deps.stderr);
}
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
//# sourceMappingURL=main-QF45664O.js.map
