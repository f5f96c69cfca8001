import { noPositionals, parseCommandLine, type CommandDef } from '../command';

export interface LsArgs {
  json: boolean;
  env: string | null;
}

export const lsCommand: CommandDef<LsArgs> = {
  name: 'ls',
  summary: 'list the targets you may use (admins: every target)',
  help: `usage: gate ls [--json] [--env ENVIRONMENT]

Lists targets with their kind, status, environment, the target users you may act as and the
actions you may take.

options:
  --env E   only targets in environment E
  --json    print the TargetInfo objects of the API
`,
  parse(argv) {
    const p = parseCommandLine('ls', argv, { json: { type: 'boolean' }, env: { type: 'string' } } as const);
    noPositionals('ls', p);
    return { json: p.values.json === true, env: p.values.env ?? null };
  },
};
