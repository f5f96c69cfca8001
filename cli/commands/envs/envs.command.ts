import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type EnvsArgs =
  | { sub: 'ls'; json: boolean }
  /** offlineRemoval: a duration as typed, null for never, undefined for the service's default. */
  | { sub: 'add'; name: string; offlineRemoval: string | null | undefined }
  | { sub: 'rm'; name: string }
  | { sub: 'set-offline-removal'; name: string; offlineRemoval: string | null };

const SUBS = ['ls', 'add', 'rm', 'set-offline-removal'] as const;

/** `never` (any case) → null; a duration goes to the service as typed, which checks 1h..90d. */
const removal = (text: string): string | null => (text.trim().toLowerCase() === 'never' ? null : text.trim());

const { help, subcommands } = subcommandHelp(
  'envs',
  'Environments (admins only): every target is in one; policies may name environments instead of\ntargets, and offline agent targets of an environment are deleted after its offline-removal period.',
  [
    {
      name: 'ls',
      usage: 'gate envs ls [--json]',
      summary: 'list environments and their offline-removal periods',
      details: `Lists environments with their offline-removal period (never: offline targets are kept).

options:
  --json    print the EnvironmentInfo objects of the API`,
    },
    {
      name: 'add',
      usage: 'gate envs add NAME [--offline-removal DURATION|never]',
      summary: 'create an environment',
      details: `Creates an environment.

options:
  --offline-removal DURATION    delete its agent targets once offline this long: 1h to 90d
                                (12h, 7d, 1d12h), or never`,
    },
    {
      name: 'rm',
      usage: 'gate envs rm NAME',
      summary: 'delete an empty environment',
      details: 'Deletes the environment. It must have no targets (move them with gate targets set-env).',
    },
    {
      name: 'set-offline-removal',
      usage: 'gate envs set-offline-removal NAME DURATION|never',
      summary: 'set how long offline agent targets are kept',
      details: `Agent targets of the environment that stay offline for DURATION (1h to 90d: 12h, 7d,
1d12h) are deleted; never keeps them.`,
    },
  ],
);

export const envsCommand: CommandDef<EnvsArgs> = {
  name: 'envs',
  summary: 'admin: list, add and remove environments; set their offline-removal period',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('envs', argv, SUBS);
    const where = `envs ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'add': {
        const p = parseCommandLine(where, rest, { 'offline-removal': { type: 'string' } } as const);
        const [name] = exactWords(where, p, ['NAME']);
        const r = p.values['offline-removal'];
        return { sub, name: name!, offlineRemoval: r === undefined ? undefined : removal(r) };
      }
      case 'rm': {
        const [name] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME']);
        return { sub, name: name! };
      }
      case 'set-offline-removal': {
        const [name, r] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME', 'DURATION']);
        return { sub, name: name!, offlineRemoval: removal(r!) };
      }
    }
  },
};
