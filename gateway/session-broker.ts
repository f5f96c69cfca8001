/**
 * The registry of live connections and the dialers that open them. The only place connections
 * are added or removed; it knows nothing about HTTP or storage (the hooks do).
 */
import { GatehouseError } from '../protocol/errors';
import type { TargetKind } from '../protocol/api-types';
import type { Dialer } from './types';
import { LiveConnection, type ConnectionHooks, type ConnectionSpec } from './live-connection';

export interface BrokerOptions {
  dialers: Dialer[];
  hooks: ConnectionHooks;
  idleRetentionSeconds: number;
}

export class SessionBroker {
  private readonly live = new Map<string, LiveConnection>();
  private readonly dialers = new Map<TargetKind, Dialer>();

  constructor(private readonly opts: BrokerOptions) {
    for (const d of opts.dialers) this.dialers.set(d.targetKind, d);
  }

  /** Registers a connection; nothing is dialed until the first client attaches. */
  register(spec: ConnectionSpec): LiveConnection {
    const dialer = this.dialers.get(spec.target.kind);
    if (!dialer) throw new GatehouseError('TARGET_UNAVAILABLE', `no dialer for ${spec.target.kind} targets`);
    const conn = new LiveConnection(spec, this.opts.hooks, (signal) => dialer.open(spec.target, spec.request, signal), this.opts.idleRetentionSeconds * 1000);
    this.live.set(spec.id, conn);
    void conn.closed.then(() => this.live.delete(spec.id));
    return conn;
  }

  get(id: string): LiveConnection | undefined {
    return this.live.get(id);
  }

  list(): LiveConnection[] {
    return [...this.live.values()];
  }

  /** Closes every live connection with `reason` and waits until each has finished its taps. */
  async closeAll(reason: string): Promise<void> {
    const all = this.list();
    for (const c of all) c.close(reason, 'system');
    await Promise.all(all.map((c) => c.closed));
  }
}
