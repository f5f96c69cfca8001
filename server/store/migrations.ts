/**
 * The numbered migrations, embedded at build time so the bundle needs no SQL files beside it.
 * Append only: add `NNN-name.sql` and a line here; never edit an applied file.
 */
import m001 from './migrations/001-init.sql';
import m002 from './migrations/002-identity.sql';
import m003 from './migrations/003-commands.sql';
import m004 from './migrations/004-jit.sql';
import m005 from './migrations/005-commands-fts-lean.sql';
import m006 from './migrations/006-commands-filter-indexes.sql';

export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  { version: 1, sql: m001 },
  { version: 2, sql: m002 },
  { version: 3, sql: m003 },
  { version: 4, sql: m004 },
  { version: 5, sql: m005 },
  { version: 6, sql: m006 },
];
