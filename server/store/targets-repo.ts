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
  /** Agent targets: the agent's Ed25519 public key (SPKI PEM). */
  agent_public_key: string | null;
  /** Agent targets: the id of the registration key that registered it. */
  registered_with: string | null;
  /** Agent targets: the name the agent registered with and signs its hello with (renames keep it). */
  agent_name: string | null;
}

/** An agent target with its environment's offline-removal period (null: never removed). */
export interface AgentTargetRow extends TargetRow {
  offline_removal_seconds: number | null;
}

export function targetsRepo(db: Db) {
  return {
    async ensureEnvironment(name: string): Promise<void> {
      await db.run('INSERT OR IGNORE INTO environments (name, offline_removal_seconds, created_at) VALUES (?, NULL, ?)', [name, nowIso()]);
    },
    async create(t: { name: string; kind: TargetKind; environment: string; agentPublicKey?: string; registeredWith?: string }): Promise<TargetRow> {
      const row: TargetRow = {
        id: randomUUID(), name: t.name, kind: t.kind, environment: t.environment, created_at: nowIso(), last_seen_at: null,
        agent_public_key: t.agentPublicKey ?? null, registered_with: t.registeredWith ?? null, agent_name: t.kind === 'agent' ? t.name : null,
      };
      await db.run('INSERT INTO targets (id, name, kind, environment, created_at, last_seen_at, agent_public_key, registered_with, agent_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        row.id, row.name, row.kind, row.environment, row.created_at, row.last_seen_at, row.agent_public_key, row.registered_with, row.agent_name,
      ]);
      return row;
    },
    byName: (name: string) => db.get<TargetRow>('SELECT * FROM targets WHERE name = ?', [name]),
    byAgentName: (name: string) => db.get<TargetRow>("SELECT * FROM targets WHERE kind = 'agent' AND agent_name = ?", [name]),
    async update(id: string, u: { name?: string; environment?: string }): Promise<void> {
      if (u.name !== undefined) await db.run('UPDATE targets SET name = ? WHERE id = ?', [u.name, id]);
      if (u.environment !== undefined) await db.run('UPDATE targets SET environment = ? WHERE id = ?', [u.environment, id]);
    },
    byId: (id: string) => db.get<TargetRow>('SELECT * FROM targets WHERE id = ?', [id]),
    list: () => db.all<TargetRow>('SELECT * FROM targets ORDER BY name'),
    listAgents: () =>
      db.all<AgentTargetRow>(
        `SELECT t.*, e.offline_removal_seconds FROM targets t JOIN environments e ON e.name = t.environment
         WHERE t.kind = 'agent' ORDER BY t.name`,
      ),
    async remove(id: string): Promise<boolean> {
      return (await db.run('DELETE FROM targets WHERE id = ?', [id])).changes > 0;
    },
    /** Records when targets were last seen (one statement per call, however many ids). */
    async setLastSeen(ids: string[], at: string): Promise<void> {
      if (ids.length === 0) return;
      await db.run(`UPDATE targets SET last_seen_at = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, [at, ...ids]);
    },
  };
}
export type TargetsRepo = ReturnType<typeof targetsRepo>;
