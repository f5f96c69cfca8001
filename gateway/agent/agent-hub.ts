/**
 * The connected remote agents: one AgentLink per target, its handshake, and its presence.
 *
 * What must stay true:
 * - A link is registered for a target only after its hello was verified (`authenticate` maps
 *   the hello to a target id, or refuses it). The newest verified link of a target replaces the
 *   previous one, which is closed with "replaced by a new connection".
 * - Presence: every link is pinged every `heartbeatMs`; a link from which no frame at all
 *   arrived for `offlineAfterMs` is closed with "target offline". When a link ends, every channel
 *   on it settles with the error "target offline" (whatever ended it; the detail is logged), so
 *   live connections close with that reason.
 * - `onChange` hears `online` when a link is registered and `offline` when the registered link
 *   of a target ends (a replaced link's end is not an offline); listeners never throw into us.
 * - A removed target (deleted) is refused from then on, even by a handshake already verifying.
 * - At most `maxPending` links may be in their handshake at once; more are closed at once.
 */
import { randomBytes } from 'node:crypto';
import type { AgentHello } from '../../protocol/agent-frames';
import { AGENT_AUTH_FAILED, AGENT_CLOSE } from '../../protocol/close-codes';
import type { FrameTransport } from '../../protocol/frame-transport';
import { AgentLink, type AgentInfo } from './agent-link';

export const TARGET_OFFLINE = 'target offline';
export const REPLACED = 'replaced by a new connection';

export interface AgentHubOptions {
  heartbeatMs: number;
  offlineAfterMs: number;
  log: (line: string) => void;
  /** Time allowed for the agent's hello and its verification. */
  helloTimeoutMs?: number;
  /** Credit granted to agents per stream for output. */
  window?: number;
  maxPending?: number;
}

export type HubChange =
  | { type: 'online'; targetId: string; agent: AgentInfo; replaced: boolean }
  | { type: 'offline'; targetId: string; agent: AgentInfo; reason: string; lastSeen: Date };

export interface AcceptOptions {
  /** For log lines until the agent is known, e.g. "agent link from 10.0.0.7". */
  label: string;
  /** Where the link comes from, for log lines. */
  source: string;
  /** Verifies the agent's hello (its signature over `challenge`); the target id, or null to refuse. */
  authenticate(hello: AgentHello, challenge: string): Promise<string | null>;
}

export class AgentHub {
  private readonly links = new Map<string, AgentLink>();
  private readonly pending = new Set<AgentLink>();
  /** Deleted targets; ids are never reused, so remembering them is enough to refuse them. */
  private readonly removed = new Set<string>();
  private readonly listeners = new Set<(c: HubChange) => void>();
  private closing = false;

  constructor(private readonly opts: AgentHubOptions) {}

  /** Runs the handshake on a new transport; the hub owns the link from now on. */
  accept(transport: FrameTransport, a: AcceptOptions): AgentLink {
    const challenge = randomBytes(32).toString('base64url');
    let targetId: string | null = null;
    const link = new AgentLink(transport, {
      label: a.label,
      log: this.opts.log,
      ...(this.opts.window ? { window: this.opts.window } : {}),
      helloTimeoutMs: this.opts.helloTimeoutMs ?? 10_000,
      keepalive: { intervalMs: this.opts.heartbeatMs, timeoutMs: this.opts.offlineAfterMs, deadReason: TARGET_OFFLINE, deadCode: AGENT_CLOSE.OFFLINE },
      channelEndReason: TARGET_OFFLINE,
      auth: {
        challenge,
        verify: async (hello) => {
          if (this.closing) return false;
          const id = await a.authenticate(hello, challenge);
          if (id === null || this.removed.has(id) || this.closing) return false;
          targetId = id;
          return true;
        },
      },
    });
    if (this.closing || this.pending.size >= (this.opts.maxPending ?? 256)) {
      link.close(this.closing ? 'the service is stopping' : 'too many agent handshakes in progress', AGENT_CLOSE.TRY_AGAIN_LATER);
      return link;
    }
    this.pending.add(link);
    void link.closed.then((reason) => {
      this.pending.delete(link);
      if (targetId === null || this.links.get(targetId) !== link) {
        this.opts.log(`${link.label} from ${a.source} closed: ${reason}`);
        return;
      }
      this.links.delete(targetId);
      this.opts.log(`${link.label} disconnected: ${reason}`);
      this.emit({ type: 'offline', targetId, agent: link.agent!, reason, lastSeen: link.lastSeen });
    });
    link.ready().then(
      (agent) => {
        this.pending.delete(link);
        const id = targetId!;
        link.label = `agent ${agent.name}`;
        if (this.removed.has(id)) return link.close(AGENT_AUTH_FAILED, AGENT_CLOSE.AUTH_FAILED);
        const previous = this.links.get(id);
        this.links.set(id, link);
        if (previous) previous.close(REPLACED, AGENT_CLOSE.REPLACED);
        this.opts.log(`${link.label} connected from ${a.source} (${agent.hostname}, agent ${agent.agentVersion})${previous ? '; it replaces the previous link' : ''}`);
        this.emit({ type: 'online', targetId: id, agent, replaced: !!previous });
      },
      () => undefined, // ended before it was ready: logged by `closed` above
    );
    return link;
  }

  /** The live link of a target, if its agent is connected. */
  get(targetId: string): AgentLink | undefined {
    const l = this.links.get(targetId);
    return l && !l.isClosed ? l : undefined;
  }

  isOnline(targetId: string): boolean {
    return this.get(targetId) !== undefined;
  }

  /** Target ids with a connected agent. */
  online(): string[] {
    return [...this.links.keys()].filter((id) => this.isOnline(id));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  onChange(fn: (c: HubChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The target is gone: close its link, and refuse its agent from now on. */
  remove(targetId: string, reason: string): void {
    this.removed.add(targetId);
    this.links.get(targetId)?.close(reason, AGENT_CLOSE.AUTH_FAILED);
  }

  /** Closes every link (the service stops); resolves when they have ended. */
  async close(reason: string): Promise<void> {
    this.closing = true;
    const all = [...this.links.values(), ...this.pending];
    for (const l of all) l.close(reason, 1001);
    await Promise.all(all.map((l) => l.closed));
  }

  private emit(c: HubChange): void {
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch (e) {
        this.opts.log(`agent hub: a listener failed on ${c.type}: ${(e as Error).message}`);
      }
    }
  }
}
