/**
 * `gatehouse agent --server URL --name NAME [...]`: a remote agent. Resolves with the exit code;
 * main exits.
 *
 * First run (no `server.json` for this service and name in the state dir): needs
 * --registration-key; creates the Ed25519 identity, pins the service's certificate when
 * --ca-fingerprint is given, registers (retrying while the service is unreachable; a refusal
 * ends with status 1), stores `server.json`, then connects. Later runs need no key: the
 * identity alone authenticates the agent, and a key still given (say, left in the unit's
 * environment file) is not used, so restarting an agent whose target an admin deleted does not
 * bring it back. To register again: remove `server.json` and start it with a key.
 */
import { hostname } from 'node:os';
import type { AgentArgs } from './agent-cli';
import { AGENT_VERSION } from './agent-cli';
import {
  DEFAULT_STATE_DIR, ensureStateDir, loadOrCreateIdentity, loadServerState, saveServerState,
  StateError, type ServerState,
} from './agent-state';
import { registerAgent, RegistrationError } from './registration';
import { backoffDelay, DEFAULT_BACKOFF, RemoteAgent } from './remote-agent';
import {
  fetchServerCertificate, normalizeFingerprint, parseServerUrl, trustOptions, wsUrlOf, type TlsPin,
} from './server-endpoint';

export interface ServerModeIo {
  log(line: string): void;
  /** Registers the function that stops the agent (SIGTERM, SIGINT). */
  onStop(fn: (why: string) => void): void;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const KEY_RE = /^gk_[a-z0-9]{12}:[A-Za-z0-9_-]{43}$/;

class UsageError extends Error {}
class FatalError extends Error {}

export async function runServerMode(args: Extract<AgentArgs, { mode: 'server' }>, io: ServerModeIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.log(`gatehouse agent: ${e.message}`);
      return 2;
    }
    if (e instanceof FatalError || e instanceof StateError) {
      io.log(`gatehouse agent: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function run(args: Extract<AgentArgs, { mode: 'server' }>, io: ServerModeIo): Promise<number> {
  const log = io.log;
  const endpoint = parseServerUrl(args.server);
  if ('error' in endpoint) throw new UsageError(endpoint.error);
  const wantPin = args.caFingerprint === undefined ? null : normalizeFingerprint(args.caFingerprint);
  if (args.caFingerprint !== undefined && !wantPin) throw new UsageError('--ca-fingerprint must look like sha256:HEX (64 hex digits), as gatehouse serve prints it');
  if (wantPin && !endpoint.secure) throw new UsageError('--ca-fingerprint needs an https:// service');
  if (args.name !== undefined && !NAME_RE.test(args.name)) throw new UsageError('--name must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  if (args.environment !== undefined && !NAME_RE.test(args.environment)) throw new UsageError('--environment must be 1-64 letters, digits, dots, dashes or underscores');
  const key = args.registrationKey;
  if (key !== undefined && !KEY_RE.test(key)) throw new UsageError('--registration-key must be ID:SECRET as gatehouse keys create --registration printed it');

  const stateDir = args.stateDir ?? DEFAULT_STATE_DIR;
  const stored = await loadServerState(stateDir);
  const sameServer = stored !== null && stored.server === endpoint.origin;
  const registered = sameServer && (args.name === undefined || args.name === stored!.name);
  if (!registered && key === undefined) {
    if (!stored) throw new UsageError('not registered yet: give --registration-key ID:SECRET');
    if (!sameServer) throw new UsageError(`registered with ${stored.server}, not ${endpoint.origin}: give --registration-key ID:SECRET to register with it`);
    throw new UsageError(`registered as ${stored.name}, not ${args.name}: give --registration-key ID:SECRET to register under the new name`);
  }
  const register = !registered;
  const name = args.name ?? stored?.name;
  if (!name) throw new UsageError('--name NAME is required');

  let stopped: string | null = null;
  let wake: (() => void) | null = null;
  let agent: RemoteAgent | null = null;
  let stopping: Promise<void> = Promise.resolve();
  io.onStop((why) => {
    if (stopped !== null) return;
    stopped = why;
    log(`gatehouse agent: ${why}; stopping`);
    wake?.();
    if (agent) stopping = agent.stop(`agent stopping (${why})`);
  });
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = null;
        resolve();
      }
      wake = done;
    });

  await ensureStateDir(stateDir);
  const { identity, created } = await loadOrCreateIdentity(stateDir);
  if (created) log(`gatehouse agent: created a new identity in ${stateDir}/identity.pem`);
  if (registered && key !== undefined) log(`gatehouse agent: already registered as ${name}; the registration key is not used`);

  // Trust: the pin given now, else the one stored for this service, else the system CAs.
  let pin: TlsPin | null = sameServer && stored!.fingerprint && stored!.certPem ? { fingerprint: stored!.fingerprint, certPem: stored!.certPem } : null;
  const needFetch = wantPin !== null && pin?.fingerprint !== wantPin;
  let state: ServerState | null = registered ? stored : null;

  for (let attempt = 0; needFetch || register; attempt++) {
    if (stopped !== null) return 0;
    try {
      if (needFetch && pin?.fingerprint !== wantPin) {
        const seen = await fetchServerCertificate(endpoint);
        if (seen.fingerprint !== wantPin) throw new FatalError(`the service's certificate fingerprint ${seen.fingerprint} does not match --ca-fingerprint`);
        pin = seen;
      }
      if (register) {
        const r = await registerAgent(endpoint, trustOptions(pin), key!, {
          name,
          hostname: hostname(),
          publicKey: identity.publicKeyPem,
          ...(args.environment ? { environment: args.environment } : {}),
        });
        log(`gatehouse agent: ${r.created ? 'registered' : 'already registered'} as ${r.name} with ${endpoint.origin}`);
        state = { server: endpoint.origin, name, targetId: r.targetId, environment: args.environment ?? null, fingerprint: null, certPem: null, registeredAt: new Date().toISOString() };
      }
      state = { ...state!, fingerprint: pin?.fingerprint ?? null, certPem: pin?.certPem ?? null };
      await saveServerState(stateDir, state);
      break;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      if (e instanceof RegistrationError && e.permanent) throw new FatalError(`registration refused: ${e.message}`);
      log(`gatehouse agent: cannot register with ${endpoint.origin}: ${(e as Error).message}`);
      const delay = backoffDelay(attempt, Math.random, DEFAULT_BACKOFF);
      log(`gatehouse agent: retrying in ${(delay / 1000).toFixed(1)}s`);
      await sleep(delay);
    }
  }
  if (stopped !== null) return 0;

  agent = new RemoteAgent({
    origin: endpoint.origin,
    wsUrl: wsUrlOf(endpoint),
    trust: trustOptions(pin),
    name,
    hostname: hostname(),
    agentVersion: AGENT_VERSION,
    identity,
    uid: process.getuid?.() ?? -1,
    log,
    refusedHint: `to register it again, remove ${stateDir}/server.json and start it with --registration-key`,
  });
  await agent.run();
  await stopping;
  return 0;
}
