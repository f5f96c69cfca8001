/**
 * Append-only audit log in the `events` table, through the store's batched writer: emitting is
 * cheap on hot paths, rows are committed in one transaction every few milliseconds, and a
 * failed commit is reported and counted, never thrown into the caller.
 */
import type { Db } from '../store/db';
import { nowIso } from '../store/time';
import { createBatchedWriter, insertRows } from '../store/batched-writer';
import type { AuditContext, AuditEvent, AuditLog } from './types';

const COLUMNS = ['at', 'type', 'v', 'actor', 'source', 'outcome', 'object', 'details', 'request_id'] as const;
type Row = [string, string, number, string | null, string | null, string, string | null, string, string | null];

/** The object column: what the event is about, for filtering. */
function objectOf(rest: Record<string, unknown>): string | null {
  for (const k of ['connectionId', 'target', 'policy', 'environment', 'keyId', 'group', 'email', 'route']) {
    if (k in rest) return (rest[k] as string | undefined) ?? null;
  }
  return null;
}

export function createSqliteAuditLog(db: Db, log: (msg: string) => void): AuditLog & { failures(): number } {
  const writer = createBatchedWriter<Row>({ db, name: 'audit', log, write: (tx, rows) => insertRows(tx, 'events', COLUMNS, rows) });
  return {
    emit(event: AuditEvent, ctx: AuditContext) {
      try {
        const { type, v, outcome, ...rest } = event;
        writer.push([nowIso(), type, v, ctx.actor, ctx.source, outcome, objectOf(rest), JSON.stringify(rest), ctx.requestId ?? null]);
      } catch (e) {
        log(`audit: dropped an event: ${(e as Error).message}`);
      }
    },
    flush: writer.flush,
    failures: writer.failures,
  };
}
