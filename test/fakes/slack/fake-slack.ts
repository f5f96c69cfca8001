/**
 * A fake Slack workspace on 127.0.0.1 that the real `@slack/web-api` WebClient and
 * `@slack/socket-mode` SocketModeClient talk to: the Web API under `apiUrl` (`…/api/`), Socket
 * Mode websockets under `/link/`, response_urls under `/hooks/`, all on one port.
 *
 * Tests act as people in Slack through the driver methods (`slashCommand`, `clickButton`,
 * `submitView`, `closeView`), as Slack's infrastructure through `redeliver`, `disconnect`,
 * `dropSocket`, `stallSocket`, `failNext`, `revokeToken`, and read what the app did through the
 * query methods (`messagesIn`, `dmsTo`, `ephemeralsTo`, `openedViews`, `reactionsOn`, `acks`,
 * `calls`). Query methods return copies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomInt } from 'node:crypto';
import type {
  AckRecord, ApiCall, ChannelState, ConnectionInfo, Envelope, FakeEphemeral, FakeSlackOptions, FakeView, InjectedFailure, InputValue, Json,
  Reaction, ResolvedOptions, Sent, SlackMessage, SlackUser, UserRef, ViewSubmissionResult,
} from './types';
import { Workspace } from './workspace';
import { hex } from './ids';
import { ResponseUrls } from './response-urls';
import { WebApi } from './web-api';
import { SocketModeServer } from './socket-mode';
import { applyAck, type Interaction } from './ack-effects';
import { findElements, allOptions, type FoundElement } from './block-kit';
import { buildStateValues } from './view-state';
import { actionObj, blockActionsPayload, slashCommandPayload, viewClosedPayload, viewSubmissionPayload } from './payloads';

function resolveOptions(o: FakeSlackOptions): ResolvedOptions {
  const digits = () => String(randomInt(1e11, 1e12));
  return {
    ackDeadlineMs: o.ackDeadlineMs ?? 3000,
    maxRedeliveries: o.maxRedeliveries ?? 3,
    triggerTtlMs: o.triggerTtlMs ?? 3000,
    pingIntervalMs: o.pingIntervalMs ?? 5000,
    disconnectGraceMs: o.disconnectGraceMs ?? 1000,
    lingerAfterClose: o.lingerAfterClose ?? true,
    maxConnections: o.maxConnections ?? 10,
    botToken: o.botToken ?? `xoxb-${digits()}-${digits()}-${hex(12)}`,
    appToken: o.appToken ?? `xapp-1-A0${hex(4).toUpperCase()}-${digits()}-${hex(32)}`,
    teamName: o.teamName ?? 'Fake Workspace',
    teamDomain: o.teamDomain ?? 'fake-workspace',
    botName: o.botName ?? 'gatehouse',
  };
}

export class FakeSlack {
  readonly options: ResolvedOptions;
  /** What the SDK takes as `slackApiUrl`: `http://127.0.0.1:PORT/api/`. */
  apiUrl = '';
  baseUrl = '';
  private wsBase = '';
  private readonly ws: Workspace;
  private readonly responseUrls: ResponseUrls;
  private readonly socket: SocketModeServer;
  private readonly webApi: WebApi;
  private readonly server: Server;
  private readonly interactions = new Map<string, Interaction>();

  constructor(options: FakeSlackOptions = {}) {
    this.options = resolveOptions(options);
    this.ws = new Workspace(this.options);
    this.responseUrls = new ResponseUrls(this.ws, () => this.baseUrl);
    this.socket = new SocketModeServer(this.options, this.ws.bot.appId, (t, p) => applyAck(this.ws, this.interactions.get(t.envelope.envelope_id), p));
    this.webApi = new WebApi({ ws: this.ws, options: this.options, openSocketUrl: () => this.socket.issueUrl(this.wsBase) }, this.options, this.responseUrls, () => {});
    this.server = createServer((req, res) => {
      this.webApi.handle(req, res).catch((e) => {
        console.error('fake Slack: request failed', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server.on('upgrade', (req, sock, head) => this.socket.handleUpgrade(req, sock, head));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.wsBase = `ws://127.0.0.1:${port}`;
    return this;
  }

  get botToken(): string {
    return this.options.botToken;
  }
  get appToken(): string {
    return this.options.appToken;
  }
  get team() {
    return { ...this.ws.team };
  }
  get bot() {
    return { ...this.ws.bot };
  }

  /** Change timing options on a running fake (e.g. a short ack deadline for one test). */
  configure(o: Pick<FakeSlackOptions, 'ackDeadlineMs' | 'maxRedeliveries' | 'triggerTtlMs' | 'disconnectGraceMs'>) {
    Object.assign(this.options, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
  }

  // ---- workspace set-up ----

  addUser(u: { email: string; name: string; realName?: string; isAdmin?: boolean; isOwner?: boolean }): SlackUser {
    return structuredClone(this.ws.addUser(u));
  }

  /** A channel created by a person (the bot is a member only with `withBot`). */
  addChannel(c: { name: string; isPrivate?: boolean; members: UserRef[]; withBot?: boolean }): { id: string; name: string } {
    const [creator, ...rest] = c.members.map((m) => this.ws.userRef(m).id);
    if (!creator) throw new Error('addChannel needs at least one member');
    const ch = this.ws.createChannel({ name: c.name, isPrivate: c.isPrivate ?? false, creator, members: [...rest, ...(c.withBot ? [this.ws.bot.userId] : [])] });
    return { id: ch.id, name: ch.name };
  }

  revokeToken(token: string) {
    this.webApi.revoke(token);
  }

  /** The next `times` calls of `method` fail this way (before token checks, as an edge proxy would). */
  failNext(method: string, failure: InjectedFailure, times = 1) {
    this.webApi.failNext(method, failure, times);
  }

  // ---- people acting in Slack ----

  slashCommand(user: UserRef, text: string, opts: { command?: string; channel?: string } = {}): Sent {
    const u = this.ws.userRef(user);
    const ch = opts.channel === undefined ? this.ws.general : this.channelOrThrow(opts.channel);
    if (!ch.members.has(u.id)) throw new Error(`${u.name} is not in channel ${ch.name}: Slack would not let them run a command there`);
    const triggerId = this.ws.issueTrigger(u.id);
    const responseUrl = this.responseUrls.issue('commands', { user: u.id, channel: ch.id });
    const payload = slashCommandPayload(this.ws, { user: u, channel: ch, command: opts.command ?? '/gatehouse', text, triggerId, responseUrl });
    return this.dispatch('slash_commands', payload, true, { kind: 'slash', user: u.id, channel: ch.id }, { triggerId, responseUrl });
  }

  /**
   * Click a button (or pick an option of a select/overflow by `value`) in a message, an ephemeral
   * message or an open modal. `value` also tells apart elements sharing an action_id across
   * blocks. By default the click must be possible in Slack: the element is in the current version
   * of the message, and the user can see it. `force` sends the click anyway (a stale client, a
   * forged payload): the target object is used as given.
   */
  clickButton(user: UserRef, target: SlackMessage | FakeEphemeral | FakeView, actionId: string, value?: string, opts: { force?: boolean } = {}): Sent {
    const u = this.ws.userRef(user);
    const force = opts.force === true;
    const triggerId = this.ws.issueTrigger(u.id);
    if ('kind' in target && target.kind === 'view') {
      const fv = this.ws.views.get(target.id);
      if (!fv) throw new Error(`no view ${target.id}`);
      if (!force && (fv.user !== u.id || !fv.open)) throw new Error(`view ${fv.id} is not open for ${u.name}`);
      const { found, picked } = this.pick(fv.view.blocks, actionId, value, `view ${fv.id}`);
      const stateValues = buildStateValues(fv.view.blocks, {}, { clientValidation: false });
      const payload = blockActionsPayload(this.ws, { user: u, surface: { kind: 'view', view: fv, stateValues }, triggerId, action: actionObj(found, this.ws.clock.next(), picked) });
      return this.dispatch('interactive', payload, false, { kind: 'other' }, { triggerId });
    }
    if ('kind' in target && target.kind === 'ephemeral') {
      const e = this.ws.ephemerals.find((x) => x.ts === target.ts && x.user === target.user);
      if (!force && (!e || e.deleted || e.user !== u.id)) throw new Error(`ephemeral ${target.ts} is not visible to ${u.name}`);
      const current = force || !e ? target : e;
      const ch = this.channelOrThrow(current.channel);
      const { found, picked } = this.pick(current.blocks, actionId, value, `ephemeral ${current.ts}`);
      const responseUrl = this.responseUrls.issue('actions', { user: u.id, channel: ch.id, source: { kind: 'ephemeral', ts: current.ts } });
      const payload = blockActionsPayload(this.ws, { user: u, surface: { kind: 'ephemeral', channel: ch, ephemeral: current, responseUrl }, triggerId, action: actionObj(found, this.ws.clock.next(), picked) });
      return this.dispatch('interactive', payload, false, { kind: 'other' }, { triggerId, responseUrl });
    }
    const msg = target as SlackMessage;
    const ch = this.channelOrThrow(msg.channel);
    const stored = this.ws.message(ch.id, msg.ts);
    if (!force && !stored) throw new Error(`message ${msg.ts} is not in ${ch.name}`);
    if (!force && !ch.members.has(u.id)) throw new Error(`${u.name} cannot see ${ch.isIm ? 'a DM of someone else' : ch.name}`);
    const current = force || !stored ? msg : stored;
    const { found, picked } = this.pick(current.blocks, actionId, value, `message ${current.ts}`);
    const responseUrl = this.responseUrls.issue('actions', { user: u.id, channel: ch.id, source: { kind: 'message', ts: current.ts } });
    const payload = blockActionsPayload(this.ws, { user: u, surface: { kind: 'message', channel: ch, message: current, responseUrl }, triggerId, action: actionObj(found, this.ws.clock.next(), picked) });
    return this.dispatch('interactive', payload, false, { kind: 'other' }, { triggerId, responseUrl });
  }

  /**
   * Submit an open modal. `values` is keyed by block_id (or action_id): a text, an option value,
   * option values, or null; unnamed inputs keep their initial values. Resolves when the app acks
   * (or the deadline passes) with the ack's `response_action` / `errors` and the view afterwards.
   * Throws ClientRefusedSubmission when Slack's client would not submit (required input empty…),
   * unless `skipClientValidation`.
   */
  async submitView(user: UserRef, view: string | FakeView, values: Record<string, InputValue> = {}, opts: { skipClientValidation?: boolean } = {}): Promise<ViewSubmissionResult> {
    const u = this.ws.userRef(user);
    const id = typeof view === 'string' ? view : view.id;
    const fv = this.ws.views.get(id);
    if (!fv || !fv.open || fv.user !== u.id) throw new Error(`view ${id} is not open for ${u.name}`);
    fv.view.state = { values: buildStateValues(fv.view.blocks, values, { clientValidation: opts.skipClientValidation !== true }) };
    const triggerId = this.ws.issueTrigger(u.id);
    const sent = this.dispatch('interactive', viewSubmissionPayload(this.ws, { user: u, view: fv, triggerId }), true, { kind: 'view_submission', user: u.id, viewId: id }, { triggerId });
    const ack = await new Promise<AckRecord | null>((resolve) => {
      const onAck = (a: AckRecord) => a.envelope_id === sent.envelopeId && done(a);
      const onDeadline = (eid: string) => eid === sent.envelopeId && done(null);
      const onClosed = () => done(null);
      const done = (a: AckRecord | null) => {
        this.socket.off('ack', onAck);
        this.socket.off('deadline', onDeadline);
        this.socket.off('closed', onClosed);
        resolve(a);
      };
      this.socket.on('ack', onAck);
      this.socket.on('deadline', onDeadline);
      this.socket.on('closed', onClosed);
    });
    return {
      envelope: sent.envelope,
      ack,
      responseAction: ack?.payload?.response_action ?? null,
      errors: ack?.payload?.response_action === 'errors' ? (ack.payload.errors ?? null) : null,
      view: structuredClone(this.ws.views.get(id) as FakeView),
    };
  }

  /** The user closes a modal (×/Cancel); Slack tells the app only if the view asked (`notify_on_close`). */
  closeView(user: UserRef, view: string | FakeView): Sent | null {
    const u = this.ws.userRef(user);
    const fv = this.ws.views.get(typeof view === 'string' ? view : view.id);
    if (!fv || !fv.open || fv.user !== u.id) throw new Error(`view is not open for ${u.name}`);
    this.ws.closeView(fv, 'user');
    if (!fv.view.notify_on_close) return null;
    return this.dispatch('interactive', viewClosedPayload(this.ws, { user: u, view: fv }), false, { kind: 'other' }, {});
  }

  // ---- Slack's infrastructure ----

  /** Send an envelope again: same envelope_id, retry_attempt + 1, retry_reason 'timeout'. */
  redeliver(envelope: Envelope | string): Envelope {
    return structuredClone(this.socket.redeliver(typeof envelope === 'string' ? envelope : envelope.envelope_id));
  }

  /** Send `{type: 'disconnect', reason}` on every open socket; resolves when they have closed. */
  disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets' = 'refresh_requested'): Promise<void> {
    return this.socket.disconnect(reason);
  }

  /** Cut every open socket without a close frame. */
  dropSocket() {
    this.socket.drop();
  }

  /** Leave sockets open but unresponsive (half-open link): only the client's pong watchdog notices. */
  stallSocket() {
    this.socket.stall();
  }

  // ---- what happened ----

  messagesIn(channel: string): SlackMessage[] {
    const ch = this.ws.channels.get(channel) ?? this.ws.channelByName(channel);
    return structuredClone(ch?.messages.filter((m) => !m.deleted) ?? []);
  }

  /** Messages the app posted in its DM with this user. */
  dmsTo(user: UserRef): SlackMessage[] {
    const id = typeof user === 'string' ? user : user.id;
    const im = [...this.ws.channels.values()].find((c) => c.isIm && c.user === id);
    return im ? this.messagesIn(im.id) : [];
  }

  ephemeralsTo(user: UserRef): FakeEphemeral[] {
    const id = typeof user === 'string' ? user : user.id;
    return structuredClone(this.ws.ephemerals.filter((e) => e.user === id && !e.deleted));
  }

  /** Every modal ever opened (closed ones too: see `open`), oldest first. */
  openedViews(user?: UserRef): FakeView[] {
    const id = user === undefined ? undefined : typeof user === 'string' ? user : user.id;
    return structuredClone([...this.ws.views.values()].filter((v) => id === undefined || v.user === id));
  }

  reactionsOn(channel: string, ts: string): Reaction[] {
    const ch = this.ws.channels.get(channel) ?? this.ws.channelByName(channel);
    return structuredClone(ch?.messages.find((m) => m.ts === ts)?.reactions ?? []);
  }

  acks(): AckRecord[] {
    return this.socket.acks();
  }

  /** Every envelope sent on a socket, redeliveries included, in order. */
  envelopes(): Envelope[] {
    return this.socket.envelopes();
  }

  /** Web API calls received (tokens left out), optionally for one method. */
  calls(method?: string): ApiCall[] {
    return structuredClone(this.webApi.calls.filter((c) => method === undefined || c.method === method));
  }

  connections(): ConnectionInfo[] {
    return this.socket.connections();
  }

  user(idOrEmail: string): SlackUser | undefined {
    const u = this.ws.users.get(idOrEmail) ?? this.ws.userByEmail(idOrEmail);
    return u && structuredClone(u);
  }

  channel(idOrName: string): { id: string; name: string; isPrivate: boolean; isIm: boolean; members: string[]; creator: string } | undefined {
    const ch = this.ws.channels.get(idOrName) ?? this.ws.channelByName(idOrName);
    return ch && { id: ch.id, name: ch.name, isPrivate: ch.isPrivate, isIm: ch.isIm, members: [...ch.members], creator: ch.creator };
  }

  /** Poll until `predicate` returns something truthy; resolves with it. */
  async waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      if (Date.now() > until) throw new Error(`fake Slack: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  waitForAck(envelopeId: string, timeoutMs = 5000): Promise<AckRecord> {
    return this.waitFor(() => this.socket.acks().find((a) => a.envelope_id === envelopeId), timeoutMs, `an ack of ${envelopeId}`);
  }

  /** Wait until `n` sockets have said hello in total (not necessarily still open). */
  waitForConnections(n: number, timeoutMs = 5000): Promise<ConnectionInfo[]> {
    return this.waitFor(() => (this.socket.connections().length >= n ? this.socket.connections() : null), timeoutMs, `${n} Socket Mode connections`);
  }

  async close(): Promise<void> {
    await this.socket.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- internals ----

  private channelOrThrow(idOrName: string): ChannelState {
    const ch = this.ws.channels.get(idOrName) ?? this.ws.channelByName(idOrName);
    if (!ch) throw new Error(`no channel ${idOrName} in the fake workspace`);
    return ch;
  }

  private pick(blocks: Json[] | undefined, actionId: string, value: string | undefined, where: string): { found: FoundElement; picked?: Json } {
    const all = findElements(blocks, actionId);
    const matches = value === undefined ? all : all.filter((f) => f.element.value === value || allOptions(f.element).some((o: Json) => o?.value === value));
    if (matches.length === 0) throw new Error(`no element with action_id ${actionId}${value !== undefined ? ` and value ${value}` : ''} in ${where}`);
    if (matches.length > 1) throw new Error(`${matches.length} elements with action_id ${actionId} in ${where}: pass the value to choose`);
    const found = matches[0] as FoundElement;
    const picked = found.element.type === 'button' ? undefined : allOptions(found.element).find((o: Json) => o?.value === value);
    return picked === undefined ? { found } : { found, picked };
  }

  private dispatch(type: Envelope['type'], payload: Json, accepts: boolean, interaction: Interaction, extra: { triggerId?: string; responseUrl?: string }): Sent {
    const t = this.socket.send(type, payload, accepts);
    const id = t.envelope.envelope_id;
    this.interactions.set(id, interaction);
    return { envelope: structuredClone(t.envelope), envelopeId: id, ...extra, waitForAck: (ms?: number) => this.waitForAck(id, ms) };
  }
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  return new FakeSlack(options).listen();
}
