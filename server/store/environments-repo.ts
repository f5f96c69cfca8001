import type { Db } from './db';
import { nowIso } from './time';

export interface EnvironmentRow {
  name: string;
  /** Offline agent targets are deleted after this long; null: never. */
  offline_removal_seconds: number | null;
  created_at: string;
}

export function environmentsRepo(db: Db) {
  return {
    list: () => db.all<EnvironmentRow>('SELECT * FROM environments ORDER BY name'),
    byName: (name: string) => db.get<EnvironmentRow>('SELECT * FROM environments WHERE name = ?', [name]),
    async create(name: string, seconds: number | null): Promise<EnvironmentRow | null> {
      const r = await db.run('INSERT OR IGNORE INTO environments (name, offline_removal_seconds, created_at) VALUES (?, ?, ?)', [name, seconds, nowIso()]);
      return r.changes > 0 ? ((await db.get<EnvironmentRow>('SELECT * FROM environments WHERE name = ?', [name])) ?? null) : null;
    },
    async targetCount(name: string): Promise<number> {
      return (await db.get<{ n: number }>('SELECT count(*) AS n FROM targets WHERE environment = ?', [name]))?.n ?? 0;
    },
    async remove(name: string): Promise<boolean> {
      return (await db.run('DELETE FROM environments WHERE name = ?', [name])).changes > 0;
    },
    /** Creates the environment if needed and sets its offline-removal period. */
    async setOfflineRemoval(name: string, seconds: number | null): Promise<EnvironmentRow> {
      await db.run(
        `INSERT INTO environments (name, offline_removal_seconds, created_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET offline_removal_seconds = excluded.offline_removal_seconds`,
        [name, seconds, nowIso()],
      );
      return (await db.get<EnvironmentRow>('SELECT * FROM environments WHERE name = ?', [name]))!;
    },
  };
}
export type EnvironmentsRepo = ReturnType<typeof environmentsRepo>;
