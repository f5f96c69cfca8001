import type { Db } from './db';
import { nowIso } from './time';

export interface ApiKeyRow {
  id: string;
  name: string;
  secret_hash: string;
  registration: number;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
}

export function apiKeysRepo(db: Db) {
  return {
    async create(k: { id: string; name: string; secretHash: string; registration: boolean; createdBy: string | null }): Promise<ApiKeyRow> {
      const row: ApiKeyRow = { id: k.id, name: k.name, secret_hash: k.secretHash, registration: k.registration ? 1 : 0, created_at: nowIso(), created_by: k.createdBy, last_used_at: null };
      await db.run('INSERT INTO api_keys (id, name, secret_hash, registration, created_at, created_by, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        row.id, row.name, row.secret_hash, row.registration, row.created_at, row.created_by, row.last_used_at,
      ]);
      return row;
    },
    byId: (id: string) => db.get<ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?', [id]),
    byName: (name: string) => db.get<ApiKeyRow>('SELECT * FROM api_keys WHERE name = ?', [name]),
    list: () => db.all<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at'),
    async remove(id: string): Promise<boolean> {
      return (await db.run('DELETE FROM api_keys WHERE id = ?', [id])).changes > 0;
    },
    async touch(id: string): Promise<void> {
      await db.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [nowIso(), id]);
    },
  };
}
export type ApiKeysRepo = ReturnType<typeof apiKeysRepo>;
