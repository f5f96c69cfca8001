/**
 * API keys: `ID:SECRET`, sent as `X-API-KEY`. The id is public (it names the key in logs and
 * policies); the secret is shown once at creation and stored only as a hash.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../../protocol/errors';
import type { CreatedApiKey } from '../../protocol/api-types';
import type { Store } from '../store/store';
import type { ApiKeyRow } from '../store/api-keys-repo';
import { hashToken } from './tokens';

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export type CreatedKey = CreatedApiKey;

export async function createApiKey(store: Store, k: { name: string; registration: boolean; createdBy: string | null }): Promise<CreatedKey> {
  if (!NAME_RE.test(k.name)) throw new GatehouseError('BAD_REQUEST', 'key name must be 1-64 letters, digits, dots, dashes or underscores');
  if (await store.apiKeys.byName(k.name)) throw new GatehouseError('CONFLICT', `a key named ${k.name} already exists`);
  const id = 'gk_' + Array.from(randomBytes(12), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  const row = await store.apiKeys.create({ id, name: k.name, secretHash: hashToken(secret), registration: k.registration, createdBy: k.createdBy });
  return { id, name: row.name, secret, registration: k.registration, createdAt: row.created_at, createdBy: row.created_by, lastUsedAt: null };
}

/** Verifies `ID:SECRET`; null when malformed, unknown or wrong (constant-time on the secret). */
export async function verifyApiKey(store: Store, header: string): Promise<ApiKeyRow | null> {
  const m = /^(gk_[a-z0-9]{12}):([A-Za-z0-9_-]{43})$/.exec(header.trim());
  if (!m) return null;
  const row = await store.apiKeys.byId(m[1]!);
  const want = Buffer.from(row?.secret_hash ?? hashToken('absent'));
  const got = Buffer.from(hashToken(m[2]!));
  if (!row || want.length !== got.length || !timingSafeEqual(want, got)) return null;
  void store.apiKeys.touch(row.id).catch(() => undefined);
  return row;
}
