import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type KeysArgs =
  | { sub: 'ls'; json: boolean }
  | { sub: 'create'; name: string; registration: boolean; json: boolean }
  | { sub: 'rm'; id: string };

const SUBS = ['ls', 'create', 'rm'] as const;

const { help, subcommands } = subcommandHelp('keys', 'API keys (admins only): sent as X-API-KEY: ID:SECRET; the secret is shown once.', [
  {
    name: 'ls',
    usage: 'gate keys ls [--json]',
    summary: 'list API keys (never their secrets)',
    details: `Lists API keys: id, name, kind (registration: can only register agents; api: acts with
the permissions policies give it), who created it and when, and when it was last used.

options:
  --json    print the ApiKeyInfo objects of the API`,
  },
  {
    name: 'create',
    usage: 'gate keys create --name N [--registration] [--json]',
    summary: 'create an API key and print its secret, once',
    details: `Creates an API key and prints its id and secret. The service keeps only a hash: the
secret cannot be shown again.

options:
  --name N          what the key is for (required)
  --registration    a registration key: it can register agents (gatehouse agent
                    --registration-key ID:SECRET) and do nothing else
  --json            print the CreatedApiKey object of the API (with the secret)`,
  },
  { name: 'rm', usage: 'gate keys rm ID', summary: 'delete an API key', details: 'Deletes the API key; requests with it are refused from then on.' },
]);

export const keysCommand: CommandDef<KeysArgs> = {
  name: 'keys',
  summary: 'admin: list, create and delete API keys',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('keys', argv, SUBS);
    const where = `keys ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'create': {
        const p = parseCommandLine(where, rest, { name: { type: 'string' }, registration: { type: 'boolean' }, json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        const name = p.values.name?.trim();
        if (!name) throw new UsageError('gate keys create needs --name N', where);
        return { sub, name, registration: p.values.registration === true, json: p.values.json === true };
      }
      case 'rm': {
        const [id] = exactWords(where, parseCommandLine(where, rest, {}), ['ID']);
        return { sub, id: id! };
      }
    }
  },
};
