import { UsageError } from '../../cli-errors';
import { policyFileFormat } from '../../services/policy-file';
import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type PoliciesArgs =
  | { sub: 'ls'; json: boolean }
  | { sub: 'show'; name: string; json: boolean }
  | { sub: 'apply'; file: string; json: boolean }
  | { sub: 'rm'; name: string };

const SUBS = ['ls', 'show', 'apply', 'rm'] as const;

const { help, subcommands } = subcommandHelp(
  'policies',
  `Policies (admins only). Everything is denied unless a policy allows it. A policy document:

  {"name": "ops-shell", "kind": "target_access",
   "subjects": {"users": ["alice@example.com"], "groups": ["ops"], "apiKeys": []},
   "targets": ["web-1"], "environments": ["prod"],
   "actions": ["shell", "tunnel", "copy"], "targetUsers": ["{username}", "deploy"]}

kinds: target_access, proxy, session_recording, just_in_time (see SPEC §3).`,
  [
    {
      name: 'ls',
      usage: 'gate policies ls [--json]',
      summary: 'list policies: kind, subjects, where they apply, what they grant',
      details: `Lists every policy.

options:
  --json    print the policy documents, in the shape policies apply -f reads`,
    },
    {
      name: 'show',
      usage: 'gate policies show NAME [--json]',
      summary: 'print one policy as YAML (or JSON), ready to edit and apply again',
      details: `Prints the policy document as YAML, which gate policies apply -f reads back.

options:
  --json    print it as JSON (the same shape)`,
    },
    {
      name: 'apply',
      usage: 'gate policies apply -f FILE.(json|yaml|yml) [--json]',
      summary: 'create or replace policies by name from a file, all or nothing',
      details: `Reads one policy document or an array of them (JSON or YAML; a YAML file may also hold
several --- documents) and creates or replaces each by name. If any document is wrong,
nothing of the file is applied and the error names the document ([INDEX]) and the field.
A reference to a user, group, target or environment that does not exist yet is accepted
with a warning (on stderr).

options:
  -f, --file FILE   the policy file: .json, .yaml or .yml
  --json            print the ApplyPoliciesResponse of the API ({applied, warnings})`,
    },
    { name: 'rm', usage: 'gate policies rm NAME', summary: 'delete a policy', details: 'Deletes the policy.' },
  ],
);

export const policiesCommand: CommandDef<PoliciesArgs> = {
  name: 'policies',
  summary: 'admin: list, show, apply (from JSON or YAML) and delete policies',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('policies', argv, SUBS);
    const where = `policies ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'show': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        const [name] = exactWords(where, p, ['NAME']);
        return { sub, name: name!, json: p.values.json === true };
      }
      case 'apply': {
        const p = parseCommandLine(where, rest, { file: { type: 'string', short: 'f' }, json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        const file = p.values.file;
        if (!file) throw new UsageError('gate policies apply needs -f FILE', where);
        if (!policyFileFormat(file)) throw new UsageError(`-f takes a .json, .yaml or .yml file, not ${JSON.stringify(file)}`, where);
        return { sub, file, json: p.values.json === true };
      }
      case 'rm': {
        const [name] = exactWords(where, parseCommandLine(where, rest, {}), ['NAME']);
        return { sub, name: name! };
      }
    }
  },
};
