/**
 * `gatehouse` verbs of the appliance: serve, init, users add, check. The only file of the
 * server that listens or exits. Exit codes: 0 ok, 1 reported error, 2 usage error; errors are
 * one line on stderr (stack traces only with --debug).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { GatehouseError } from '../protocol/errors';
import { loadConfig, type Config } from './config';
import { createServices } from './services';
import { checkSlackTokens } from './jit/slack-check';
import { buildApp } from './app';
import { openStore } from './store/store';
import { createUser, ensureInitialized } from './bootstrap';
import { loadTls } from './tls';
import { applyEventLoopPriority } from './event-loop-priority';
import { createApiKey } from './auth/api-keys';
import { mkdir } from 'node:fs/promises';
import { realpathSync } from 'node:fs';

class UsageError extends Error {}

const USAGE = `usage:
  gatehouse serve  [--config F] [--data-dir D] [--listen H:P] [--ssh-listen H:P|off] [--no-tls] [--tls-cert F --tls-key F] [--public-url URL]
  gatehouse init   --data-dir D --admin EMAIL [--password-stdin]
  gatehouse users  add EMAIL [--role admin|user] [--password-stdin] [--group G]... --data-dir D
  gatehouse keys   create --name N [--registration] --data-dir D [--json]
  gatehouse check  [--config F] [--data-dir D]
  gatehouse agent  --stdio | --server URL --name NAME ...   (see gatehouse agent --help)
`;

const common = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function configFrom(values: Record<string, unknown>, extraFlags: Record<string, string | boolean> = {}, dataDirDefault?: string): Readonly<Config> {
  const flags: Record<string, string | boolean> = { ...extraFlags };
  if (typeof values['data-dir'] === 'string') flags.data_dir = resolve(values['data-dir']);
  return loadConfig({
    ...(typeof values.config === 'string' ? { configFile: values.config } : {}),
    env: process.env,
    flags,
    ...(dataDirDefault ? { dataDirDefault } : {}),
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    listen: { type: 'string' },
    'ssh-listen': { type: 'string' },
    'no-tls': { type: 'boolean' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'public-url': { type: 'string' },
  });
  if (values.help) return usage(0);
  const flags: Record<string, string | boolean> = {};
  if (values.listen) flags.listen = values.listen;
  if (values['ssh-listen']) flags.ssh_listen = values['ssh-listen'];
  if (values['no-tls']) flags['tls.enabled'] = false;
  if (values['tls-cert']) flags['tls.cert'] = resolve(values['tls-cert']);
  if (values['tls-key']) flags['tls.key'] = resolve(values['tls-key']);
  if (values['public-url']) flags.public_url = values['public-url'];
  const config = configFrom(values, flags);
  // First, so the threads and processes the services start are created at normal priority.
  const priority = applyEventLoopPriority(config.eventLoop.priority);

  // The entry script is dist/gatehouse.js (this code sits in a chunk beside it); resolve
  // symlinks such as npm's bin links so dist/web is found.
  const entry = realpathSync(process.argv[1]!);
  const services = await createServices(config, { localAgentCommand: [process.execPath, entry, 'agent', '--stdio'], loopPriority: priority.priority });
  const app = await buildApp(services, { webRoot: join(dirname(entry), 'web') });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const scheme = services.tls ? 'https' : 'http';
  const wildcard = config.listen.host === '0.0.0.0' || config.listen.host === '::';
  const host = wildcard ? hostname() : config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = config.publicUrl ?? `${scheme}://${host}:${port}`;

  const out = (line: string) => process.stdout.write(line + '\n');
  out(`gatehouse: data dir ${config.dataDir}`);
  out(`gatehouse: ${priority.message}`);
  if (services.tls) out(`gatehouse: TLS certificate ${services.tls.fingerprint}${services.tls.selfSigned ? ' (self-signed; clients pin it with --ca-fingerprint)' : ''}`);
  if (services.bootstrapPassword) {
    out(`gatehouse: bootstrap admin admin@localhost one-time password: ${services.bootstrapPassword}`);
    out('gatehouse: (shown once; you must change it at first login)');
  }
  if (config.sshListen) out('gatehouse: the SSH front door is not available in this version; ssh_listen is ignored');
  out(`gatehouse listening on ${url} (ssh off)`);

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await app.close();
  await services.close();
  return 0;
}

async function init(args: string[]): Promise<number> {
  const { values } = parse(args, { admin: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
  if (values.help) return usage(0);
  if (!values.admin) throw new UsageError('init needs --admin EMAIL');
  const config = configFrom(values);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(join(config.dataDir, 'gatehouse.db'));
  try {
    const password = values['password-stdin'] ? await readStdin() : undefined;
    const { oneTimePassword } = await createUser(store, { email: values.admin, role: 'admin', ...(password !== undefined ? { password } : {}) });
    await ensureInitialized(store, { runningAsRoot: process.getuid?.() === 0 });
    process.stdout.write(`gatehouse: admin ${values.admin} created in ${config.dataDir}\n`);
    if (oneTimePassword) process.stdout.write(`one-time password: ${oneTimePassword} (change it at first login)\n`);
  } finally {
    await store.close();
  }
  return 0;
}

async function users(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    role: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    group: { type: 'string', multiple: true },
  });
  if (values.help) return usage(0);
  const [sub, email, ...rest] = positionals;
  if (sub !== 'add' || !email || rest.length) throw new UsageError('usage: gatehouse users add EMAIL [--role admin|user] [--password-stdin] [--group G]... --data-dir D');
  const role = values.role ?? 'user';
  if (role !== 'admin' && role !== 'user') throw new UsageError(`--role must be admin or user, not ${role}`);
  const config = configFrom(values);
  const store = await openStore(join(config.dataDir, 'gatehouse.db'));
  try {
    const password = values['password-stdin'] ? await readStdin() : undefined;
    const { oneTimePassword } = await createUser(store, { email, role, groups: values.group ?? [], ...(password !== undefined ? { password } : {}) });
    process.stdout.write(`gatehouse: user ${email} (${role}) created\n`);
    if (oneTimePassword) process.stdout.write(`one-time password: ${oneTimePassword} (change it at first login)\n`);
  } finally {
    await store.close();
  }
  return 0;
}

async function keys(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, registration: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) return usage(0);
  if (positionals[0] !== 'create' || positionals.length !== 1) throw new UsageError('usage: gatehouse keys create --name N [--registration] --data-dir D [--json]');
  if (!values.name) throw new UsageError('keys create needs --name N');
  const config = configFrom(values);
  const store = await openStore(join(config.dataDir, 'gatehouse.db'));
  try {
    const key = await createApiKey(store, { name: values.name, registration: values.registration === true, createdBy: 'cli' });
    if (values.json) process.stdout.write(JSON.stringify(key) + '\n');
    else {
      process.stdout.write(`id:     ${key.id}\nsecret: ${key.secret}\n`);
      process.stdout.write(`use:    X-API-KEY: ${key.id}:${key.secret}${key.registration ? '   (registration key: it can only register agents)' : ''}\n`);
      process.stdout.write('The secret is shown only now.\n');
    }
  } finally {
    await store.close();
  }
  return 0;
}

async function check(args: string[]): Promise<number> {
  const { values } = parse(args, {});
  if (values.help) return usage(0);
  const config = configFrom(values);
  process.stdout.write(`config: ok (listen ${config.listen.host}:${config.listen.port}, data dir ${config.dataDir})\n`);
  const store = await openStore(join(config.dataDir, 'gatehouse.db'));
  await store.close();
  process.stdout.write('database: ok\n');
  if (config.tls.enabled) process.stdout.write(`tls: ok (${(await loadTls(config.dataDir, config.tls.cert, config.tls.key)).fingerprint})\n`);
  if (!config.slack.botToken || !config.slack.appToken) {
    process.stdout.write(config.slack.botToken || config.slack.appToken ? 'slack: off (set both slack.bot_token and slack.app_token)\n' : 'slack: off\n');
    return 0;
  }
  const problem = await checkSlackTokens(config.slack);
  if (problem) throw new GatehouseError('BAD_REQUEST', `slack: ${problem}`);
  process.stdout.write('slack: ok (both tokens accepted)\n');
  return 0;
}

function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(USAGE);
  return code;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const debug = argv.includes('--debug');
  try {
    switch (verb) {
      case 'serve':
        return await serve(rest);
      case 'init':
        return await init(rest);
      case 'users':
        return await users(rest);
      case 'check':
        return await check(rest);
      case 'keys':
        return await keys(rest);
      case '--help':
      case '-h':
      case 'help':
        return usage(0);
      case '--version':
        process.stdout.write('gatehouse 0.1.0\n');
        return 0;
      default:
        throw new UsageError(verb ? `unknown command ${verb}` : 'a command is required');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`gatehouse: ${e.message}\n${USAGE}`);
      return 2;
    }
    const msg = e instanceof GatehouseError ? e.message : (e as Error).message;
    process.stderr.write(`gatehouse: ${msg}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
