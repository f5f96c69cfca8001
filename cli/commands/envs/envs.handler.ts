import type { EnvironmentInfo } from '../../../protocol/api-types';
import type { Deps } from '../../deps';
import { duration, localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { EnvsArgs } from './envs.command';

const removalText = (e: EnvironmentInfo) =>
  e.offlineRemovalSeconds === null ? 'offline targets are kept' : `offline targets are deleted after ${duration(e.offlineRemovalSeconds)}`;

export async function envsHandler(deps: Deps, args: EnvsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const envs = (await api.environments()).sort((a, b) => a.name.localeCompare(b.name));
      writeList(deps, envs, {
        json: args.json,
        empty: 'No environments.',
        header: ['NAME', 'OFFLINE REMOVAL', 'CREATED'],
        rows: (es) => es.map((e) => [e.name, duration(e.offlineRemovalSeconds), localTime(e.createdAt)]),
      });
      return 0;
    }
    case 'add': {
      const e = await api.createEnvironment({ name: args.name, ...(args.offlineRemoval !== undefined ? { offlineRemoval: args.offlineRemoval } : {}) });
      deps.stdout.write(`Created environment ${e.name}: ${removalText(e)}.\n`);
      return 0;
    }
    case 'rm':
      await api.deleteEnvironment(args.name);
      deps.stdout.write(`Deleted environment ${args.name}.\n`);
      return 0;
    case 'set-offline-removal': {
      const e = await api.setOfflineRemoval(args.name, args.offlineRemoval);
      deps.stdout.write(`Environment ${e.name}: ${removalText(e)}.\n`);
      return 0;
    }
  }
}
