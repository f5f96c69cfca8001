/**
 * Append-only audit log in the `events` table. Rows are queued and committed in one
 * transaction every few milliseconds, so emitting is cheap on hot paths; a failed commit is
 * reported on stderr and counted, never thrown into the caller.
 */
import type { Db } from '../store/db';
import { nowIso } from '../store/time';
import type { AuditContext, AuditEvent, AuditLog } from './types';

const FLUSH_MS = 5;

export function createSqliteAuditLog(db: Db, log: (msg: string) => void): AuditLog & { failures(): number } {
  let queue: [string, string, number, string | null, string | null, string, string | null, string, string | null][] = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let failures = 0;

  const flushNow = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return inFlight;
    inFlight = inFlight.then(() =>
      db
        .transaction(async (tx) => {
          for (const row of batch) {
            await tx.run('INSERT INTO events (at, type, v, actor, source, outcome, object, details, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', row);
          }
        })
        .catch((e: unknown) => {
          failures += batch.length;
          log(`audit: could not write ${batch.length} events: ${(e as Error).message}`);
        }),
    );
    return inFlight;
  };

  return {
    emit(event: AuditEvent, ctx: AuditContext) {
      try {
        const { type, v, outcome, ...rest } = event;
        // The object column: what the event is about, for filtering.
        const object =
          'connectionId' in rest ? (rest.connectionId ?? null)
          : 'target' in rest ? rest.target
          : 'policy' in rest ? rest.policy
          : 'environment' in rest ? (rest.environment ?? null)
          : 'keyId' in rest ? rest.keyId
          : 'group' in rest ? rest.group
          : 'email' in rest ? rest.email
          : 'route' in rest ? rest.route
          : null;
        queue.push([nowIso(), type, v, ctx.actor, ctx.source, outcome, object ?? null, JSON.stringify(rest), ctx.requestId ?? null]);
        timer ??= setTimeout(() => void flushNow(), FLUSH_MS);
      } catch (e) {
        failures++;
        log(`audit: dropped an event: ${(e as Error).message}`);
      }
    },
    flush: flushNow,
    failures: () => failures,
  };
}
