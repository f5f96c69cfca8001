import type { Db } from './db';
import { nowIso } from './time';
import type { PolicyDocument } from '../access/types';

const UPSERT = `INSERT INTO policies (name, kind, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, document = excluded.document, updated_at = excluded.updated_at`;

export function policiesRepo(db: Db) {
  return {
    /** Stores all or none, in one transaction; returns the names that did not exist before. */
    async putMany(docs: PolicyDocument[]): Promise<Set<string>> {
      const created = new Set<string>();
      await db.transaction(async (tx) => {
        const now = nowIso();
        for (const doc of docs) {
          if (!(await tx.get('SELECT 1 AS x FROM policies WHERE name = ?', [doc.name]))) created.add(doc.name);
          await tx.run(UPSERT, [doc.name, doc.kind, JSON.stringify(doc), now, now]);
        }
      });
      return created;
    },
    async put(doc: PolicyDocument): Promise<void> {
      const now = nowIso();
      await db.run(
        `INSERT INTO policies (name, kind, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, document = excluded.document, updated_at = excluded.updated_at`,
        [doc.name, doc.kind, JSON.stringify(doc), now, now],
      );
    },
    async byName(name: string): Promise<PolicyDocument | undefined> {
      const row = await db.get<{ document: string }>('SELECT document FROM policies WHERE name = ?', [name]);
      return row ? (JSON.parse(row.document) as PolicyDocument) : undefined;
    },
    async remove(name: string): Promise<boolean> {
      return (await db.run('DELETE FROM policies WHERE name = ?', [name])).changes > 0;
    },
    async list(): Promise<PolicyDocument[]> {
      const rows = await db.all<{ document: string }>('SELECT document FROM policies ORDER BY name');
      return rows.map((r) => JSON.parse(r.document) as PolicyDocument);
    },
  };
}
export type PoliciesRepo = ReturnType<typeof policiesRepo>;
