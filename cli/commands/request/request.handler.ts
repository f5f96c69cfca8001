import type { Deps } from '../../deps';
import { json } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import { describeRequest } from '../requests/requests.handler';
import type { RequestArgs } from './request.command';

export async function requestHandler(deps: Deps, args: RequestArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const r = await api.createRequest({
    target: args.target,
    targetUser: args.targetUser,
    action: args.action,
    reason: args.reason,
    ...(args.duration ? { duration: args.duration } : {}),
  });
  deps.stdout.write(args.json ? json(r) : `${describeRequest(r)}\n`);
  return 0;
}
