// The Gatehouse side of the lab: the BUILT service (dist/) on 127.0.0.1 with TLS, the bootstrap
// admin's one-time password retired through the HTTP API (as test/helpers/gate-cli.ts does),
// `gate` logged in with its own GATE_CONFIG_DIR, and a target: a real agent registered on this
// machine (`--target agent`) or the embedded `local` agent (`--target local`), with a policy
// giving admins shell+tunnel as the bench user when the policy API exists.
import { cpSync, readFileSync, existsSync, statSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { request } from 'node:https';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { childrenOf, onTeardown, sleep, startDaemon, tryRun } from './procs.mjs';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const gatehouseBin = join(repoRoot, 'dist', 'gatehouse.js');
const gateBin = join(repoRoot, 'dist', 'gate.js');
/** The binaries the lab runs: dist/ itself, or the snapshot taken by snapshotDist(). */
export const bins = { gatehouse: gatehouseBin, gate: gateBin };

/**
 * Copies dist/ to bench/.dist-PID/ (inside the repo, so node_modules still resolves) and runs
 * everything from there: others rebuild dist/ while a long run is going, and every round must
 * measure the same build. Returns a short id of the build (hash of the two entry files, which
 * name the content-hashed chunks they load). Removed at teardown.
 */
export function snapshotDist(src = join(repoRoot, 'dist')) {
  const dest = join(repoRoot, 'bench', `.dist-${process.pid}`);
  cpSync(src, dest, { recursive: true, filter: (f) => !f.endsWith('.map') });
  onTeardown('dist snapshot', () => rmSync(dest, { recursive: true, force: true }));
  bins.gatehouse = join(dest, 'gatehouse.js');
  bins.gate = join(dest, 'gate.js');
  const h = createHash('sha256');
  for (const f of [bins.gatehouse, bins.gate]) h.update(readFileSync(f));
  return { id: h.digest('hex').slice(0, 12), builtAt: new Date(statSync(join(src, 'gatehouse.js')).mtimeMs) };
}
const ADMIN = 'admin@localhost';
const ADMIN_PASSWORD = 'gatehouse bench password';

/** Throws with a clear message when dist/ is missing; returns a warning when it looks stale. */
export function checkDist(distDir = join(repoRoot, 'dist')) {
  const gatehouseBin = join(distDir, 'gatehouse.js');
  const gateBin = join(distDir, 'gate.js');
  for (const f of [gatehouseBin, gateBin]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const built = Math.min(statSync(gatehouseBin).mtimeMs, statSync(gateBin).mtimeMs);
  let newest = 0;
  let newestFile = '';
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name)) {
        const m = statSync(p).mtimeMs;
        if (m > newest) [newest, newestFile] = [m, p];
      }
    }
  };
  for (const d of ['protocol', 'gateway', 'recorder', 'server', 'agent', 'cli']) walk(join(repoRoot, d));
  return newest > built ? `dist/ is older than ${newestFile.slice(repoRoot.length + 1)}; the figures are for the build in dist/ (run \`npm run build\` to refresh)` : null;
}

function api(url, ca) {
  return (method, path, body, token) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, url),
        {
          method,
          ca,
          checkServerIdentity: () => undefined,
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            let json = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              json = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** Runs the built `gate` with the lab's config dir; resolves {code, stdout, stderr}. */
export function gateRun(configDir, args, { stdin, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bins.gate, ...args], {
      env: { ...process.env, GATE_CONFIG_DIR: configDir },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    if (stdin !== undefined) child.stdin.end(stdin);
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function startGatehouse({ dir, benchUser, wantTarget, log, nodeFlags = [] }) {
  const dataDir = join(dir, 'data');
  const configDir = join(dir, 'gate-config');
  const notes = [];
  const service = startDaemon('gatehouse serve', process.execPath, [...nodeFlags, bins.gatehouse, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--ssh-listen', 'off'], { cwd: repoRoot });
  const [, url] = await service.waitFor(/gatehouse listening on (\S+)/, 30_000);
  const fingerprint = /TLS certificate (sha256:[0-9a-f]{64})/.exec(service.lines.join('\n'))?.[1];
  const oneTime = /admin@localhost one-time password: (\S+)/.exec(service.lines.join('\n'))?.[1];
  if (!url.startsWith('https:') || !fingerprint) throw new Error(`the service did not start with TLS:\n${service.lines.join('\n')}`);
  if (!oneTime) throw new Error(`no bootstrap password printed:\n${service.lines.join('\n')}`);
  const call = api(url, readFileSync(join(dataDir, 'tls', 'cert.pem')));

  // Retire the one-time password (SPEC: the bootstrap admin must change it first).
  const first = await call('POST', '/api/v1/auth/login', { email: ADMIN, password: oneTime });
  if (first.status !== 200) throw new Error(`bootstrap login: ${first.status} ${JSON.stringify(first.json)}`);
  const change = await call('POST', '/api/v1/auth/password', { currentPassword: oneTime, newPassword: ADMIN_PASSWORD }, first.json.token);
  if (change.status !== 204) throw new Error(`password change: ${change.status} ${JSON.stringify(change.json)}`);
  await call('POST', '/api/v1/auth/logout', undefined, first.json.token);
  const admin = await call('POST', '/api/v1/auth/login', { email: ADMIN, password: ADMIN_PASSWORD });
  if (admin.status !== 200) throw new Error(`admin login: ${admin.status} ${JSON.stringify(admin.json)}`);
  const token = admin.json.token;

  const login = await gateRun(configDir, ['login', '--server', url, '--user', ADMIN, '--password-stdin', '--ca-fingerprint', fingerprint], { stdin: `${ADMIN_PASSWORD}\n` });
  if (login.code !== 0) throw new Error(`gate login failed (${login.code}): ${login.stderr.trim()}`);

  const putPolicy = async (name, target, user) => {
    const r = await call('PUT', `/api/v1/policies/${name}`, { name, kind: 'target_access', subjects: { groups: ['admins'] }, targets: [target], actions: ['shell', 'tunnel'], targetUsers: [user] }, token);
    return r;
  };

  let target = null;
  let targetUser = null;
  let agent = null;

  if (wantTarget === 'agent') {
    const why = await (async () => {
      const keys = tryRun(process.execPath, [bins.gatehouse, 'keys', 'create', '--name', 'bench', '--registration', '--data-dir', dataDir, '--json'], { cwd: repoRoot });
      if (keys.code !== 0) return `gatehouse keys create failed: ${(keys.stderr || keys.stdout).trim().split('\n')[0]}`;
      const key = JSON.parse(keys.stdout.trim().split('\n').pop());
      const pol = await putPolicy('bench-agent-access', 'bench-agent', benchUser);
      if (pol.status === 404) return 'PUT /api/v1/policies/NAME is not there yet (404)';
      if (pol.status < 200 || pol.status >= 300) return `PUT /api/v1/policies/NAME answered ${pol.status} ${JSON.stringify(pol.json)}`;
      const a = startDaemon('gatehouse agent', process.execPath, [
        ...nodeFlags, bins.gatehouse, 'agent', '--server', url, '--name', 'bench-agent', '--registration-key', `${key.id}:${key.secret}`,
        '--state-dir', join(dir, 'agent-state'), '--ca-fingerprint', fingerprint,
      ], { cwd: repoRoot });
      const deadline = Date.now() + 20_000;
      for (;;) {
        await sleep(300);
        if (a.child.exitCode !== null || a.child.signalCode !== null) {
          await a.exited;
          const last = a.lines.filter((l) => l.trim()).slice(-1)[0] ?? '';
          return `the agent's --server mode exited (code ${a.child.exitCode}): ${last.replace(/^err: /, '')}`;
        }
        const t = await call('GET', '/api/v1/targets', undefined, token);
        const info = Array.isArray(t.json) ? t.json.find((x) => x.name === 'bench-agent') : null;
        if (info && (info.status === undefined || info.status === 'online')) break;
        if (Date.now() > deadline) {
          await a.stop();
          return `bench-agent did not come online within 20 s (${info ? `status ${info.status}` : 'not listed'})`;
        }
      }
      const smoke = await gateRun(configDir, ['connect', `${benchUser}@bench-agent`, '--', 'echo', 'ok']);
      if (smoke.code !== 0 || smoke.stdout.trim() !== 'ok') {
        await a.stop();
        return `gate connect to bench-agent failed (${smoke.code}): ${smoke.stderr.trim()}`;
      }
      agent = a;
      return null;
    })();
    if (why === null) {
      target = 'bench-agent';
      targetUser = benchUser;
    } else {
      notes.push(`--target agent is not available (${why}); fell back to --target local`);
      log(`bench: --target agent not available: ${why}; falling back to --target local`);
    }
  }

  if (target === null) {
    target = 'local';
    const pol = await putPolicy('bench-local-access', 'local', benchUser);
    if (pol.status >= 200 && pol.status < 300) targetUser = benchUser;
    else {
      targetUser = 'root';
      notes.push(`the policy API is not there yet (PUT /api/v1/policies/NAME answered ${pol.status}); Gatehouse runs the commands as root on \`local\` (default policy), OpenSSH as ${benchUser}`);
    }
    const smoke = await gateRun(configDir, ['connect', `${targetUser}@local`, '--', 'echo', 'ok']);
    if (smoke.code !== 0 || smoke.stdout.trim() !== 'ok') throw new Error(`gate connect ${targetUser}@local failed (${smoke.code}): ${smoke.stderr.trim()}`);
  }

  /** The processes whose memory we report: the service, and the agent serving the target. */
  const agentPid = () => {
    if (agent) return agent.pid;
    const c = childrenOf(service.pid).find((p) => p.cmd.includes('agent'));
    return c?.pid ?? null;
  };

  return { url, fingerprint, dataDir, configDir, service, agent, agentPid, target, targetUser, notes, call, token };
}
