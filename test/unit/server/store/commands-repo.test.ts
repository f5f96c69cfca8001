/**
 * The command log's search against a real SQLite file: substring search through the trigram
 * index (detail=none: LIKE, confirmed against the text), needles that hold LIKE's wildcards,
 * short needles, filters, and a database of the previous schema (phrase-capable index, v4)
 * upgraded in place with its rows still found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { openStore, type Store } from '../../../../server/store/store';
import { MIGRATIONS } from '../../../../server/store/migrations';
import type { NewCommand } from '../../../../server/store/commands-repo';

let dir = '';
let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const row = (command: string, over: Partial<NewCommand> = {}): NewCommand => ({
  at: '2026-11-22T01:00:00.000Z', connection_id: '019aa000-0000-7000-8000-000000000001', seq: 0,
  user_id: 'u1', user_email: 'alice@example.com', target_name: 'web-01', target_user: 'root', environment: 'prod',
  command, exit_code: 0, offset_seconds: 1, ...over,
});

const COMMANDS = [
  'rm -rf /tmp/xyz',
  'ls /TMP/Other',
  'tmp mp/ p/x', // every trigram of "tmp/x", never together
  'echo 100% done',
  'echo 1000 done',
  'cat my_file.txt',
  'cat myXfile.txt',
  'grep École notes',
  'id',
];

async function seeded(): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), 'gh-cmds-'));
  store = await openStore(join(dir, 'gatehouse.db'), () => undefined);
  COMMANDS.forEach((c, i) => store!.commands.add(row(c, { seq: i, target_name: i % 2 ? 'db-02' : 'web-01' })));
  await store.commands.flush();
  return store;
}

const grep = async (s: Store, needle: string, extra = {}) => (await s.commands.query({ grep: needle, ...extra })).map((r) => r.command);

describe('command log search', () => {
  it('finds substrings through the trigram index, newest first, ASCII case-insensitive', async () => {
    const s = await seeded();
    expect(await grep(s, 'tmp/x')).toEqual(['rm -rf /tmp/xyz']);
    expect(await grep(s, 'tmp/')).toEqual(['ls /TMP/Other', 'rm -rf /tmp/xyz']);
    expect(await grep(s, 'École')).toEqual(['grep École notes']);
    expect(await grep(s, 'not-there')).toEqual([]);
    expect(await grep(s, 'tmp', { targetName: 'db-02' })).toEqual(['ls /TMP/Other']);
    expect(await grep(s, 'tmp', { ascending: true, limit: 2 })).toEqual(['rm -rf /tmp/xyz', 'ls /TMP/Other']);
  });

  it('takes % and _ in a needle literally', async () => {
    const s = await seeded();
    expect(await grep(s, '100%')).toEqual(['echo 100% done']);
    expect(await grep(s, 'my_file')).toEqual(['cat my_file.txt']);
    expect(await grep(s, '_')).toEqual(['cat my_file.txt']);
    expect(await grep(s, '%')).toEqual(['echo 100% done']);
    expect(await grep(s, '"x" OR ls')).toEqual([]); // never query syntax
  });

  it('finds needles shorter than a trigram by scanning', async () => {
    const s = await seeded();
    expect(await grep(s, 'id')).toEqual(['id']);
    expect(await grep(s, 'É')).toEqual(['grep École notes']);
  });

  it('uses the trigram index for a needle of 3 characters or more', async () => {
    const s = await seeded();
    const plan = await s.db.all<{ detail: string }>(
      "EXPLAIN QUERY PLAN SELECT c.id FROM commands_fts JOIN commands c ON c.id = commands_fts.rowid WHERE commands_fts.command LIKE '%tmp/x%' ORDER BY commands_fts.rowid DESC LIMIT 10",
    );
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/SCAN commands_fts VIRTUAL TABLE INDEX \d+:L/);
  });

  it('filters by user (any case) and target from their indexes, newest first, without sorting', async () => {
    const s = await seeded();
    s.commands.add(row('whoami', { user_email: 'Bob@Example.com', seq: 99 }));
    await s.commands.flush();
    expect((await s.commands.query({ userEmail: 'bob@example.COM' })).map((r) => r.command)).toEqual(['whoami']);
    expect((await s.commands.query({ targetName: 'db-02', limit: 2 })).map((r) => r.command)).toEqual(['grep École notes', 'cat my_file.txt']);
    const plan = async (sql: string) => (await s.db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ['x'])).map((p) => p.detail).join(' | ');
    expect(await plan('SELECT c.id FROM commands c WHERE c.user_email = ? COLLATE NOCASE ORDER BY c.id DESC LIMIT 10')).toMatch(/^SEARCH c USING (COVERING )?INDEX commands_user \(user_email=\?\)$/); // no TEMP B-TREE
    expect(await plan('SELECT c.id FROM commands c WHERE c.target_name = ? ORDER BY c.id DESC LIMIT 10')).toMatch(/^SEARCH c USING (COVERING )?INDEX commands_target \(target_name=\?\)$/);
  });

  it('sets exit statuses in the batch of their rows and in later ones, for the right connection', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-cmds-'));
    const s = (store = await openStore(join(dir, 'gatehouse.db'), () => undefined));
    const [a, b] = ['019aa000-0000-7000-8000-00000000000a', '019aa000-0000-7000-8000-00000000000b'];
    for (let i = 0; i < 3; i++) {
      s.commands.add(row(`a${i}`, { connection_id: a, seq: i, exit_code: null }));
      s.commands.add(row(`b${i}`, { connection_id: b, seq: i, exit_code: null }));
      s.commands.setExit(a, i, 10 + i);
    }
    await s.commands.flush();
    s.commands.setExit(b, 1, 7); // a later batch
    await s.commands.flush();
    const got = (await s.commands.query({ ascending: true })).map((r) => [r.command, r.exit_code]);
    expect(got).toEqual([['a0', 10], ['b0', null], ['a1', 11], ['b1', 7], ['a2', 12], ['b2', null]]);
  });

  it('upgrades a database of the previous schema and still finds its rows', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-cmds-'));
    const path = join(dir, 'gatehouse.db');
    const raw = new sqlite3.Database(path);
    const exec = (sql: string) => new Promise<void>((ok, bad) => raw.exec(sql, (e) => (e ? bad(e) : ok())));
    for (const m of MIGRATIONS.filter((m) => m.version <= 4)) await exec(`BEGIN; ${m.sql}; PRAGMA user_version = ${m.version}; COMMIT;`);
    await exec(`INSERT INTO commands (at, connection_id, seq, user_id, user_email, target_name, target_user, environment, command, exit_code, offset_seconds)
                VALUES ('2026-11-01T00:00:00Z', 'c-old', 0, 'u1', 'alice@example.com', 'web-01', 'root', 'prod', 'systemctl restart nginx', 0, 1)`);
    await new Promise<void>((ok) => raw.close(() => ok()));

    store = await openStore(path, () => undefined);
    expect(await grep(store, 'restart ngi')).toEqual(['systemctl restart nginx']);
    const fts = await store.db.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'commands_fts'");
    expect(fts?.sql).toMatch(/detail = 'none'/);
    store.commands.add(row('echo after the upgrade', { connection_id: 'c-new' }));
    await store.commands.flush();
    expect(await grep(store, 'after the up')).toEqual(['echo after the upgrade']);
  });
});
