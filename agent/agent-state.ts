/**
 * The agent's state dir (default /var/lib/gatehouse-agent, mode 0700):
 * - `identity.pem`: its Ed25519 private key (PKCS#8 PEM, mode 0600), made on first run; the
 *   service knows the public half from the registration and checks it at every connect.
 * - `server.json` (mode 0600): where it is registered — the service's origin, its name and
 *   target id, and the pinned certificate (fingerprint and PEM) when the service was pinned.
 *
 * Files are written whole (temp file + rename) so a crash never leaves half a file; a state dir
 * that is not private (group/other access) is tightened, since it holds a private key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/gatehouse-agent';
const IDENTITY = 'identity.pem';
const SERVER = 'server.json';

export interface ServerState {
  /** The service's origin, `https://host:port` (or `http://` on loopback). */
  server: string;
  name: string;
  targetId: string;
  environment: string | null;
  /** The pinned certificate, when registered with --ca-fingerprint; null: system CAs (or plain HTTP). */
  fingerprint: string | null;
  certPem: string | null;
  registeredAt: string;
}

export interface Identity {
  publicKeyPem: string;
  /** base64url Ed25519 signature over the UTF-8 message. */
  sign(message: string): string;
}

export class StateError extends Error {}

/** Creates the state dir if needed and makes it private. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if (!st.isDirectory()) throw new StateError(`state dir ${dir} is not a directory`);
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Writes a private file atomically (temp + fsync + rename). */
async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

function identityOf(key: KeyObject): Identity {
  if (key.asymmetricKeyType !== 'ed25519') throw new StateError('identity.pem is not an Ed25519 key');
  return {
    publicKeyPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), key).toString('base64url'),
  };
}

/** Loads the identity, creating it on first run. */
export async function loadOrCreateIdentity(dir: string): Promise<{ identity: Identity; created: boolean }> {
  const path = join(dir, IDENTITY);
  const pem = await readIfExists(path);
  if (pem !== null) {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (e) {
      throw new StateError(`cannot read ${path}: ${(e as Error).message}`);
    }
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return { identity: identityOf(key), created: false };
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  await writePrivate(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { identity: identityOf(privateKey), created: true };
}

/** The identity if it exists (no side effects). */
export async function hasIdentity(dir: string): Promise<boolean> {
  return (await readIfExists(join(dir, IDENTITY))) !== null;
}

export async function loadServerState(dir: string): Promise<ServerState | null> {
  const path = join(dir, SERVER);
  const text = await readIfExists(path);
  if (text === null) return null;
  let v: Partial<ServerState>;
  try {
    v = JSON.parse(text) as Partial<ServerState>;
  } catch (e) {
    throw new StateError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v.server !== 'string' || typeof v.name !== 'string' || typeof v.targetId !== 'string') throw new StateError(`${path} is incomplete; remove it and register again`);
  return {
    server: v.server,
    name: v.name,
    targetId: v.targetId,
    environment: typeof v.environment === 'string' ? v.environment : null,
    fingerprint: typeof v.fingerprint === 'string' ? v.fingerprint : null,
    certPem: typeof v.certPem === 'string' ? v.certPem : null,
    registeredAt: typeof v.registeredAt === 'string' ? v.registeredAt : '',
  };
}

export async function saveServerState(dir: string, s: ServerState): Promise<void> {
  await writePrivate(join(dir, SERVER), JSON.stringify(s, null, 2) + '\n');
}
