import type { Deps } from '../../deps';
import { writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { TargetsArgs } from './targets.command';

export async function targetsHandler(deps: Deps, args: TargetsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const targets = (await api.targets()).sort((a, b) => a.name.localeCompare(b.name));
      writeList(deps, targets, {
        json: args.json,
        empty: 'No targets.',
        header: ['NAME', 'KIND', 'STATUS', 'ENVIRONMENT', 'ID'],
        rows: (ts) => ts.map((t) => [t.name, t.kind, t.status, t.environment, t.id]),
      });
      return 0;
    }
    case 'rm':
      await api.deleteTarget(args.name);
      deps.stdout.write(`Deleted target ${args.name}.\n`);
      return 0;
    case 'rename': {
      const t = await api.updateTarget(args.name, { name: args.newName });
      deps.stdout.write(`Renamed target ${args.name} to ${t.name}.\n`);
      return 0;
    }
    case 'set-env': {
      const t = await api.updateTarget(args.name, { environment: args.environment });
      deps.stdout.write(`Target ${t.name} is now in environment ${t.environment}.\n`);
      return 0;
    }
  }
}
