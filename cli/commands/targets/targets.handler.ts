import type { Deps } from '../../deps';
import { json, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { TargetsArgs } from './targets.command';

export async function targetsHandler(deps: Deps, args: TargetsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const targets = (await api.targets()).sort((a, b) => a.name.localeCompare(b.name));
      if (args.json) {
        deps.stdout.write(json(targets));
        return 0;
      }
      if (targets.length === 0) {
        deps.stderr.write('No targets.\n');
        return 0;
      }
      deps.stdout.write(table(['NAME', 'KIND', 'STATUS', 'ENVIRONMENT', 'ID'], targets.map((t) => [t.name, t.kind, t.status, t.environment, t.id])));
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
