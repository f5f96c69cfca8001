import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';
import { exactWords } from '../subcommands';
import type { Action } from '../../../protocol/permit';

export interface RequestArgs {
  target: string;
  targetUser: string;
  action: Action;
  reason: string;
  duration: string | null;
  json: boolean;
}

export const requestCommand: CommandDef<RequestArgs> = {
  name: 'request',
  summary: 'ask for just-in-time access to a target',
  help: `usage: gate request TARGET --user TUSER --action shell|tunnel|copy --reason TEXT [--duration 30m] [--json]

Asks for temporary access that a just-in-time policy lets you request (gate request --help;
the web app's Requests page lists what you may ask for). Depending on the policy the request is
approved at once, or goes to its approvers (in Slack, the web app or gate requests approve).
Once approved, use it as usual (gate connect TUSER@TARGET) until it expires; connections that
depend on it are closed then.

options:
  --user TUSER      the target user (required)
  --action A        shell, tunnel or copy (required)
  --reason TEXT     why (required; approvers and the audit log see it)
  --duration D      how long, e.g. 30m or 2h (default and maximum: the policy's)
  --json            print the AccessRequestInfo object of the API
`,
  parse(argv) {
    const where = 'request';
    const p = parseCommandLine(where, argv, { user: { type: 'string' }, action: { type: 'string' }, reason: { type: 'string' }, duration: { type: 'string' }, json: { type: 'boolean' } } as const);
    const [target] = exactWords(where, p, ['TARGET']);
    const v = p.values;
    if (!v.user) throw new UsageError('gate request needs --user TUSER', where);
    if (v.action !== 'shell' && v.action !== 'tunnel' && v.action !== 'copy') throw new UsageError('gate request needs --action shell, tunnel or copy', where);
    if (!v.reason?.trim()) throw new UsageError('gate request needs --reason TEXT: approvers see why you need it', where);
    if (v.duration !== undefined && !/^(\d+[dhms])+$/.test(v.duration)) throw new UsageError(`--duration takes a duration like 30m or 2h, not ${JSON.stringify(v.duration)}`, where);
    return { target: target!, targetUser: v.user, action: v.action, reason: v.reason.trim(), duration: v.duration ?? null, json: v.json === true };
  },
};
