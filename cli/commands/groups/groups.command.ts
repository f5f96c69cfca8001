import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type GroupsArgs =
  | { sub: 'ls'; json: boolean }
  | { sub: 'add' | 'rm'; name: string }
  | { sub: 'add-member' | 'rm-member'; group: string; email: string };

const SUBS = ['ls', 'add', 'rm', 'add-member', 'rm-member'] as const;

const { help, subcommands } = subcommandHelp('groups', 'Groups of users (admins only); policies name groups as subjects.', [
  {
    name: 'ls',
    usage: 'gate groups ls [--json]',
    summary: 'list groups and their members',
    details: `Lists every group with its members (emails).

options:
  --json    print the GroupInfo objects of the API`,
  },
  { name: 'add', usage: 'gate groups add NAME', summary: 'create a group', details: 'Creates an empty group.' },
  {
    name: 'rm',
    usage: 'gate groups rm NAME',
    summary: 'delete a group',
    details: 'Deletes the group; its members lose what policies gave them through it.',
  },
  {
    name: 'add-member',
    usage: 'gate groups add-member GROUP EMAIL',
    summary: 'put a user in a group',
    details: 'Puts the user in the group. Both must exist.',
  },
  {
    name: 'rm-member',
    usage: 'gate groups rm-member GROUP EMAIL',
    summary: 'take a user out of a group',
    details: 'Takes the user out of the group.',
  },
]);

export const groupsCommand: CommandDef<GroupsArgs> = {
  name: 'groups',
  summary: 'admin: list, add and remove groups and their members',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('groups', argv, SUBS);
    const where = `groups ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'add':
      case 'rm': {
        const [name] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME']);
        return { sub, name: name! };
      }
      case 'add-member':
      case 'rm-member': {
        const [group, email] = exactWords(where, parseCommandLine(where, rest, {}), ['GROUP', 'EMAIL']);
        return { sub, group: group!, email: email! };
      }
    }
  },
};
