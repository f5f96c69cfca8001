import type { AccessRequestInfo } from '../../../protocol/api-types';
import type { Deps } from '../../deps';
import { localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { RequestsArgs } from './requests.command';

const minutes = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

/** One line saying where a request stands, for `gate request` and the decisions. */
export function describeRequest(r: AccessRequestInfo): string {
  const what = `${r.action} on ${r.target} as ${r.targetUser} for ${minutes(r.durationSeconds)}`;
  switch (r.state) {
    case 'pending':
      return `Request ${r.id} (${what}) is waiting for approval (policy ${r.policy}); it lapses at ${localTime(r.expiresAt)} if nobody answers.`;
    case 'approved':
      return `Request ${r.id} approved by ${r.decidedBy}: ${what}, until ${localTime(r.expiresAt)} (${r.grantPolicy}).`;
    case 'denied':
      return `Request ${r.id} denied by ${r.decidedBy}${r.decisionReason ? `: ${r.decisionReason}` : ''}.`;
    case 'expired':
      return `Request ${r.id} expired: nobody answered in time.`;
  }
}

export async function requestsHandler(deps: Deps, args: RequestsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const now = Date.now();
      const all = await api.requests();
      const shown = args.all ? all : all.filter((r) => r.state === 'pending' || (r.state === 'approved' && Date.parse(r.expiresAt) > now));
      writeList(deps, shown, {
        json: args.json,
        empty: args.all ? 'No requests.' : 'No pending requests or live grants (gate requests ls --all shows the rest).',
        header: ['', 'ID', 'STATE', 'REQUESTER', 'ACCESS', 'FOR', 'REASON', 'UNTIL'],
        rows: (rs) => rs.map((r) => [r.canDecide ? '*' : '', r.id, r.state, r.requester, `${r.action} ${r.targetUser}@${r.target}`, minutes(r.durationSeconds), r.reason, localTime(r.expiresAt)]),
      });
      return 0;
    }
    case 'approve':
      deps.stdout.write(`${describeRequest(await api.approveRequest(args.id))}\n`);
      return 0;
    case 'deny':
      deps.stdout.write(`${describeRequest(await api.denyRequest(args.id, args.reason))}\n`);
      return 0;
  }
}
