/**
 * A remote agent's life: dial the service's `/ws/agent`, answer its challenge, serve the
 * AgentSession until the link ends, and dial again — forever, with jittered exponential
 * backoff (0.5 s doubling to 30 s, reset once a link has stayed up for a while), until stop().
 *
 * One line on the log per state change: connected, disconnected (with the reason), cannot
 * connect, retrying in N s. A refusal (4401 "agent authentication failed": the target was
 * deleted, or the key does not match) is retried like any other failure, since an admin may
 * register the agent again.
 */
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '../protocol/agent-frames';
import { AGENT_CLOSE } from '../protocol/close-codes';
import { webSocketTransport } from '../protocol/ws-transport';
import { AgentSession } from './agent-session';
import type { Identity } from './agent-state';
import type { TrustOptions } from './server-endpoint';

export interface RemoteAgentOptions {
  origin: string;
  wsUrl: string;
  trust: TrustOptions;
  name: string;
  hostname: string;
  agentVersion: string;
  identity: Identity;
  uid: number;
  log: (line: string) => void;
  backoff?: Partial<BackoffPolicy>;
  /** Appended to the line logged when the service refuses this agent (4401). */
  refusedHint?: string;
  /** Give up on a link the service has not accepted within this time. */
  acceptTimeoutMs?: number;
  random?: () => number;
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** A link that stayed up this long resets the backoff. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, resetAfterMs: 10_000 };

/** The delay before attempt `n` (0-based): base·2ⁿ, ±20 % jitter, never above the cap. */
export function backoffDelay(n: number, random: () => number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.min(p.capMs, p.baseMs * 2 ** Math.min(n, 30));
  return Math.min(p.capMs, Math.round(exp * (0.8 + 0.4 * random())));
}

interface Attempt {
  /** The service accepted us (the session started). */
  accepted: boolean;
  upMs: number;
  reason: string;
}

export class RemoteAgent {
  private stopping = false;
  private session: AgentSession | null = null;
  private ws: WebSocket | null = null;
  private wake: (() => void) | null = null;
  private readonly policy: BackoffPolicy;
  private readonly random: () => number;

  constructor(private readonly opts: RemoteAgentOptions) {
    this.policy = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.random = opts.random ?? Math.random;
  }

  /** Runs until stop(); resolves once the last link is gone and its runners are dead. */
  async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const a = await this.connectOnce();
      if (this.stopping) break;
      if (a.accepted) this.opts.log(`gatehouse agent: disconnected: ${a.reason}`);
      else this.opts.log(`gatehouse agent: cannot connect to ${this.opts.origin}: ${a.reason}`);
      if (a.accepted && a.upMs >= this.policy.resetAfterMs) failures = 0;
      const delay = backoffDelay(failures++, this.random, this.policy);
      this.opts.log(`gatehouse agent: retrying in ${(delay / 1000).toFixed(1)}s`);
      await this.sleep(delay);
    }
  }

  /** Ends the current link (killing everything it runs) and the loop. */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const session = this.session;
    if (session) await session.close(reason);
    else this.ws?.terminate();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private connectOnce(): Promise<Attempt> {
    const o = this.opts;
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      let session: AgentSession | null = null;
      let acceptedAt = 0;
      let closeCode = 0;
      let closeText = '';
      const finish = (reason: string) => {
        if (settled) return;
        settled = true;
        this.ws = null;
        this.session = null;
        resolve({ accepted: acceptedAt > 0, upMs: acceptedAt ? performance.now() - acceptedAt : 0, reason });
      };
      // `ws` hands the TLS options to tls.connect (its own typing of checkServerIdentity is narrower).
      // Zero masking key on wss: RFC 6455 masking protects plaintext proxies, which TLS already
      // excludes, and ws's JS masking loop was half the agent's CPU on bulk streams
      // (bench/RESULTS.md). Plain ws: (loopback only) keeps normal masking.
      const zeroMask = o.wsUrl.startsWith('wss:') ? { generateMask: (m: Buffer) => m.fill(0) } : {};
      const ws = new WebSocket(o.wsUrl, { ...o.trust, ...zeroMask, maxPayload: MAX_FRAME_BYTES + 4, handshakeTimeout: 15_000 } as WebSocket.ClientOptions);
      this.ws = ws;
      // Before 'open' these settle the attempt; after it, the session's transport has the socket.
      ws.on('error', (e) => {
        if (!session) finish(e.message);
      });
      ws.on('close', (code, reason) => {
        closeCode = code;
        closeText = reason.toString('utf8');
        if (!session) finish(`closed before it opened (${code})`);
      });
      ws.once('open', () => {
        if (this.stopping) return ws.close(1000, 'agent stopping');
        const s = new AgentSession(webSocketTransport(ws, { peer: 'the service' }), {
          name: o.name,
          hostname: o.hostname,
          agentVersion: o.agentVersion,
          identity: { uid: o.uid },
          log: o.log,
          sign: o.identity.sign,
          keepalive: { intervalMs: 15_000, timeoutMs: 45_000 },
          onAccepted: () => {
            acceptedAt = performance.now();
            clearTimeout(acceptTimer);
            o.log(`gatehouse agent: connected to ${o.origin} as ${o.name}`);
          },
        });
        session = s;
        this.session = s;
        const acceptMs = o.acceptTimeoutMs ?? 20_000;
        const acceptTimer = setTimeout(() => void s.close(`the service did not accept this agent within ${acceptMs / 1000}s`), acceptMs);
        s.start();
        void s.closed.then((reason) => {
          clearTimeout(acceptTimer);
          if (closeCode === AGENT_CLOSE.AUTH_FAILED) {
            reason = `the service refused this agent (${closeText || 'agent authentication failed'}): its target may have been deleted${o.refusedHint ? `; ${o.refusedHint}` : ''}`;
          }
          finish(reason);
        });
      });
    });
  }
}
