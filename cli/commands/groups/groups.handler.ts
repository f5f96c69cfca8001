import type { Deps } from '../../deps';
import { localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { GroupsArgs } from './groups.command';

export async function groupsHandler(deps: Deps, args: GroupsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const groups = (await api.groups()).sort((a, b) => a.name.localeCompare(b.name));
      writeList(deps, groups, {
        json: args.json,
        empty: 'No groups.',
        header: ['NAME', 'CREATED', 'MEMBERS'],
        rows: (gs) => gs.map((g) => [g.name, localTime(g.createdAt), g.members.join(',')]),
      });
      return 0;
    }
    case 'add': {
      const g = await api.createGroup(args.name);
      deps.stdout.write(`Created group ${g.name}.\n`);
      return 0;
    }
    case 'rm':
      await api.deleteGroup(args.name);
      deps.stdout.write(`Deleted group ${args.name}.\n`);
      return 0;
    case 'add-member':
      await api.addGroupMember(args.group, args.email);
      deps.stdout.write(`Added ${args.email} to ${args.group}.\n`);
      return 0;
    case 'rm-member':
      await api.removeGroupMember(args.group, args.email);
      deps.stdout.write(`Removed ${args.email} from ${args.group}.\n`);
      return 0;
  }
}
