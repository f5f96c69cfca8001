/**
 * `gate`'s admin and audit verbs, the built client against the built service over HTTPS with
 * its certificate pinned: users, groups, API keys, environments, targets, policies (apply from
 * JSON and YAML files, all or nothing, show/ls in the shape apply reads), the event log, what a
 * non-admin is told, and logging in with TOTP (the code computed here per RFC 6238), with
 * --totp and at a terminal prompt.
 *
 * The steps share one service and run in order: later steps use what earlier ones created.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodePty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyInfo, CommandLogEntry, ConnectionLogEntry, CreateUserResponse, EnvironmentInfo, EventLogEntry, GroupInfo, PolicyDoc, TargetInfo, UserDetails } from '../../protocol/api-types';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, gateBin, gateCli, retireBootstrapPassword, serviceApi, type GateCli, type GateResult, type RunOptions } from '../helpers/gate-cli';

const PASSWORD = 'correct horse battery staple';
const CAROL_PASSWORD = 'carol has a long passphrase';
const ONE_LINE = /^gate: [^\n]+\n$/;

let server: ServerProcess;
let fingerprint: string;
let call: Awaited<ReturnType<typeof serviceApi>>;
let admin: GateCli;
const others: GateCli[] = [];
let dir: string;
let registrationKey: string;

async function ok(gate: GateCli, args: string[], opts?: RunOptions): Promise<GateResult> {
  const r = await gate.run(args, opts);
  expect(r.code, `gate ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function fails(gate: GateCli, args: string[], code = 1): Promise<string> {
  const r = await gate.run(args);
  expect(r.code, `gate ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(code);
  expect(r.stderr).toMatch(ONE_LINE);
  return r.stderr;
}

async function jsonOf<T>(gate: GateCli, args: string[], opts?: RunOptions): Promise<T> {
  return JSON.parse((await ok(gate, [...args, '--json'], opts)).stdout) as T;
}

async function login(gate: GateCli, user: string, password: string, extra: string[] = []): Promise<GateResult> {
  return gate.run(['login', '--server', server.url, '--user', user, '--password-stdin', '--ca-fingerprint', fingerprint, ...extra], { stdin: `${password}\n` });
}

async function policyFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Runs `fn` over `items`, `n` at a time: many short gate runs without a queue of 60 cold starts. */
async function inBatches<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(fn));
}

const policyNames = async () => (await jsonOf<PolicyDoc[]>(admin, ['policies', 'ls'])).map((p) => p.name);

// ---- RFC 6238 TOTP, written out here so the test does not trust the service's own code ----

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 30_000);

/** Enrols `email` in TOTP through the API (as the web UI does); returns the secret and the step used to enable it. */
async function enrolTotp(email: string, password: string): Promise<{ secret: string; used: number }> {
  const session = await call('POST', '/api/v1/auth/login', { email, password });
  expect(session.status, JSON.stringify(session.json)).toBe(200);
  const enrol = await call('POST', '/api/v1/auth/totp/enrol', {}, session.json.token);
  expect(enrol.status, JSON.stringify(enrol.json)).toBe(200);
  const secret = enrol.json.secret as string;
  expect(secret).toMatch(/^[A-Z2-7]+$/);
  expect(enrol.json.otpauthUrl).toContain(`secret=${secret}`);
  const bad = await call('POST', '/api/v1/auth/totp/verify', { code: totp(secret, stepNow() - 10) }, session.json.token);
  expect(bad.status).toBe(400);
  // The middle of the service's ±1 step window, so a step boundary in between cannot matter.
  const used = stepNow();
  const verify = await call('POST', '/api/v1/auth/totp/verify', { code: totp(secret, used) }, session.json.token);
  expect(verify.status, JSON.stringify(verify.json)).toBe(204);
  await call('POST', '/api/v1/auth/logout', undefined, session.json.token);
  return { secret, used };
}

describe('gate admin and audit verbs against the built service', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    fingerprint = fingerprintFrom(server.stdout);
    await retireBootstrapPassword(server, PASSWORD);
    call = await serviceApi(server);
    admin = await gateCli();
    dir = await mkdtemp(join(tmpdir(), 'gate-admin-'));
    const r = await login(admin, 'admin@localhost', PASSWORD);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await admin?.cleanup();
    for (const g of others) await g.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has --help on every verb and subcommand', async () => {
    const verbs: Record<string, string[]> = {
      users: ['ls', 'add', 'rm', 'reset-mfa', 'set-role'],
      groups: ['ls', 'add', 'rm', 'add-member', 'rm-member'],
      policies: ['ls', 'show', 'apply', 'rm'],
      keys: ['ls', 'create', 'rm'],
      targets: ['ls', 'rm', 'rename', 'set-env'],
      envs: ['ls', 'add', 'rm', 'set-offline-removal'],
      logs: ['connections', 'events'],
    };
    await inBatches(Object.entries(verbs), 2, async ([verb, subs]) => {
      const top = await ok(admin, [verb, '--help']);
      expect(top.stdout, verb).toMatch(new RegExp(`^usage: gate ${verb} `));
      for (const sub of subs) expect(top.stdout, verb).toContain(`gate ${verb} ${sub}`);
      await inBatches(subs, 2, async (sub) => {
        const r = await ok(admin, [verb, sub, '--help']);
        expect(r.stdout, `${verb} ${sub}`).toMatch(new RegExp(`^usage: gate ${verb} ${sub}\\b`));
        expect(r.stdout.split('\n').length, `${verb} ${sub}`).toBeGreaterThanOrEqual(4); // usage, blank line, what it does
      });
    });
    expect((await ok(admin, ['help', 'policies', 'apply'])).stdout).toBe((await ok(admin, ['policies', 'apply', '--help'])).stdout);
    expect((await ok(admin, ['login', '--help'])).stdout).toContain('--totp CODE');
    const top = await ok(admin, ['--help']);
    expect(top.stdout).toMatch(/^ {2}policies\s+admin: /m);
    expect(top.stdout).not.toMatch(/^ {2}gate users/m); // no longer listed as not available
  });

  it('exits 2 with one line on usage errors', async () => {
    const cases = [
      ['users'],
      ['users', 'frob'],
      ['users', '--json', 'ls'],
      ['users', 'ls', 'extra'],
      ['users', 'ls', '--bogus'],
      ['users', 'add'],
      ['users', 'add', 'a@example.com', '--role', 'root'],
      ['users', 'set-role', 'a@example.com'],
      ['users', 'set-role', 'a@example.com', 'superuser'],
      ['groups', 'add-member', 'ops'],
      ['groups', 'add', ''],
      ['policies', 'apply'],
      ['policies', 'apply', '-f', 'policies.txt'],
      ['policies', 'show'],
      ['keys', 'create'],
      ['keys', 'create', '--name', 'x', 'extra'],
      ['targets', 'rename', 'web-1'],
      ['envs', 'set-offline-removal', 'prod'],
      ['logs', 'events', '--target', 'local'],
      ['logs', 'events', '--outcome', 'maybe'],
      ['logs', 'events', '--limit', 'lots'],
      ['logs', 'connections', '--type', 'x'],
      ['logs', 'connections', '--limit', '0'],
      ['logs', 'events', '--since', 'last tuesday'],
      ['login', '--totp', '12ab'],
    ];
    await inBatches(cases, 4, async (args) => void (await fails(admin, args, 2)));
    expect(await fails(admin, ['users', 'add'], 2)).toBe('gate: gate users add needs EMAIL (see gate users add --help)\n');
    expect(await fails(admin, ['users', 'set-role', 'a@example.com', 'superuser'], 2)).toBe(
      'gate: the role is admin or user, not "superuser" (see gate users set-role --help)\n',
    );
  });

  it('users: add with a one-time password or --password-stdin, ls, set-role, rm', async () => {
    const bob = await ok(admin, ['users', 'add', 'bob@example.com']);
    const m = /^Created user bob@example\.com \(user\)\.\none-time password: (\S+) \(shown once; it must be changed at the first login\)\n$/.exec(bob.stdout);
    expect(m, bob.stdout).not.toBeNull();
    // The printed password is the real one: it logs in, and must be changed.
    const first = await call('POST', '/api/v1/auth/login', { email: 'bob@example.com', password: m![1] });
    expect(first.status).toBe(200);
    expect(first.json.mustChangePassword).toBe(true);

    const carol = await jsonOf<CreateUserResponse>(admin, ['users', 'add', 'carol@example.com', '--role', 'user', '--group', 'readers', '--password-stdin'], {
      stdin: `${CAROL_PASSWORD}\n`,
    });
    expect(carol).toEqual({
      user: { id: expect.any(String), email: 'carol@example.com', role: 'user', groups: ['readers'], totpEnabled: false, mustChangePassword: false, createdAt: expect.any(String) },
    });
    expect('oneTimePassword' in carol).toBe(false);
    expect((await call('POST', '/api/v1/auth/login', { email: 'carol@example.com', password: CAROL_PASSWORD })).status).toBe(200);

    expect(await fails(admin, ['users', 'add', 'bob@example.com'])).toBe('gate: user bob@example.com already exists\n');
    expect(await fails(admin, ['users', 'add', 'not-an-email'])).toMatch(/email/);

    const users = await jsonOf<UserDetails[]>(admin, ['users', 'ls']);
    expect(users.map((u) => u.email)).toEqual(['admin@localhost', 'bob@example.com', 'carol@example.com']);
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['createdAt', 'email', 'groups', 'id', 'mustChangePassword', 'role', 'totpEnabled']);
    expect(users.find((u) => u.email === 'bob@example.com')).toMatchObject({ role: 'user', mustChangePassword: true, totpEnabled: false });
    const table = (await ok(admin, ['users', 'ls'])).stdout.split('\n');
    expect(table[0]).toMatch(/^EMAIL\s+ROLE\s+GROUPS\s+TOTP\s+PASSWORD\s+CREATED$/);
    expect(table).toContainEqual(expect.stringMatching(/^bob@example\.com\s+user\s+-\s+off\s+one-time\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/));
    expect(table).toContainEqual(expect.stringMatching(/^carol@example\.com\s+user\s+readers\s+off\s+set\s/));

    expect((await ok(admin, ['users', 'set-role', 'bob@example.com', 'admin'])).stdout).toBe('bob@example.com is now an admin.\n');
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).find((u) => u.email === 'bob@example.com')?.role).toBe('admin');
    expect((await ok(admin, ['users', 'set-role', 'bob@example.com', 'user'])).stdout).toBe('bob@example.com is now a user.\n');

    expect((await ok(admin, ['users', 'rm', 'bob@example.com'])).stdout).toBe('Deleted user bob@example.com.\n');
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).map((u) => u.email)).not.toContain('bob@example.com');
    expect(await fails(admin, ['users', 'rm', 'bob@example.com'])).toBe('gate: no user bob@example.com\n');
    expect(await fails(admin, ['users', 'rm', 'admin@localhost'])).toBe('gate: you cannot delete yourself\n');
    expect(await fails(admin, ['users', 'set-role', 'admin@localhost', 'user'])).toBe('gate: admin@localhost is the last admin\n');
  });

  it('groups: add, add-member, ls, rm-member, rm', async () => {
    expect((await ok(admin, ['groups', 'add', 'ops'])).stdout).toBe('Created group ops.\n');
    expect(await fails(admin, ['groups', 'add', 'ops'])).toBe('gate: group ops already exists\n');
    expect((await ok(admin, ['groups', 'add-member', 'ops', 'carol@example.com'])).stdout).toBe('Added carol@example.com to ops.\n');
    let groups = await jsonOf<GroupInfo[]>(admin, ['groups', 'ls']);
    const ops = groups.find((g) => g.name === 'ops');
    expect(ops).toEqual({ name: 'ops', members: ['carol@example.com'], createdAt: expect.any(String) });
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).find((u) => u.email === 'carol@example.com')?.groups.sort()).toEqual(['ops', 'readers']);
    const table = (await ok(admin, ['groups', 'ls'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+CREATED\s+MEMBERS$/);
    expect(table).toMatch(/^ops\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+carol@example\.com$/m);

    expect(await fails(admin, ['groups', 'add-member', 'nosuch', 'carol@example.com'])).toBe('gate: no group nosuch\n');
    expect(await fails(admin, ['groups', 'add-member', 'ops', 'nobody@example.com'])).toBe('gate: no user nobody@example.com\n');
    expect((await ok(admin, ['groups', 'rm-member', 'ops', 'carol@example.com'])).stdout).toBe('Removed carol@example.com from ops.\n');
    groups = await jsonOf<GroupInfo[]>(admin, ['groups', 'ls']);
    expect(groups.find((g) => g.name === 'ops')?.members).toEqual([]);
    expect((await ok(admin, ['groups', 'rm', 'ops'])).stdout).toBe('Deleted group ops.\n');
    expect((await jsonOf<GroupInfo[]>(admin, ['groups', 'ls'])).map((g) => g.name)).not.toContain('ops');
    expect(await fails(admin, ['groups', 'rm', 'ops'])).toBe('gate: no group ops\n');
  });

  it('keys: create (secret once), ls without secrets, rm', async () => {
    const ci = await jsonOf<ApiKeyInfo & { secret: string }>(admin, ['keys', 'create', '--name', 'ci']);
    expect(ci).toMatchObject({ id: expect.stringMatching(/^gk_[a-z0-9]{12}$/), name: 'ci', registration: false, secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String) });
    // The key works as printed.
    expect((await call('GET', '/api/v1/targets', undefined, undefined, { 'x-api-key': `${ci.id}:${ci.secret}` })).status).toBe(200);

    const reg = await ok(admin, ['keys', 'create', '--name', 'agents', '--registration']);
    const m = /^id: +(gk_[a-z0-9]{12})\nsecret: +(\S+)\nuse: +X-API-KEY: \1:\2 +\(registration key: it can only register agents\)\nThe secret is shown only now\.\n$/.exec(reg.stdout);
    expect(m, reg.stdout).not.toBeNull();
    registrationKey = `${m![1]}:${m![2]}`;

    const keys = await jsonOf<ApiKeyInfo[]>(admin, ['keys', 'ls']);
    expect(keys.map((k) => k.id)).toEqual(expect.arrayContaining([ci.id, m![1]]));
    for (const k of keys) expect(Object.keys(k).sort()).toEqual(['createdAt', 'createdBy', 'id', 'lastUsedAt', 'name', 'registration']);
    expect(keys.find((k) => k.id === m![1])).toMatchObject({ name: 'agents', registration: true, createdBy: 'admin@localhost', lastUsedAt: null });
    expect(keys.find((k) => k.id === ci.id)?.lastUsedAt).not.toBeNull();
    const table = (await ok(admin, ['keys', 'ls'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^ID\s+NAME\s+KIND\s+CREATED\s+CREATED BY\s+LAST USED$/);
    expect(table).toMatch(new RegExp(`^${m![1]}\\s+agents\\s+registration\\s+.*admin@localhost\\s+never$`, 'm'));
    expect(table).not.toContain(m![2]);

    expect((await ok(admin, ['keys', 'rm', ci.id])).stdout).toBe(`Deleted API key ${ci.id}.\n`);
    expect((await jsonOf<ApiKeyInfo[]>(admin, ['keys', 'ls'])).map((k) => k.id)).not.toContain(ci.id);
    expect((await call('GET', '/api/v1/targets', undefined, undefined, { 'x-api-key': `${ci.id}:${ci.secret}` })).status).toBe(401);
    await fails(admin, ['keys', 'rm', ci.id]);
  });

  it('envs: add, ls, set-offline-removal (duration and never), bad duration', async () => {
    expect((await ok(admin, ['envs', 'add', 'staging', '--offline-removal', '7d'])).stdout).toBe('Created environment staging: offline targets are deleted after 7d.\n');
    expect(await fails(admin, ['envs', 'add', 'staging'])).toBe('gate: environment staging already exists\n');
    let envs = await jsonOf<EnvironmentInfo[]>(admin, ['envs', 'ls']);
    expect(envs.find((e) => e.name === 'staging')).toEqual({ name: 'staging', offlineRemovalSeconds: 7 * 86400, createdAt: expect.any(String) });
    expect(envs.map((e) => e.name)).toContain('default');
    expect((await ok(admin, ['envs', 'set-offline-removal', 'staging', 'never'])).stdout).toBe('Environment staging: offline targets are kept.\n');
    expect((await ok(admin, ['envs', 'set-offline-removal', 'staging', '1d12h'])).stdout).toBe('Environment staging: offline targets are deleted after 1d12h.\n');
    envs = await jsonOf<EnvironmentInfo[]>(admin, ['envs', 'ls']);
    expect(envs.find((e) => e.name === 'staging')?.offlineRemovalSeconds).toBe(36 * 3600);
    expect(await fails(admin, ['envs', 'set-offline-removal', 'staging', '5m'])).toMatch(/1h to 90d/);
    const table = (await ok(admin, ['envs', 'ls'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+OFFLINE REMOVAL\s+CREATED$/);
    expect(table).toMatch(/^staging\s+1d12h\s+\d{4}-/m);
    expect((await ok(admin, ['envs', 'add', 'lab'])).stdout).toMatch(/^Created environment lab: /);
    expect((await ok(admin, ['envs', 'rm', 'lab'])).stdout).toBe('Deleted environment lab.\n');
    expect((await jsonOf<EnvironmentInfo[]>(admin, ['envs', 'ls'])).map((e) => e.name)).not.toContain('lab');
  });

  it('targets: ls, rename, set-env, rm (an agent registered with the key made above)', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const reg = await call('POST', '/api/v1/agents/register', { name: 'web-1', hostname: 'web-1.internal', publicKey: publicKey.export({ type: 'spki', format: 'pem' }) }, undefined, {
      'x-api-key': registrationKey,
    });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);

    let targets = await jsonOf<TargetInfo[]>(admin, ['targets', 'ls']);
    expect(targets.find((t) => t.name === 'web-1')).toMatchObject({ kind: 'agent', status: 'offline', environment: 'default' });
    expect(targets.map((t) => t.name)).toContain('local');
    expect((await ok(admin, ['targets', 'ls'])).stdout).toMatch(/^web-1\s+agent\s+offline\s+default\s+\S+$/m);

    expect((await ok(admin, ['targets', 'rename', 'web-1', 'web-2'])).stdout).toBe('Renamed target web-1 to web-2.\n');
    expect((await ok(admin, ['targets', 'set-env', 'web-2', 'staging'])).stdout).toBe('Target web-2 is now in environment staging.\n');
    targets = await jsonOf<TargetInfo[]>(admin, ['targets', 'ls']);
    expect(targets.map((t) => t.name)).not.toContain('web-1');
    expect(targets.find((t) => t.name === 'web-2')).toMatchObject({ environment: 'staging' });
    expect(await fails(admin, ['targets', 'rename', 'nosuch', 'x'])).toBe('gate: no target named nosuch\n');
    expect(await fails(admin, ['envs', 'rm', 'staging'])).toMatch(/still has 1 target/);
    await fails(admin, ['targets', 'rm', 'local']);

    expect((await ok(admin, ['targets', 'rm', 'web-2'])).stdout).toBe('Deleted target web-2.\n');
    expect((await jsonOf<TargetInfo[]>(admin, ['targets', 'ls'])).map((t) => t.name)).not.toContain('web-2');
    expect((await ok(admin, ['envs', 'rm', 'staging'])).stdout).toBe('Deleted environment staging.\n');
  });

  const opsShell = { name: 'ops-shell', kind: 'target_access', subjects: { groups: ['dev'] }, environments: ['prod'], actions: ['shell', 'tunnel'], targetUsers: ['{username}', 'deploy'] };
  const recInput = { name: 'rec-input', kind: 'session_recording', subjects: { users: ['carol@example.com'] }, recordInput: true };

  it('policies apply -f a JSON file: created, then replaced; warnings on stderr; ls/show print the same shape', async () => {
    const file = await policyFile('policies.json', JSON.stringify([opsShell, recInput], null, 2));
    const r = await ok(admin, ['policies', 'apply', '-f', file]);
    expect(r.stdout).toBe('created policy ops-shell\ncreated policy rec-input\n');
    expect(r.stderr).toContain('warning: ops-shell: no group dev (yet)\n');
    expect(r.stderr).toContain('warning: ops-shell: no environment prod (yet)\n');
    expect(r.stderr).toMatch(/^(warning: [^\n]+\n)+$/);

    const again = await ok(admin, ['policies', 'apply', '-f', file, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [{ name: 'ops-shell', created: false }, { name: 'rec-input', created: false }], warnings: expect.any(Array) });

    const all = await jsonOf<PolicyDoc[]>(admin, ['policies', 'ls']);
    expect(all.filter((p) => p.name === 'ops-shell' || p.name === 'rec-input')).toEqual([opsShell, recInput]);
    expect(await jsonOf<PolicyDoc>(admin, ['policies', 'show', 'ops-shell'])).toEqual(opsShell);

    const table = (await ok(admin, ['policies', 'ls'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+KIND\s+SUBJECTS\s+TARGETS\s+GRANTS$/);
    expect(table).toMatch(/^ops-shell\s+target_access\s+group:dev\s+env:prod\s+shell,tunnel as \{username\},deploy$/m);
    expect(table).toMatch(/^rec-input\s+session_recording\s+carol@example\.com\s+-\s+record output and input$/m);

    // show prints YAML that apply reads back unchanged.
    const yaml = (await ok(admin, ['policies', 'show', 'ops-shell'])).stdout;
    expect(yaml).toMatch(/^name: ops-shell\nkind: target_access\n/);
    const round = await ok(admin, ['policies', 'apply', '-f', await policyFile('round-trip.yaml', yaml)]);
    expect(round.stdout).toBe('replaced policy ops-shell\n');
    expect(await jsonOf<PolicyDoc>(admin, ['policies', 'show', 'ops-shell'])).toEqual(opsShell);
    expect(await fails(admin, ['policies', 'show', 'nosuch'])).toBe('gate: no policy named nosuch\n');
  });

  it('policies apply -f a YAML file with an array of two documents', async () => {
    const file = await policyFile(
      'more.yml',
      [
        '# two policies for the web tier',
        '- name: web-shell',
        '  kind: target_access',
        '  subjects:',
        '    users: [carol@example.com]',
        '  targets: [local]',
        '  actions: [shell]',
        '  targetUsers: ["{username}"]',
        '- name: web-pg',
        '  kind: proxy',
        '  subjects: {groups: [readers]}',
        '  targets:',
        '    - pg-main',
        '  targetUsers: [postgres]',
        '',
      ].join('\n'),
    );
    const r = await ok(admin, ['policies', 'apply', '-f', file]);
    expect(r.stdout).toBe('created policy web-shell\ncreated policy web-pg\n');
    expect(r.stderr).toBe('warning: web-pg: no target pg-main (yet)\n');
    const all = await jsonOf<PolicyDoc[]>(admin, ['policies', 'ls']);
    expect(all.find((p) => p.name === 'web-shell')).toEqual({
      name: 'web-shell', kind: 'target_access', subjects: { users: ['carol@example.com'] }, targets: ['local'], actions: ['shell'], targetUsers: ['{username}'],
    });
    expect(all.find((p) => p.name === 'web-pg')).toEqual({ name: 'web-pg', kind: 'proxy', subjects: { groups: ['readers'] }, targets: ['pg-main'], targetUsers: ['postgres'] });
    expect((await ok(admin, ['policies', 'ls'])).stdout).toMatch(/^web-pg\s+proxy\s+group:readers\s+pg-main\s+proxy as postgres$/m);
  });

  it('a bad policy file exits 1 with one clear line and applies nothing', async () => {
    const before = await policyNames();
    const unknownField = await policyFile('bad.json', JSON.stringify([{ ...opsShell, name: 'bad-a' }, { ...recInput, name: 'bad-b', bogus: true }]));
    const r = await admin.run(['policies', 'apply', '-f', unknownField]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`gate: ${unknownField}: [1].bogus: unknown field for a session_recording policy (policy bad-b); nothing was applied\n`);

    const badKind = await policyFile('bad-kind.yaml', 'name: bad-c\nkind: firewall\nsubjects: {users: [carol@example.com]}\n');
    expect(await fails(admin, ['policies', 'apply', '-f', badKind])).toMatch(/^gate: .*bad-kind\.yaml: \[0\]\.kind: must be one of .*\(policy bad-c\); nothing was applied\n$/);

    const syntax = await policyFile('broken.yaml', '- name: bad-d\n  kind: target_access\n  subjects: {users: [carol@example.com]\n  actions: [shell]\n');
    const s = await admin.run(['policies', 'apply', '-f', syntax]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(new RegExp(`^gate: ${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: YAML syntax error: .* at line \\d+, column \\d+\n$`));

    const json = await policyFile('broken.json', '[{"name": "bad-e",}]');
    expect(await fails(admin, ['policies', 'apply', '-f', json])).toMatch(/: not valid JSON: .* at line 1, column \d+\n$/);
    expect(await fails(admin, ['policies', 'apply', '-f', join(dir, 'missing.yaml')])).toBe(`gate: cannot read ${join(dir, 'missing.yaml')}: no such file\n`);

    expect(await policyNames()).toEqual(before);
  });

  it('policies rm deletes one', async () => {
    expect((await ok(admin, ['policies', 'rm', 'web-pg'])).stdout).toBe('Deleted policy web-pg.\n');
    expect(await policyNames()).not.toContain('web-pg');
    expect(await fails(admin, ['policies', 'rm', 'web-pg'])).toBe('gate: no policy named web-pg\n');
  });

  it('a non-admin is told clearly that admin verbs need an admin', async () => {
    const carol = await gateCli();
    others.push(carol);
    const r = await login(carol, 'carol@example.com', CAROL_PASSWORD);
    expect(r.code, r.stderr).toBe(0);
    const file = await policyFile('carol.json', JSON.stringify(opsShell));
    for (const args of [
      ['users', 'ls'],
      ['users', 'add', 'mallory@example.com'],
      ['users', 'set-role', 'carol@example.com', 'admin'],
      ['groups', 'ls'],
      ['groups', 'add', 'mine'],
      ['policies', 'ls'],
      ['policies', 'apply', '-f', file],
      ['keys', 'create', '--name', 'x'],
      ['envs', 'ls'],
      ['targets', 'rename', 'local', 'x'],
    ]) {
      const res = await carol.run(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toBe('gate: this needs an admin\n');
    }
    // What a user may see of the audit log is their own.
    const own = await jsonOf<EventLogEntry[]>(carol, ['logs', 'events']);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.actor === 'carol@example.com')).toBe(true);
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).find((u) => u.email === 'carol@example.com')?.role).toBe('user');
  });

  it('logs events shows policy changes and logins, filtered, as a table and as JSON', async () => {
    const applied = await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--type', 'policy.apply', '--since', '1h']);
    expect(applied.length).toBe(4); // policies.json twice, round-trip.yaml, more.yml; the bad files applied nothing
    for (const e of applied) {
      expect(Object.keys(e).sort()).toEqual(['actor', 'at', 'details', 'id', 'object', 'outcome', 'requestId', 'source', 'type', 'v']);
      expect(e).toMatchObject({ type: 'policy.apply', actor: 'admin@localhost', outcome: 'success', source: '127.0.0.1' });
    }
    // Newest first.
    expect(applied.map((e) => e.at)).toEqual([...applied.map((e) => e.at)].sort().reverse());
    expect(applied.at(-1)!.details).toMatchObject({ policies: ['ops-shell', 'rec-input'] });
    expect(applied[0]!.details).toMatchObject({ policies: ['web-shell', 'web-pg'] });

    const grep = await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--grep', 'web-pg']);
    expect(grep.map((e) => e.type)).toEqual(expect.arrayContaining(['policy.apply', 'policy.delete']));
    expect(grep.every((e) => JSON.stringify(e).includes('web-pg'))).toBe(true);

    const logins = await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--user', 'carol@example.com', '--type', 'auth.login']);
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((e) => e.actor === 'carol@example.com' && e.type === 'auth.login')).toBe(true);
    const failures = await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--outcome', 'failure', '--limit', '1']);
    expect(failures.length).toBeLessThanOrEqual(1);
    expect(failures.every((e) => e.outcome === 'failure')).toBe(true);
    expect(await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--since', new Date(Date.now() + 3_600_000).toISOString()])).toEqual([]);

    const table = (await ok(admin, ['logs', 'events', '--type', 'policy.apply'])).stdout.split('\n');
    expect(table[0]).toMatch(/^TIME\s+TYPE\s+OUTCOME\s+ACTOR\s+SOURCE\s+OBJECT\s+DETAILS$/);
    expect(table[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+policy\.apply\s+success\s+admin@localhost\s+127\.0\.0\.1\s+.*policies=\["web-shell","web-pg"\]/);
    const wildcard = await jsonOf<EventLogEntry[]>(admin, ['logs', 'events', '--type', 'policy.*']);
    expect(new Set(wildcard.map((e) => e.type))).toEqual(new Set(['policy.apply', 'policy.delete']));
    expect(await fails(admin, ['logs', 'events', '--type', 'no.such.event'])).toMatch(/type/);
    const none = await admin.run(['logs', 'events', '--type', 'agent.auth']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No matching events.\n');
  });

  it('logs commands lists exec commands with their exit status, searches them, and follows new ones', async () => {
    // Like ssh, the words after -- are joined into one command line for the remote shell.
    const run = await admin.run(['connect', 'local', '--', 'echo gate-cmd-log; exit 4']);
    expect(run.code).toBe(4);
    const rows = await jsonOf<CommandLogEntry[]>(admin, ['logs', 'commands', '--grep', 'gate-cmd-log']);
    expect(rows).toEqual([expect.objectContaining({ command: 'echo gate-cmd-log; exit 4', exitCode: 4, targetName: 'local', targetUser: 'root', userEmail: 'admin@localhost' })]);
    const table = (await ok(admin, ['logs', 'commands', '--grep', 'gate-cmd-log'])).stdout.split('\n');
    expect(table[0]).toMatch(/^TIME\s+USER\s+WHERE\s+EXIT\s+CONN\s+COMMAND$/);
    expect(table[1]).toMatch(new RegExp(`admin@localhost\\s+root@local\\s+4\\s+${rows[0]!.connectionId.slice(-8)}\\s+echo gate-cmd-log; exit 4$`));
    expect(await fails(admin, ['logs', 'commands', '--type', 'x'], 2)).toMatch(/--type does not apply/);

    const follow = admin.start(['logs', 'commands', '--follow', '--json', '--grep', 'followed-cmd']);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await admin.run(['connect', 'local', '--', 'echo', 'followed-cmd'])).code).toBe(0);
      const end = Date.now() + 10_000;
      while (!follow.output().stdout.includes('followed-cmd') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      const line = JSON.parse(follow.output().stdout.trim().split('\n').at(-1)!) as CommandLogEntry;
      expect(line).toMatchObject({ command: 'echo followed-cmd', targetName: 'local', userEmail: 'admin@localhost' });
      // --follow prints a row once, as first seen; an exec's exit status is written after its row
      // (server/commands/command-log.ts), in the same batch or the next one (200 ms later).
      expect([0, null]).toContain(line.exitCode);
      let exitCode: number | null = line.exitCode;
      const until = Date.now() + 5_000;
      while (exitCode !== 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        exitCode = (await jsonOf<CommandLogEntry[]>(admin, ['logs', 'commands', '--grep', 'followed-cmd']))[0]?.exitCode ?? null;
      }
      expect(exitCode).toBe(0);
    } finally {
      follow.child.kill('SIGINT');
      await follow.exited.catch(() => undefined);
    }
  });

  it('request / requests: a developer asks, an approver approves, the developer connects', async () => {
    const dev = await gateCli();
    const sre = await gateCli();
    others.push(dev, sre);
    await ok(admin, ['users', 'add', 'jdev@example.com', '--group', 'jdev', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    await ok(admin, ['users', 'add', 'jsre@example.com', '--group', 'jsre', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    const file = await policyFile('jit.yaml', [
      '- name: jit-local',
      '  kind: just_in_time',
      '  subjects: {groups: [jdev]}',
      '  targets: [local]',
      '  actions: [shell]',
      '  targetUsers: [root]',
      '  approval: manual',
      '  duration: 1h',
      '  approvers: {groups: [jsre]}',
    ].join('\n'));
    await ok(admin, ['policies', 'apply', '-f', file]);
    expect((await login(dev, 'jdev@example.com', PASSWORD)).code).toBe(0);
    expect((await login(sre, 'jsre@example.com', PASSWORD)).code).toBe(0);

    const refused = await dev.run(['connect', 'root@local', '--', 'true']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/you may request it: gate request local --user root --action shell/);
    expect(await fails(dev, ['request', 'local', '--user', 'root', '--action', 'shell'], 2)).toMatch(/--reason/);
    const asked = await ok(dev, ['request', 'local', '--user', 'root', '--action', 'shell', '--reason', 'INC-7', '--duration', '20m']);
    const id = /Request (req_[a-z0-9]{10}) \(shell on local as root for 20m\) is waiting for approval \(policy jit-local\)/.exec(asked.stdout)?.[1];
    expect(id, asked.stdout).toBeDefined();
    expect(await fails(dev, ['requests', 'approve', id!])).toMatch(/your own request/);
    const list = (await ok(sre, ['requests', 'ls'])).stdout.split('\n');
    expect(list[0]).toMatch(/^\s+ID\s+STATE\s+REQUESTER\s+ACCESS\s+FOR\s+REASON\s+UNTIL$/);
    expect(list[1]).toMatch(new RegExp(`^\\*\\s+${id}\\s+pending\\s+jdev@example\\.com\\s+shell root@local\\s+20m\\s+INC-7`));
    expect((await ok(sre, ['requests', 'approve', id!])).stdout).toMatch(new RegExp(`^Request ${id} approved by jsre@example\\.com: shell on local as root for 20m, until .* \\(JIT-[a-z0-9]{8}\\)\\.\\n$`));
    expect(await fails(sre, ['requests', 'deny', id!])).toMatch(/already approved/);
    const used = await dev.run(['connect', 'root@local', '--', 'echo', 'jit-ok']);
    expect(used.code, used.stderr).toBe(0);
    expect(used.stdout).toBe('jit-ok\n');
    const mine = await jsonOf<{ id: string; state: string }[]>(dev, ['requests', 'ls']);
    expect(mine).toEqual([expect.objectContaining({ id, state: 'approved' })]);
  });

  it('logs connections: --grep finds entries by reason or connection id, --follow prints new ones', async () => {
    const follow = admin.start(['logs', 'connections', '--follow', '--json', '--target', 'local', '--limit', '1']);
    const plain = admin.start(['logs', 'connections', '--follow', '--target', 'local', '--limit', '1']);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await admin.run(['connect', 'local', '--', 'echo', 'conn-followed'])).code).toBe(0);
      const [cmd] = await jsonOf<CommandLogEntry[]>(admin, ['logs', 'commands', '--grep', 'conn-followed']);
      const id = cmd!.connectionId;
      const end = Date.now() + 10_000;
      const states = () => follow.output().stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ConnectionLogEntry).filter((e) => e.connectionId === id).map((e) => e.state);
      while (!states().includes('closed') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(states()).toEqual(['open', 'connected', 'closed']);
      const lines = follow.output().stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ConnectionLogEntry);
      expect(lines.map((e) => e.id)).toEqual([...lines.map((e) => e.id)].sort((a, b) => a - b)); // in log order, none twice
      expect(new Set(lines.map((e) => e.id)).size).toBe(lines.length);
      // Without --json: the table's cells on one line, an empty one as '-'.
      while (!plain.output().stdout.includes(`closed  ${id}`) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(plain.output().stdout).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  closed  ${id}  admin@localhost  root@local  -  \\S`, 'm'));

      // --grep: a piece of the connection id (any case) finds exactly that connection's entries.
      const byId = await jsonOf<ConnectionLogEntry[]>(admin, ['logs', 'connections', '--grep', id.slice(-8).toUpperCase()]);
      expect(byId.map((e) => [e.connectionId, e.state])).toEqual([[id, 'open'], [id, 'connected'], [id, 'closed']]);
      // The reason the exec connection closed with, searched in capitals: every entry found has it.
      const reason = byId[2]!.reason;
      expect(reason).toMatch(/\w/);
      const byReason = await jsonOf<ConnectionLogEntry[]>(admin, ['logs', 'connections', '--grep', reason!.toUpperCase()]);
      expect(byReason.map((e) => e.id)).toContain(byId[2]!.id);
      expect(byReason.every((e) => [e.reason, e.actor, e.connectionId, e.userEmail, e.targetName, e.targetUser].some((f) => f?.toLowerCase().includes(reason!.toLowerCase())))).toBe(true);
      const none = await admin.run(['logs', 'connections', '--grep', 'no-such-text-zq']);
      expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No matching connection log entries.\n']);
      const table = (await ok(admin, ['logs', 'connections', '--grep', id])).stdout.split('\n');
      expect(table[0]).toMatch(/^TIME\s+STATE\s+CONNECTION\s+USER\s+TARGET\s+ACTOR\s+REASON$/);
      expect(table.slice(1, 4).map((l) => l.split(/\s{2,}/)[1])).toEqual(['open', 'connected', 'closed']);
    } finally {
      for (const f of [follow, plain]) f.child.kill('SIGINT');
      await Promise.all([follow, plain].map((f) => f.exited.catch(() => undefined)));
    }
  });

  it('logs events --follow prints new events as they happen', async () => {
    const follow = admin.start(['logs', 'events', '--follow', '--json', '--type', 'group.create', '--since', '1s']);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await ok(admin, ['groups', 'add', 'followed-group']);
      const end = Date.now() + 10_000;
      while (!follow.output().stdout.includes('followed-group') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      const line = JSON.parse(follow.output().stdout.trim().split('\n').at(-1)!) as EventLogEntry;
      expect(line).toMatchObject({ type: 'group.create', object: 'followed-group', actor: 'admin@localhost' });
    } finally {
      follow.child.kill('SIGINT');
      await follow.exited.catch(() => undefined);
    }
  });

  it('login with TOTP: --totp CODE works, without it a clear error, a used code is refused', async () => {
    const dave = await gateCli();
    others.push(dave);
    await ok(admin, ['users', 'add', 'dave@example.com', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    const { secret, used } = await enrolTotp('dave@example.com', PASSWORD);
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).find((u) => u.email === 'dave@example.com')?.totpEnabled).toBe(true);

    const without = await login(dave, 'dave@example.com', PASSWORD);
    expect(without.code).toBe(1);
    expect(without.stderr).toBe('gate: this account has TOTP on: pass the current code of your authenticator app with --totp CODE\n');
    const replayed = await login(dave, 'dave@example.com', PASSWORD, ['--totp', totp(secret, used)]);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toBe('gate: wrong or already used TOTP code\n');

    const withCode = await login(dave, 'dave@example.com', PASSWORD, ['--totp', totp(secret, used + 1)]);
    expect(withCode.stderr).toBe('');
    expect(withCode.code).toBe(0);
    expect(withCode.stdout).toMatch(/^Logged in to https:\/\/127\.0\.0\.1:\d+ as dave@example\.com \(user\)/);
    expect(JSON.parse((await ok(dave, ['status', '--json'])).stdout).user.email).toBe('dave@example.com');

    // An admin resets it: the password alone is enough again.
    expect((await ok(admin, ['users', 'reset-mfa', 'dave@example.com'])).stdout).toMatch(/^TOTP of dave@example\.com is off/);
    expect((await jsonOf<UserDetails[]>(admin, ['users', 'ls'])).find((u) => u.email === 'dave@example.com')?.totpEnabled).toBe(false);
    const plain = await login(dave, 'dave@example.com', PASSWORD);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await fails(admin, ['users', 'reset-mfa', 'nobody@example.com'])).toBe('gate: no user nobody@example.com\n');
  });

  it('login at a terminal asks for the TOTP code, and again after a wrong one', async () => {
    const erin = await gateCli();
    others.push(erin);
    await ok(admin, ['users', 'add', 'erin@example.com', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    const { secret, used } = await enrolTotp('erin@example.com', PASSWORD);

    const term = nodePty.spawn(process.execPath, [gateBin, 'login', '--server', server.url, '--user', 'erin@example.com', '--ca-fingerprint', fingerprint], {
      cols: 120,
      rows: 30,
      cwd: dir,
      env: { ...process.env, GATE_CONFIG_DIR: erin.configDir } as Record<string, string>,
    });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    const waitFor = async (text: string, after = 0) => {
      const end = Date.now() + 20_000;
      while (screen.indexOf(text, after) < 0) {
        if (Date.now() > end) throw new Error(`no ${JSON.stringify(text)} on the terminal:\n${screen}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return screen.indexOf(text, after) + text.length;
    };
    try {
      await waitFor('Password for erin@example.com: ');
      term.write(`${PASSWORD}\r`);
      let at = await waitFor('TOTP code: ');
      term.write(`${totp(secret, used)}\r`); // already used: refused, and asked again
      at = await waitFor('wrong TOTP code; try again', at);
      await waitFor('TOTP code: ', at);
      term.write(`${totp(secret, used + 1)}\r`);
      expect(await exited).toBe(0);
      expect(screen).toMatch(/Logged in to https:\/\/127\.0\.0\.1:\d+ as erin@example\.com \(user\)/);
    } finally {
      term.kill();
    }
    expect(JSON.parse((await ok(erin, ['status', '--json'])).stdout).user.email).toBe('erin@example.com');
  });
});
