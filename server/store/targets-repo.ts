import { randomUUID } from 'node:crypto';
import type { Db } from './db';
import { nowIso } from './time';
import type { TargetKind } from '../../protocol/api-types';

export interface TargetRow {
  id: string;
  name: string;
  kind: TargetKind;
  environment: string;
  created_at: string;
  last_seen_at: string | null;
}

export function targetsRepo(db: Db) {
  return {
    async ensureEnvironment(name: string): Promise<void> {
      await db.run('INSERT OR IGNORE INTO environments (name, offline_removal_seconds, created_at) VALUES (?, NULL, ?)', [name, nowIso()]);
    },
    async create(t: { name: string; kind: TargetKind; environment: string }): Promise<TargetRow> {
      const row: TargetRow = { id: randomUUID(), name: t.name, kind: t.kind, environment: t.environment, created_at: nowIso(), last_seen_at: null };
      await db.run('INSERT INTO targets (id, name, kind, environment, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)', [
        row.id, row.name, row.kind, row.environment, row.created_at, row.last_seen_at,
      ]);
      return row;
    },
    byName: (name: string) => db.get<TargetRow>('SELECT * FROM targets WHERE name = ?', [name]),
    byId: (id: string) => db.get<TargetRow>('SELECT * FROM targets WHERE id = ?', [id]),
    list: () => db.all<TargetRow>('SELECT * FROM targets ORDER BY name'),
  };
}
export type TargetsRepo = ReturnType<typeof targetsRepo>;
