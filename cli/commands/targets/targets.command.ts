import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type TargetsArgs =
  | { sub: 'ls'; json: boolean }
  | { sub: 'rm'; name: string }
  | { sub: 'rename'; name: string; newName: string }
  | { sub: 'set-env'; name: string; environment: string };

const SUBS = ['ls', 'rm', 'rename', 'set-env'] as const;

const { help, subcommands } = subcommandHelp('targets', 'Targets (admins only): the hosts and services Gatehouse reaches.', [
  {
    name: 'ls',
    usage: 'gate targets ls [--json]',
    summary: 'list every target with its kind, status and environment',
    details: `Lists every target: name, kind (agent, ssh, local, proxy), status (online, offline),
environment and id.

options:
  --json    print the TargetInfo objects of the API`,
  },
  {
    name: 'rm',
    usage: 'gate targets rm NAME',
    summary: 'delete a target (closes its connections)',
    details: `Deletes the target; its live connections are closed. An agent that comes back must
register again with a registration key.`,
  },
  {
    name: 'rename',
    usage: 'gate targets rename NAME NEWNAME',
    summary: 'rename a target',
    details: 'Renames the target. Policies that name the old name do not follow: update them too.',
  },
  {
    name: 'set-env',
    usage: 'gate targets set-env NAME ENV',
    summary: 'move a target to another environment',
    details: 'Moves the target to environment ENV; policies by environment apply from then on.',
  },
]);

export const targetsCommand: CommandDef<TargetsArgs> = {
  name: 'targets',
  summary: 'admin: list, delete, rename targets and move them between environments',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('targets', argv, SUBS);
    const where = `targets ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'rm': {
        const [name] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME']);
        return { sub, name: name! };
      }
      case 'rename': {
        const [name, newName] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME', 'NEWNAME']);
        return { sub, name: name!, newName: newName! };
      }
      case 'set-env': {
        const [name, environment] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME', 'ENV']);
        return { sub, name: name!, environment: environment! };
      }
    }
  },
};
