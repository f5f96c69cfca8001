/**
 * The appliance's configuration: one schema, layered once (defaults → TOML file →
 * GATEHOUSE_* environment → flags), validated at start into a frozen object that is passed in.
 * No other module reads process.env or the config file. A bad value is rejected with one line
 * naming the key and where it came from.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { GatehouseError } from '../protocol/errors';

export interface Config {
  listen: { host: string; port: number };
  /** null when the SSH front door is off. */
  sshListen: { host: string; port: number } | null;
  dataDir: string;
  publicUrl: string | null;
  tls: { enabled: boolean; cert: string | null; key: string | null };
  sessions: { idleRetentionSeconds: number };
  agents: { heartbeatSeconds: number; offlineAfterSeconds: number };
  slack: { botToken: string | null; appToken: string | null; apiUrl: string | null; command: string; auditChannel: string };
  /** server/event-loop-priority.ts and gateway/output-pacer.ts say why. */
  eventLoop: { priority: 'realtime' | 'normal'; maxBusy: number };
}

type Kind = 'address' | 'address_or_off' | 'path' | 'url' | 'bool' | 'duration' | 'string' | 'command' | 'choice' | 'fraction';
/** Flat keys as written in the TOML file; env var = GATEHOUSE_ + upper(key with . → _). */
const KEYS: Record<string, { kind: Kind; default: string | boolean | null }> = {
  listen: { kind: 'address', default: '0.0.0.0:8443' },
  ssh_listen: { kind: 'address_or_off', default: '0.0.0.0:2222' },
  data_dir: { kind: 'path', default: '/var/lib/gatehouse' },
  public_url: { kind: 'url', default: null },
  'tls.enabled': { kind: 'bool', default: true },
  'tls.cert': { kind: 'path', default: null },
  'tls.key': { kind: 'path', default: null },
  'sessions.idle_retention': { kind: 'duration', default: '7d' },
  'agents.heartbeat': { kind: 'duration', default: '10s' },
  'agents.offline_after': { kind: 'duration', default: '30s' },
  'slack.bot_token': { kind: 'string', default: null },
  'slack.app_token': { kind: 'string', default: null },
  'slack.api_url': { kind: 'url', default: null },
  'slack.command': { kind: 'command', default: '/gatehouse' },
  'slack.audit_channel': { kind: 'string', default: 'gatehouse-jit-log' },
  'event_loop.priority': { kind: 'choice', default: 'realtime' },
  'event_loop.max_busy': { kind: 'fraction', default: '0.6' },
};

export const DEFAULT_CONFIG_FILE = '/etc/gatehouse/gatehouse.toml';

/** Parses `30s`, `10m`, `2h`, `7d` (and sums like `1h30m`) into seconds. */
export function parseDuration(s: string): number | null {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s.trim());
  if (!m || s.trim() === '') return null;
  const [d, h, mi, se] = m.slice(1).map((x) => (x ? Number(x) : 0)) as [number, number, number, number];
  return d * 86400 + h * 3600 + mi * 60 + se;
}

export function parseAddress(s: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

const bad = (key: string, from: string, why: string) =>
  new GatehouseError('BAD_REQUEST', `config: ${key} (from ${from}) ${why}`);

export interface ConfigSources {
  /** Explicit --config path; when absent the default file is read if it exists. */
  configFile?: string;
  env: Record<string, string | undefined>;
  /** Flag values already mapped to file keys, e.g. { listen: '127.0.0.1:0', 'tls.enabled': false }. */
  flags: Record<string, string | boolean>;
  /** Default for data_dir when neither file, env nor flag sets it. */
  dataDirDefault?: string;
}

/** Layers and validates; throws a GatehouseError with a one-line message on the first bad key. */
export function loadConfig(src: ConfigSources): Readonly<Config> {
  const raw: Record<string, { value: unknown; from: string }> = {};
  for (const [k, d] of Object.entries(KEYS)) raw[k] = { value: d.default, from: 'default' };
  if (src.dataDirDefault) raw.data_dir = { value: src.dataDirDefault, from: 'default' };

  const file = src.configFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new GatehouseError('BAD_REQUEST', `config: cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const [k, v] of Object.entries(flatten(parsed))) {
      if (!(k in KEYS)) throw bad(k, file, 'is not a known key');
      raw[k] = { value: v, from: file };
    }
  }
  for (const k of Object.keys(KEYS)) {
    const envName = 'GATEHOUSE_' + k.toUpperCase().replace(/\./g, '_');
    const v = src.env[envName];
    if (v !== undefined) raw[k] = { value: v, from: envName };
  }
  for (const [k, v] of Object.entries(src.flags)) {
    if (!(k in KEYS)) throw new Error(`internal: flag maps to unknown key ${k}`);
    raw[k] = { value: v, from: 'flag' };
  }

  const get = (k: string) => raw[k]!;
  const str = (k: string): string | null => {
    const { value, from } = get(k);
    if (value === null) return null;
    if (typeof value !== 'string') throw bad(k, from, 'must be a string');
    return value;
  };
  const addr = (k: string, allowOff: boolean) => {
    const v = str(k);
    if (allowOff && (v === 'off' || v === null)) return null;
    const a = v === null ? null : parseAddress(v);
    if (!a) throw bad(k, get(k).from, `must be HOST:PORT${allowOff ? ' or off' : ''}, got ${JSON.stringify(v)}`);
    return a;
  };
  const bool = (k: string) => {
    const { value, from } = get(k);
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw bad(k, from, 'must be true or false');
  };
  const dur = (k: string, min: number, max: number) => {
    const v = str(k);
    const s = v === null ? null : parseDuration(v);
    if (s === null || s < min || s > max) throw bad(k, get(k).from, `must be a duration like 30s, 10m, 2h, 7d between ${min}s and ${max}s`);
    return s;
  };
  const choice = <T extends string>(k: string, allowed: readonly T[]): T => {
    const v = str(k);
    if (v === null || !(allowed as readonly string[]).includes(v)) throw bad(k, get(k).from, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const fraction = (k: string, min: number) => {
    const { value, from } = get(k);
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d*\.?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!(n >= min && n <= 1)) throw bad(k, from, `must be a number between ${min} and 1, got ${JSON.stringify(value)}`);
    return n;
  };
  const url = (k: string) => {
    const v = str(k);
    if (v === null) return null;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    } catch {
      throw bad(k, get(k).from, 'must be an http(s) URL');
    }
    return v.replace(/\/+$/, '');
  };

  const listen = addr('listen', false)!;
  const tlsEnabled = bool('tls.enabled');
  if (!tlsEnabled && !isLoopback(listen.host)) {
    throw bad('tls.enabled', get('tls.enabled').from, `may be false only on a loopback listen address, not ${listen.host}`);
  }
  const cert = str('tls.cert');
  const key = str('tls.key');
  if ((cert === null) !== (key === null)) throw bad('tls.cert', get('tls.cert').from, 'and tls.key must be given together');
  const dataDir = str('data_dir');
  if (!dataDir) throw bad('data_dir', get('data_dir').from, 'must be a directory path');
  const command = str('slack.command') ?? '/gatehouse';
  if (!/^\/[a-z0-9_-]{1,31}$/.test(command)) throw bad('slack.command', get('slack.command').from, 'must look like /gatehouse');
  const botToken = str('slack.bot_token');
  if (botToken !== null && !botToken.startsWith('xoxb-')) throw bad('slack.bot_token', get('slack.bot_token').from, 'must start with xoxb-');
  const appToken = str('slack.app_token');
  if (appToken !== null && !appToken.startsWith('xapp-')) throw bad('slack.app_token', get('slack.app_token').from, 'must start with xapp-');
  const heartbeat = dur('agents.heartbeat', 1, 300);
  const offlineAfter = dur('agents.offline_after', 2, 3600);
  if (offlineAfter <= heartbeat) throw bad('agents.offline_after', get('agents.offline_after').from, 'must be longer than agents.heartbeat');

  return Object.freeze({
    listen,
    sshListen: addr('ssh_listen', true),
    dataDir,
    publicUrl: url('public_url'),
    tls: { enabled: tlsEnabled, cert, key },
    sessions: { idleRetentionSeconds: dur('sessions.idle_retention', 60, 90 * 86400) },
    agents: { heartbeatSeconds: heartbeat, offlineAfterSeconds: offlineAfter },
    slack: {
      botToken,
      appToken,
      apiUrl: url('slack.api_url'),
      command,
      auditChannel: str('slack.audit_channel') ?? 'gatehouse-jit-log',
    },
    eventLoop: { priority: choice('event_loop.priority', ['realtime', 'normal'] as const), maxBusy: fraction('event_loop.max_busy', 0.2) },
  });
}
