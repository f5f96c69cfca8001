/**
 * The fake workspace: one team, one app with its bot user, people, channels with their messages
 * and reactions, ephemeral messages, modals and trigger ids. Web API methods and test drivers
 * both go through it, so what a test does "as a human" and what the app does through the API
 * land in the same state.
 */
import type { Block, ChannelState, FakeEphemeral, FakeView, Json, ResolvedOptions, SlackMessage, SlackUser, SlackView, UserRef } from './types';
import { hex, slackId, triggerIdValue, TsClock } from './ids';

/** A Slack platform error: the method answers `{ ok: false, error, ...extra }`. */
export class SlackApiError extends Error {
  constructor(readonly error: string, readonly extra: Record<string, Json> = {}) {
    super(error);
  }
}

interface TriggerState {
  user: string;
  issuedAt: number;
  used: boolean;
}

const now = () => Date.now();
const epoch = () => Math.floor(Date.now() / 1000);

export class Workspace {
  readonly team: { id: string; name: string; domain: string };
  readonly bot: { userId: string; botId: string; appId: string; name: string };
  readonly users = new Map<string, SlackUser>();
  readonly channels = new Map<string, ChannelState>();
  readonly ephemerals: FakeEphemeral[] = [];
  readonly views = new Map<string, FakeView>();
  private readonly triggers = new Map<string, TriggerState>();
  readonly clock = new TsClock();
  readonly general: ChannelState;
  /** The legacy `token` field Slack still puts in every payload. */
  readonly verificationToken = hex(12);

  constructor(private readonly opts: ResolvedOptions) {
    this.team = { id: slackId('T'), name: opts.teamName, domain: opts.teamDomain };
    this.bot = { userId: slackId('U'), botId: slackId('B'), appId: slackId('A'), name: opts.botName };
    this.users.set(this.bot.userId, this.makeUser(this.bot.userId, opts.botName, undefined, { is_bot: true }));
    this.general = this.createChannel({ name: 'general', isPrivate: false, creator: this.bot.userId, members: [] });
    this.general.isGeneral = true;
    // Apps are not members of #general unless invited.
    this.general.members.delete(this.bot.userId);
  }

  private makeUser(id: string, name: string, email: string | undefined, extra: Partial<SlackUser> = {}): SlackUser {
    const realName = extra.real_name ?? name;
    return {
      id, team_id: this.team.id, name, real_name: realName, deleted: false, is_admin: false, is_owner: false, is_bot: false,
      is_app_user: false, tz: 'Europe/London', updated: epoch(),
      profile: { ...(email !== undefined ? { email } : {}), real_name: realName, display_name: name, team: this.team.id, ...(extra.is_bot ? { bot_id: this.bot.botId } : {}) },
      ...extra,
    };
  }

  addUser(u: { email: string; name: string; realName?: string; isAdmin?: boolean; isOwner?: boolean }): SlackUser {
    if (this.userByEmail(u.email)) throw new Error(`a Slack user with email ${u.email} already exists`);
    const user = this.makeUser(slackId('U'), u.name, u.email, { real_name: u.realName ?? u.name, is_admin: u.isAdmin ?? false, is_owner: u.isOwner ?? false });
    this.users.set(user.id, user);
    this.general.members.add(user.id);
    return user;
  }

  /** For test drivers: the user behind a ref, or a thrown test error. */
  userRef(ref: UserRef): SlackUser {
    const id = typeof ref === 'string' ? ref : ref.id;
    const u = this.users.get(id);
    if (!u) throw new Error(`no Slack user ${id} in the fake workspace`);
    return u;
  }

  userByEmail(email: string): SlackUser | undefined {
    const e = email.trim().toLowerCase();
    return [...this.users.values()].find((u) => u.profile.email?.toLowerCase() === e);
  }

  createChannel(c: { name: string; isPrivate: boolean; creator: string; members: string[] }): ChannelState {
    const ch: ChannelState = {
      id: slackId('C'), name: c.name, isPrivate: c.isPrivate, isIm: false, isMpim: false, isGeneral: false, isArchived: false,
      created: epoch(), creator: c.creator, members: new Set([c.creator, ...c.members]), messages: [],
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  channelByName(name: string): ChannelState | undefined {
    const n = name.replace(/^#/, '');
    return [...this.channels.values()].find((c) => !c.isIm && !c.isMpim && c.name === n);
  }

  /** The bot's IM with a user, opened on first use as Slack does. */
  openIm(userId: string): { channel: ChannelState; existed: boolean } {
    const existing = [...this.channels.values()].find((c) => c.isIm && c.user === userId);
    if (existing) return { channel: existing, existed: true };
    const ch: ChannelState = {
      id: slackId('D'), name: userId, isPrivate: true, isIm: true, isMpim: false, isGeneral: false, isArchived: false,
      created: epoch(), creator: this.bot.userId, user: userId, members: new Set([this.bot.userId, userId]), messages: [],
    };
    this.channels.set(ch.id, ch);
    return { channel: ch, existed: false };
  }

  openMpim(userIds: string[]): ChannelState {
    const want = new Set([this.bot.userId, ...userIds]);
    const existing = [...this.channels.values()].find((c) => c.isMpim && c.members.size === want.size && [...want].every((u) => c.members.has(u)));
    if (existing) return existing;
    const names = userIds.map((u) => this.users.get(u)?.name ?? u);
    const ch: ChannelState = {
      id: slackId('C'), name: `mpdm-${names.join('--')}-1`, isPrivate: true, isIm: false, isMpim: true, isGeneral: false, isArchived: false,
      created: epoch(), creator: this.bot.userId, members: want, messages: [],
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  /** Resolve what `chat.postMessage` accepts as `channel`: an id, a `#name`/name, or a user id (their IM). */
  resolveTarget(channel: string): ChannelState | undefined {
    if (/^[UW]/.test(channel) && this.users.has(channel)) return this.openIm(channel).channel;
    return this.channels.get(channel) ?? this.channelByName(channel);
  }

  postMessage(ch: ChannelState, m: { text: string; blocks?: Block[]; attachments?: Json[]; thread_ts?: string }): SlackMessage {
    const msg: SlackMessage = {
      type: 'message', channel: ch.id, ts: this.clock.next(), text: m.text, user: this.bot.userId, bot_id: this.bot.botId,
      app_id: this.bot.appId, team: this.team.id,
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    };
    ch.messages.push(msg);
    return msg;
  }

  message(channelId: string, ts: string): SlackMessage | undefined {
    return this.channels.get(channelId)?.messages.find((m) => m.ts === ts && !m.deleted);
  }

  postEphemeral(channel: string, user: string, m: { text: string; blocks?: Block[] }, source: FakeEphemeral['source']): FakeEphemeral {
    const e: FakeEphemeral = {
      kind: 'ephemeral', channel, user, ts: this.clock.next(), text: m.text,
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}), source, deleted: false,
    };
    this.ephemerals.push(e);
    return e;
  }

  issueTrigger(userId: string): string {
    const id = triggerIdValue();
    this.triggers.set(id, { user: userId, issuedAt: now(), used: false });
    return id;
  }

  /** A trigger id opens one modal, for the person whose action issued it, within its lifetime. */
  consumeTrigger(id: string): string {
    const t = this.triggers.get(id);
    if (!t) throw new SlackApiError('invalid_trigger_id');
    if (t.used) throw new SlackApiError('exchanged_trigger_id');
    if (now() - t.issuedAt > this.opts.triggerTtlMs) throw new SlackApiError('expired_trigger_id');
    t.used = true;
    return t.user;
  }

  newView(user: string, v: Record<string, Json>, blocks: Block[], stack: { root?: string; previous?: string } = {}): FakeView {
    const id = slackId('V');
    const view: SlackView = {
      id, team_id: this.team.id, type: 'modal', title: v.title, ...(v.submit !== undefined ? { submit: v.submit } : {}),
      ...(v.close !== undefined ? { close: v.close } : {}), blocks, private_metadata: v.private_metadata ?? '',
      callback_id: v.callback_id ?? '', external_id: v.external_id ?? '', state: { values: {} }, hash: `${epoch()}.${hex(4)}`,
      clear_on_close: v.clear_on_close === true, notify_on_close: v.notify_on_close === true, root_view_id: stack.root ?? id,
      previous_view_id: stack.previous ?? null, app_id: this.bot.appId, app_installed_team_id: this.team.id, bot_id: this.bot.botId,
    };
    const fv: FakeView = { kind: 'view', id, user, open: true, errors: null, view };
    this.views.set(id, fv);
    return fv;
  }

  /** Replace a view's content in place (views.update, `response_action: update`): same id, new hash. */
  replaceView(fv: FakeView, v: Record<string, Json>, blocks: Block[]) {
    const old = fv.view;
    fv.view = {
      ...old, title: v.title, blocks, private_metadata: v.private_metadata ?? '', callback_id: v.callback_id ?? '',
      external_id: v.external_id ?? old.external_id, hash: `${epoch()}.${hex(4)}`, clear_on_close: v.clear_on_close === true,
      notify_on_close: v.notify_on_close === true, state: { values: {} },
    };
    if (v.submit !== undefined) fv.view.submit = v.submit;
    else delete fv.view.submit;
    if (v.close !== undefined) fv.view.close = v.close;
    else delete fv.view.close;
    fv.errors = null;
  }

  viewByExternalId(externalId: string): FakeView | undefined {
    return [...this.views.values()].find((v) => v.view.external_id === externalId && externalId !== '');
  }

  /** Close a view and, for `clear`, every view in its stack. */
  closeView(fv: FakeView, by: NonNullable<FakeView['closedBy']>) {
    const targets = by === 'clear' ? [...this.views.values()].filter((v) => v.view.root_view_id === fv.view.root_view_id) : [fv];
    for (const v of targets) {
      if (!v.open) continue;
      v.open = false;
      v.closedBy = by;
    }
  }

  /** JSON of a conversation as conversations.* methods return it. */
  renderChannel(ch: ChannelState): Record<string, Json> {
    if (ch.isIm) {
      return { id: ch.id, created: ch.created, is_archived: false, is_im: true, is_org_shared: false, context_team_id: this.team.id, updated: ch.created * 1000, user: ch.user, is_user_deleted: false, priority: 0 };
    }
    const meta = { value: '', creator: '', last_set: 0 };
    return {
      id: ch.id, name: ch.name, is_channel: !ch.isMpim, is_group: false, is_im: false, is_mpim: ch.isMpim, is_private: ch.isPrivate,
      created: ch.created, is_archived: ch.isArchived, is_general: ch.isGeneral, unlinked: 0, name_normalized: ch.name, is_shared: false,
      is_org_shared: false, is_pending_ext_shared: false, pending_shared: [], context_team_id: this.team.id, updated: ch.created * 1000,
      parent_conversation: null, creator: ch.creator, is_ext_shared: false, shared_team_ids: [this.team.id], pending_connected_team_ids: [],
      is_member: ch.members.has(this.bot.userId), topic: meta, purpose: meta, previous_names: [], num_members: ch.members.size,
    };
  }

  /** A message as Slack puts it in API responses and payloads (no `channel`, no fake bookkeeping). */
  renderMessage(m: SlackMessage): Record<string, Json> {
    const { channel: _c, deleted: _d, ...rest } = m;
    return structuredClone(rest);
  }

  /** A view as Slack puts it in API responses and payloads. */
  renderView(fv: FakeView): SlackView {
    return structuredClone(fv.view);
  }
}
