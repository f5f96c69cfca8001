import type { PolicyDoc } from '../../../protocol/api-types';
import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { ApiError } from '../../services/api-transport';
import { json, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import { policyYaml, readPolicyFile } from '../../services/policy-file';
import type { PoliciesArgs } from './policies.command';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The columns of `policies ls` for any kind, read loosely: the service may know kinds (and
 * fields) this client does not, and a listing must not break on them.
 */
function columns(doc: PolicyDoc): string[] {
  const d = doc as unknown as Record<string, unknown>;
  const subj = (typeof d.subjects === 'object' && d.subjects !== null ? d.subjects : {}) as Record<string, unknown>;
  const subjects = [...strings(subj.users), ...strings(subj.groups).map((g) => `group:${g}`), ...strings(subj.apiKeys).map((k) => `key:${k}`)];
  const where = [...strings(d.targets), ...strings(d.environments).map((e) => `env:${e}`)];
  const as = strings(d.targetUsers).join(',');
  let grants: string;
  switch (d.kind) {
    case 'target_access':
      grants = `${strings(d.actions).join(',')} as ${as}`;
      break;
    case 'proxy':
      grants = `proxy as ${as}`;
      break;
    case 'session_recording':
      grants = d.recordInput === true ? 'record output and input' : 'record output';
      break;
    case 'just_in_time':
      grants = `may request ${strings(d.actions).join(',')} as ${as} (${String(d.approval ?? '?')}, ${String(d.duration ?? '?')})`;
      break;
    default:
      grants = '';
  }
  return [String(d.name), String(d.kind), subjects.join(','), where.join(','), grants];
}

/** The service names the bad document by index (`[1].actions: …`); add its name when it has one. */
function describeBadDocument(file: string, message: string, docs: Record<string, unknown>[]): string {
  const i = /^\[(\d+)\]/.exec(message)?.[1];
  const name = i !== undefined ? docs[Number(i)]?.name : undefined;
  return `${file}: ${message}${typeof name === 'string' ? ` (policy ${name})` : ''}; nothing was applied`;
}

export async function policiesHandler(deps: Deps, args: PoliciesArgs): Promise<number> {
  // Read the file before anything else: a broken file is reported even when not logged in.
  const docs = args.sub === 'apply' ? await readPolicyFile(args.file) : null;
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const policies = (await api.policies()).sort((a, b) => a.name.localeCompare(b.name));
      writeList(deps, policies, {
        json: args.json,
        empty: 'No policies: everything is denied.',
        header: ['NAME', 'KIND', 'SUBJECTS', 'TARGETS', 'GRANTS'],
        rows: (ps) => ps.map(columns),
      });
      return 0;
    }
    case 'show': {
      const policy = await api.policy(args.name);
      deps.stdout.write(args.json ? json(policy) : policyYaml(policy));
      return 0;
    }
    case 'apply': {
      let res;
      try {
        res = await api.applyPolicies(docs!);
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) throw new CliError(describeBadDocument(args.file, e.message, docs!), { cause: e });
        throw e;
      }
      for (const w of res.warnings) deps.stderr.write(`warning: ${w}\n`);
      if (args.json) {
        deps.stdout.write(json(res));
        return 0;
      }
      for (const a of res.applied) deps.stdout.write(`${a.created ? 'created' : 'replaced'} policy ${a.name}\n`);
      return 0;
    }
    case 'rm':
      await api.deletePolicy(args.name);
      deps.stdout.write(`Deleted policy ${args.name}.\n`);
      return 0;
  }
}
