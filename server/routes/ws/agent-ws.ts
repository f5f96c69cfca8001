/**
 * `/ws/agent`: where remote agents dial in. No user authentication: the agent proves, at every
 * connect, that it holds the private key registered for its name (challenge–response, see
 * protocol/agent-frames.ts). The hub runs the handshake and owns the link afterwards.
 *
 * Refusals (unknown or deleted target, not an agent target, no or a wrong signature) close the
 * socket with 4401 "agent authentication failed" and are audited as `agent.auth` failures with
 * the source address; the agent is not told which check failed. Anything malformed closes only
 * that socket, with a logged reason.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AgentHello } from '../../../protocol/agent-frames';
import { webSocketTransport } from '../../../protocol/ws-transport';
import type { Services } from '../../services';
import { verifyAgentSignature } from '../../agents/agent-keys';

export function registerAgentWs(app: FastifyInstance, s: Services): void {
  app.get('/ws/agent', { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
    const source = req.ip;
    // Synchronously, before any await, so no message is missed.
    s.agents.accept(webSocketTransport(socket, { peer: 'the agent' }), {
      label: 'agent link',
      source,
      authenticate: async (hello: AgentHello, challenge: string) => {
        const ctx = { actor: `agent:${hello.name}`, source };
        const target = await s.store.targets.byAgentName(hello.name);
        let refused: string | null = null;
        if (!target) refused = 'no such target (never registered, or deleted)';
        else if (target.kind !== 'agent' || !target.agent_public_key) refused = `${target.name} is not an agent target`;
        else if (!hello.signature) refused = 'the hello carries no signature';
        else if (!verifyAgentSignature(target.agent_public_key, challenge, hello.name, hello.signature)) refused = 'wrong signature';
        if (refused || !target) {
          s.log(`agent ${hello.name} from ${source}: authentication failed: ${refused}`);
          s.audit.emit({ type: 'agent.auth', v: 1, outcome: 'failure', target: hello.name, reason: refused ?? 'unknown' }, ctx);
          return null;
        }
        s.audit.emit({ type: 'agent.connect', v: 1, outcome: 'success', target: target.name, targetId: target.id, hostname: hello.hostname, agentVersion: hello.agentVersion }, ctx);
        return target.id;
      },
    });
  });
}
