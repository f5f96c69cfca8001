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
  for (const k of ['requestId', 'connectionId', 'target', 'policy', 'environment', 'keyId', 'group', 'email', 'route']) {
    if (k in rest) return (rest[k] as string | undefined) ?? null;
  }
  return null;
}

export function createSqliteAuditLog(db: Db, log: (msg: string) => void): AuditLog & { failures(): number } {
  const writer = createBatchedWriter<Row>({ db, name: 'audit', log, write: (tx, rows) => insertRows(tx, 'events', COLUMNS, rows) });
  // Per in-flight request: events emitted for it. Bounded: a request that never replies (a
  // client gone mid-way) must not leak an entry forever.
  const perRequest = new Map<string, number>();
  return {
    takeRequest(requestId: string): number {
      const n = perRequest.get(requestId) ?? 0;
      perRequest.delete(requestId);
      return n;
    },
    emit(event: AuditEvent, ctx: AuditContext) {
      if (ctx.requestId) {
        perRequest.set(ctx.requestId, (perRequest.get(ctx.requestId) ?? 0) + 1);
        if (perRequest.size > 10_000) perRequest.delete(perRequest.keys().next().value!);
      }
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
