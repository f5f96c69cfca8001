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
