/**
 * The client's state on disk (SPEC §1 "client config"): a directory, mode 0700, holding
 * `config.json` {server, fingerprint, certPem?} and `token` (the bearer token), both 0600.
 *
 * Files are written to a temporary name with mode 0600 and renamed into place, so a reader never
 * sees a half-written file and the secret never exists with wider permissions, even briefly.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from '../cli-errors';

export interface ClientConfig {
  /** Origin of the service, e.g. `https://bastion.example.com:8443` (no trailing slash). */
  server: string;
  /** `sha256:HEX` of the pinned certificate, or null to trust the system CAs (or plain HTTP). */
  fingerprint: string | null;
  /** The pinned certificate (PEM), fetched once at login; present iff `fingerprint` is. */
  certPem?: string;
}

/** `$GATE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gatehouse`, else `~/.config/gatehouse`. */
export function configDirFrom(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.GATE_CONFIG_DIR) return env.GATE_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'gatehouse');
  return join(home, '.config', 'gatehouse');
}

function isConfig(v: unknown): v is ClientConfig {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.server === 'string' &&
    (c.fingerprint === null || typeof c.fingerprint === 'string') &&
    (c.certPem === undefined || typeof c.certPem === 'string')
  );
}

export class ClientConfigStore {
  constructor(readonly dir: string) {}

  get configPath(): string {
    return join(this.dir, 'config.json');
  }

  get tokenPath(): string {
    return join(this.dir, 'token');
  }

  async readConfig(): Promise<ClientConfig | null> {
    const text = await readOptional(this.configPath);
    if (text === null) return null;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new CliError(`${this.configPath} is not valid JSON; run gate login again`);
    }
    if (!isConfig(v)) throw new CliError(`${this.configPath} is not a gate config; run gate login again`);
    return v;
  }

  async readToken(): Promise<string | null> {
    const text = await readOptional(this.tokenPath);
    const token = text?.trim();
    return token ? token : null;
  }

  /** Saves the login: config first, then the token, each atomically with mode 0600. */
  async save(config: ClientConfig, token: string): Promise<void> {
    await this.ensureDir();
    await writePrivate(this.configPath, JSON.stringify(config, null, 2) + '\n');
    await writePrivate(this.tokenPath, token + '\n');
  }

  async removeToken(): Promise<void> {
    await rm(this.tokenPath, { force: true });
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir does not change an existing directory; it is ours, so tighten it.
    await chmod(this.dir, 0o700);
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
  }
}
