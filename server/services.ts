/**
 * The composition root: opens the store, prepares the data dir, wires the broker with its
 * dialers and the hooks that persist connection states, recordings and audit events. Never binds
 * a port and never exits; `main` does that.
 */
import { mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore, type Store } from './store/store';
import type { Config } from './config';
import { loadTls, type TlsMaterial } from './tls';
import { ensureInitialized } from './bootstrap';
import { createSqliteAuditLog } from './audit/sqlite-audit-log';
import type { AuditLog } from './audit/types';
import { LoginLimiter } from './auth/login-limiter';
import { SessionBroker } from '../gateway/session-broker';
import type { ConnectionHooks } from '../gateway/live-connection';
import type { Dialer } from '../gateway/types';
import { createLocalDialer } from '../gateway/local/local-dialer';
import { AgentHub } from '../gateway/agent/agent-hub';
import { createAgentDialer } from '../gateway/agent/agent-dialer';
import { createLoopPacer, type EventLoopPriority } from './event-loop-priority';
import { removeTarget, sweepAgentTargets } from './targets/target-removal';
import type { TargetRow } from './store/targets-repo';
import type { AuditContext } from './audit/types';
import { createAsciicastSink } from '../recorder/asciicast-sink';
import { onlcrTap } from '../recorder/onlcr-tap';
import { createCommandDetector } from '../recorder/command-detector';
import { recoverAfterCrash } from './recovery';
import { commandLogTaps } from './commands/command-log';
import { createJitService, type JitService } from './jit/jit-service';
import { startSlack, type SlackApp } from './jit/slack-app';

export interface Services {
  config: Readonly<Config>;
  store: Store;
  audit: AuditLog;
  broker: SessionBroker;
  /** Connected remote agents and their presence. */
  agents: AgentHub;
  limiter: LoginLimiter;
  tls: TlsMaterial | null;
  recordingsDir: string;
  /** Set when this start created the bootstrap admin. */
  bootstrapPassword: string | null;
  log(msg: string): void;
  /** Just-in-time requests and grants (jit/jit-service.ts). */
  jit: JitService;
  /** The Slack app when configured (jit/slack-app.ts). */
  slack: SlackApp | null;
  /** Deletes a target: closes its live connections and its agent link, then the row (target-removal.ts). */
  removeTarget(target: TargetRow, reason: string, ctx: AuditContext): Promise<number>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** argv that starts the embedded agent serving the `local` target over stdio. */
  localAgentCommand: string[];
  log?: (msg: string) => void;
  /** Extra dialers (tests); the local and agent dialers are always present. */
  dialers?: Dialer[];
  /** How often the offline-removal sweep runs (default every minute). */
  sweepIntervalMs?: number;
  /** What applyEventLoopPriority gave this process (default normal: tests in one process). */
  loopPriority?: EventLoopPriority;
}

export function recordingPath(recordingsDir: string, connectionId: string, at: Date): string {
  const yyyy = String(at.getUTCFullYear());
  const mm = String(at.getUTCMonth() + 1).padStart(2, '0');
  return join(recordingsDir, yyyy, mm, `${connectionId}.cast`);
}

export async function createServices(config: Readonly<Config>, opts: ServiceOptions): Promise<Services> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`gatehouse: ${m}\n`));
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700);
  const recordingsDir = join(config.dataDir, 'recordings');
  await mkdir(recordingsDir, { recursive: true, mode: 0o750 });

  const store = await openStore(join(config.dataDir, 'gatehouse.db'), log);
  const audit = createSqliteAuditLog(store.db, log);
  const tls = config.tls.enabled ? await loadTls(config.dataDir, config.tls.cert, config.tls.key) : null;
  const { bootstrapPassword } = await ensureInitialized(store, { runningAsRoot: process.getuid?.() === 0 });
  const recovered = await recoverAfterCrash(store, log);
  audit.emit({ type: 'service.start', v: 1, outcome: 'success', recovered }, { actor: 'system', source: null });

  // Bulk output waits while the command writer is behind and the loop is busy, and at real-time
  // priority whenever the loop nears a whole core (gateway/output-pacer.ts).
  const pacer = createLoopPacer(opts.loopPriority ?? 'normal', config.eventLoop.maxBusy, () => store.commands.behind());
  const hooks: ConnectionHooks = {
    log,
    ...(pacer ? { pacer } : {}),
    async openTaps(spec, ctx) {
      const path = recordingPath(recordingsDir, spec.id, ctx.startedAt);
      const sink = createAsciicastSink({ path, recordInput: spec.permit.recordInput });
      await sink.start({
        width: ctx.size.cols,
        height: ctx.size.rows,
        timestamp: Math.floor(ctx.startedAt.getTime() / 1000),
        env: { TERM: ctx.term, SHELL: ctx.shell },
        title: `${spec.permit.targetUser}@${spec.permit.targetName} by ${spec.permit.email}`,
      });
      await store.recordings.create({ connectionId: spec.id, path, recordsInput: spec.permit.recordInput });
      // Closing the sink is the broker's; this wrapper also records where the file ended.
      const close = sink.close.bind(sink);
      sink.close = async () => {
        await close();
        const a = sink.artifact();
        await store.recordings.finish(spec.id, { sizeBytes: a.bytes, durationSeconds: a.durationSeconds, state: 'complete' });
        const failed = sink.failure;
        audit.emit(
          { type: 'recording.written', v: 1, outcome: failed ? 'failure' : 'success', connectionId: spec.id, bytes: a.bytes, ...(failed ? { reason: failed.message } : {}) },
          { actor: 'system', source: null },
        );
      };
      // A command without a pty wrote bare "\n": record it as a terminal would have shown it.
      const recording = spec.request.kind === 'exec' && !spec.request.pty ? onlcrTap(sink) : sink;
      const markerNonce = spec.request.kind === 'shell' ? (spec.request.markerNonce ?? null) : null;
      return [recording, ...commandLogTaps({ commands: store.commands, spec, startedAt: ctx.startedAt, size: ctx.size, recording: sink, detector: createCommandDetector, markerNonce })];
    },
    onState(id, change) {
      const done =
        change.state === 'closed'
          ? store.connections.close(id, change.reason, change.actor, change.exit?.code ?? null).then(() =>
              audit.emit({ type: 'connection.close', v: 1, outcome: 'success', connectionId: id, reason: change.reason, exitCode: change.exit?.code ?? null }, { actor: change.actor, source: null }),
            )
          : store.connections.setState(
              id,
              change.state,
              change.actor,
              change.state === 'disconnected'
                ? change.reason
                : `attached from ${change.client}${change.replaced ? ` (replacing ${change.replaced})` : ''}`,
            );
      done.catch((e: Error) => log(`connection ${id}: could not store state ${change.state}: ${e.message}`));
    },
  };

  const localDialer = createLocalDialer({ agentCommand: opts.localAgentCommand });
  const agents = new AgentHub({
    heartbeatMs: config.agents.heartbeatSeconds * 1000,
    offlineAfterMs: config.agents.offlineAfterSeconds * 1000,
    log,
  });
  const broker = new SessionBroker({ dialers: [localDialer, createAgentDialer(agents), ...(opts.dialers ?? [])], hooks, idleRetentionSeconds: config.sessions.idleRetentionSeconds });

  agents.onChange((c) => {
    const at = c.type === 'online' ? new Date() : c.lastSeen;
    store.targets.setLastSeen([c.targetId], at.toISOString()).catch((e: Error) => log(`agent ${c.agent.name}: could not store last_seen_at: ${e.message}`));
    if (c.type === 'offline') {
      audit.emit({ type: 'agent.disconnect', v: 1, outcome: 'success', target: c.agent.name, targetId: c.targetId, reason: c.reason }, { actor: 'system', source: null });
    }
  });

  const services: Services = {
    config,
    store,
    audit,
    broker,
    agents,
    limiter: new LoginLimiter(),
    tls,
    recordingsDir,
    bootstrapPassword,
    log,
    removeTarget: (target, reason, ctx) => removeTarget(services, target, reason, ctx),
    jit: null as unknown as JitService, // set just below: it needs the finished services
    slack: null,
    async close() {
      clearInterval(sweeper);
      await slack?.stop();
      await services.jit.stop();
      await sweeping;
      await broker.closeAll('service stopping');
      pacer?.close();
      await agents.close('service stopping');
      await localDialer.close();
      await audit.flush();
      await store.close();
    },
  };

  services.jit = createJitService(services);
  services.jit.start();
  // Slack is optional and outside the machine: it never delays the start nor stops the service.
  const slack = startSlack(services);
  services.slack = slack;

  // Offline removal (environments.offline_removal_seconds) and last_seen_at of online agents.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweeper = setInterval(() => {
    sweeping = sweeping
      .then(() => sweepAgentTargets(services))
      .catch((e: Error) => log(`agent sweep failed: ${e.message}`));
  }, opts.sweepIntervalMs ?? 60_000);
  sweeper.unref();
  return services;
}
