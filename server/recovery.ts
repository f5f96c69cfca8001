/**
 * After a crash (kill -9, power loss) some recordings were left live and some connections
 * unclosed. On the next start: finish each live recording (drop a partial last line so every
 * player accepts it) and mark its connection closed with reason `service restart`.
 */
import { stat } from 'node:fs/promises';
import type { Store } from './store/store';
import { repairCast } from '../recorder/cast-repair';

export async function recoverAfterCrash(store: Store, log: (m: string) => void): Promise<number> {
  let n = 0;
  for (const r of await store.recordings.live()) {
    try {
      const { droppedBytes } = await repairCast(r.path);
      const size = (await stat(r.path)).size;
      await store.recordings.finish(r.connection_id, { sizeBytes: size, durationSeconds: 0, state: droppedBytes > 0 ? 'repaired' : 'complete' });
    } catch (e) {
      log(`recovery: recording ${r.path}: ${(e as Error).message}`);
      await store.recordings.finish(r.connection_id, { sizeBytes: 0, durationSeconds: 0, state: 'repaired' });
    }
    n++;
  }
  for (const c of await store.connections.unclosed()) {
    await store.connections.close(c.id, 'service restart', 'system', null);
    n++;
  }
  return n;
}
