/**
 * The dialer of `agent` targets: opens streams on the target's link in the AgentHub. A target
 * whose agent is not connected is unavailable ("target offline"); nothing is queued for it.
 */
import { GatehouseError } from '../../protocol/errors';
import { abortError } from './agent-link';
import type { AgentHub } from './agent-hub';
import { TARGET_OFFLINE } from './agent-hub';
import { toOpenSpec } from './open-spec';
import type { Channel, Dialer, OpenRequest, TargetRef } from '../types';

export function createAgentDialer(hub: AgentHub): Dialer {
  return {
    targetKind: 'agent',
    async open(target: TargetRef, request: OpenRequest, signal: AbortSignal): Promise<Channel> {
      if (signal.aborted) throw abortError(signal);
      const link = hub.get(target.id);
      if (!link) throw new GatehouseError('TARGET_UNAVAILABLE', TARGET_OFFLINE);
      return link.open(toOpenSpec(request), signal);
    },
  };
}
