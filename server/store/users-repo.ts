import { randomUUID } from 'node:crypto';
import type { Db } from './db';
import { nowIso } from './time';
import type { Role } from '../../protocol/api-types';

export interface UserRow {
  id: string;
  email: string;
  role: Role;
  password_hash: string | null;
  must_change_password: number;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  created_at: string;
}

export function usersRepo(db: Db) {
  return {
    async create(u: { email: string; role: Role; passwordHash: string | null; mustChangePassword: boolean }): Promise<UserRow> {
      const row: UserRow = {
        id: randomUUID(),
        email: u.email.toLowerCase(),
        role: u.role,
        password_hash: u.passwordHash,
        must_change_password: u.mustChangePassword ? 1 : 0,
        totp_secret: null,
        totp_pending_secret: null,
        totp_last_step: null,
        created_at: nowIso(),
      };
      await db.run(
        'INSERT INTO users (id, email, role, password_hash, must_change_password, totp_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.email, row.role, row.password_hash, row.must_change_password, row.totp_secret, row.created_at],
      );
      return row;
    },
    byEmail: (email: string) => db.get<UserRow>('SELECT * FROM users WHERE email = ?', [email.toLowerCase()]),
    byId: (id: string) => db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]),
    async setPassword(id: string, hash: string, mustChange: boolean): Promise<void> {
      await db.run('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?', [hash, mustChange ? 1 : 0, id]);
    },
    async countAdmins(): Promise<number> {
      return (await db.get<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin'"))?.n ?? 0;
    },
    async groupsOf(id: string): Promise<string[]> {
      return (await db.all<{ group_name: string }>('SELECT group_name FROM group_members WHERE user_id = ? ORDER BY group_name', [id])).map((r) => r.group_name);
    },
    list: () => db.all<UserRow>('SELECT * FROM users ORDER BY email'),
    async setRole(id: string, role: Role): Promise<void> {
      await db.run('UPDATE users SET role = ? WHERE id = ?', [role, id]);
    },
    /** Deletes the user; sessions and group memberships go with it (foreign keys cascade). */
    async remove(id: string): Promise<boolean> {
      return (await db.run('DELETE FROM users WHERE id = ?', [id])).changes > 0;
    },
    async setTotp(id: string, t: { secret: string | null; pending: string | null; lastStep: number | null }): Promise<void> {
      await db.run('UPDATE users SET totp_secret = ?, totp_pending_secret = ?, totp_last_step = ? WHERE id = ?', [t.secret, t.pending, t.lastStep, id]);
    },
    /** Records a used TOTP step; false when a concurrent login already used this or a later one. */
    async useTotpStep(id: string, step: number): Promise<boolean> {
      return (await db.run('UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)', [step, id, step])).changes > 0;
    },
    async groupMembers(): Promise<{ group_name: string; email: string }[]> {
      return db.all('SELECT m.group_name, u.email FROM group_members m JOIN users u ON u.id = m.user_id ORDER BY m.group_name, u.email');
    },
    listGroups: () => db.all<{ name: string; created_at: string }>('SELECT name, created_at FROM groups ORDER BY name'),
    async createGroup(name: string): Promise<boolean> {
      return (await db.run('INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)', [name, nowIso()])).changes > 0;
    },
    async removeGroup(name: string): Promise<boolean> {
      return (await db.run('DELETE FROM groups WHERE name = ?', [name])).changes > 0;
    },
    async removeFromGroup(id: string, group: string): Promise<boolean> {
      return (await db.run('DELETE FROM group_members WHERE group_name = ? AND user_id = ?', [group, id])).changes > 0;
    },
    async groupExists(name: string): Promise<boolean> {
      return (await db.get('SELECT 1 AS x FROM groups WHERE name = ?', [name])) !== undefined;
    },
    async addToGroup(id: string, group: string): Promise<void> {
      await db.run('INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)', [group, nowIso()]);
      await db.run('INSERT OR IGNORE INTO group_members (group_name, user_id) VALUES (?, ?)', [group, id]);
    },
  };
}
export type UsersRepo = ReturnType<typeof usersRepo>;
