/** The store: the database and one small repository per table, opened together. */
import { CACHE_KIB, openDb, type Db } from './db';
import { openReaderProcess } from './reader-process';
import { usersRepo } from './users-repo';
import { authSessionsRepo } from './auth-sessions-repo';
import { targetsRepo } from './targets-repo';
import { policiesRepo } from './policies-repo';
import { connectionsRepo } from './connections-repo';
import { recordingsRepo } from './recordings-repo';
import { apiKeysRepo } from './api-keys-repo';
import { environmentsRepo } from './environments-repo';
import { eventsRepo } from './events-repo';
import { commandsRepo } from './commands-repo';
import { requestsRepo } from './requests-repo';

export async function openStore(path: string, log: (msg: string) => void = (m) => process.stderr.write(`gatehouse: ${m}\n`)) {
  const db: Db = await openDb(path);
  // Searches: a read-only connection in a niced child process (reader-process.ts).
  const reader = await openReaderProcess(path, CACHE_KIB, log);
  const commands = commandsRepo(db, reader, log);
  return {
    db,
    users: usersRepo(db),
    authSessions: authSessionsRepo(db),
    targets: targetsRepo(db),
    policies: policiesRepo(db),
    connections: connectionsRepo(db),
    recordings: recordingsRepo(db),
    apiKeys: apiKeysRepo(db),
    environments: environmentsRepo(db),
    events: eventsRepo(reader),
    commands,
    requests: requestsRepo(db),
    async close() {
      await commands.flush();
      await reader.close();
      await db.close();
    },
  };
}
export type Store = Awaited<ReturnType<typeof openStore>>;
