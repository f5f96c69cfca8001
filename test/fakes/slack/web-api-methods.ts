/**
 * The Web API methods the fake implements, with Slack's argument checks and error codes.
 * Each method names the token type it takes: the bot token (`xoxb-`) for everything except
 * `apps.connections.open`, which takes only the app-level token (`xapp-`).
 */
import type { Block, ChannelState, Json, ResolvedOptions } from './types';
import { SlackApiError, type Workspace } from './workspace';
import { checkBlocks, checkView, normalizeBlocks } from './block-kit';

export type Args = Record<string, Json>;

export interface MethodContext {
  ws: Workspace;
  options: ResolvedOptions;
  /** Issue a one-use Socket Mode URL (`ws://127.0.0.1:PORT/link/?ticket=…&app_id=…`). */
  openSocketUrl(): string;
}

export interface MethodDef {
  token: 'bot' | 'app';
  required?: string[];
  run(args: Args, ctx: MethodContext): Record<string, Json>;
}

const invalidArguments = (messages: string[]) => new SlackApiError('invalid_arguments', { response_metadata: { messages } });

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function bool(args: Args, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** Form posts carry objects as JSON strings; JSON posts carry them as they are. */
function jsonArg(args: Args, key: string, onBad: () => SlackApiError): Json {
  const v = args[key];
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw onBad();
  }
}

function blocksArg(args: Args): Block[] | undefined {
  if (args.blocks === undefined) return undefined;
  const blocks = jsonArg(args, 'blocks', () => new SlackApiError('invalid_blocks_format'));
  if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  const problems = checkBlocks(blocks, 'message');
  if (problems.length > 0) throw new SlackApiError('invalid_blocks', { errors: problems, response_metadata: { messages: problems } });
  return normalizeBlocks(blocks);
}

function messageContent(args: Args): { text: string; blocks?: Block[]; attachments?: Json[] } {
  const blocks = blocksArg(args);
  const attachments = args.attachments === undefined ? undefined : jsonArg(args, 'attachments', () => new SlackApiError('invalid_attachments'));
  const text = str(args, 'text') ?? '';
  if (text === '' && (blocks === undefined || blocks.length === 0) && !(Array.isArray(attachments) && attachments.length > 0)) throw new SlackApiError('no_text');
  if (text.length > 40_000) throw new SlackApiError('msg_too_long');
  return { text, ...(blocks !== undefined ? { blocks } : {}), ...(Array.isArray(attachments) ? { attachments } : {}) };
}

/** A conversation the bot can see: public channels, and private ones / DMs it is in. */
function visibleChannel(ctx: MethodContext, id: string | undefined, byName = false): ChannelState {
  const ch = id === undefined ? undefined : byName ? ctx.ws.resolveTarget(id) : ctx.ws.channels.get(id);
  if (!ch || (ch.isPrivate && !ch.members.has(ctx.ws.bot.userId))) throw new SlackApiError('channel_not_found');
  return ch;
}

function viewArg(args: Args): Record<string, Json> {
  const view = jsonArg(args, 'view', () => invalidArguments(['[ERROR] invalid JSON [json-pointer:/view]']));
  const problems = checkView(view);
  if (problems.length > 0) throw invalidArguments(problems);
  return view;
}

function userList(args: Args): string[] {
  return (str(args, 'users') ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!m) throw new SlackApiError('invalid_cursor');
  return Number(m[1]);
}

const CHANNEL_TYPES = new Set(['public_channel', 'private_channel', 'mpim', 'im']);
const EMOJI_NAME = /^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/;

export const METHODS: Record<string, MethodDef> = {
  'auth.test': {
    token: 'bot',
    run: (_a, { ws }) => ({
      url: `https://${ws.team.domain}.slack.com/`, team: ws.team.name, user: ws.bot.name, team_id: ws.team.id,
      user_id: ws.bot.userId, bot_id: ws.bot.botId, is_enterprise_install: false,
    }),
  },

  'apps.connections.open': {
    token: 'app',
    run: (_a, ctx) => ({ url: ctx.openSocketUrl() }),
  },

  'chat.postMessage': {
    token: 'bot',
    required: ['channel'],
    run(args, ctx) {
      const ch = visibleChannel(ctx, str(args, 'channel'), true);
      if (ch.isArchived) throw new SlackApiError('is_archived');
      if (!ch.members.has(ctx.ws.bot.userId)) throw new SlackApiError('not_in_channel');
      const thread = str(args, 'thread_ts');
      const msg = ctx.ws.postMessage(ch, { ...messageContent(args), ...(thread !== undefined ? { thread_ts: thread } : {}) });
      return { channel: ch.id, ts: msg.ts, message: ctx.ws.renderMessage(msg) };
    },
  },

  'chat.update': {
    token: 'bot',
    required: ['channel', 'ts'],
    run(args, ctx) {
      const ch = visibleChannel(ctx, str(args, 'channel'));
      const msg = ctx.ws.message(ch.id, str(args, 'ts') ?? '');
      if (!msg) throw new SlackApiError('message_not_found');
      if (msg.user !== ctx.ws.bot.userId) throw new SlackApiError('cant_update_message');
      // Slack keeps the previous blocks (and attachments) when the update leaves them out;
      // only an explicit `blocks: []` removes them.
      const blocks = blocksArg(args);
      const attachments = args.attachments === undefined ? undefined : jsonArg(args, 'attachments', () => new SlackApiError('invalid_attachments'));
      const text = str(args, 'text');
      if (text === undefined && blocks === undefined && attachments === undefined) throw new SlackApiError('no_text');
      if (text !== undefined) msg.text = text;
      if (blocks !== undefined) msg.blocks = blocks;
      if (Array.isArray(attachments)) msg.attachments = attachments;
      msg.edited = { user: ctx.ws.bot.userId, ts: ctx.ws.clock.next() };
      return { channel: ch.id, ts: msg.ts, text: msg.text, message: ctx.ws.renderMessage(msg) };
    },
  },

  'chat.postEphemeral': {
    token: 'bot',
    required: ['channel', 'user'],
    run(args, ctx) {
      const ch = visibleChannel(ctx, str(args, 'channel'), true);
      const user = ctx.ws.users.get(str(args, 'user') ?? '');
      if (!user) throw new SlackApiError('user_not_found');
      if (!ch.members.has(ctx.ws.bot.userId)) throw new SlackApiError('not_in_channel');
      if (!ch.members.has(user.id)) throw new SlackApiError('user_not_in_channel');
      const e = ctx.ws.postEphemeral(ch.id, user.id, messageContent(args), 'chat.postEphemeral');
      return { message_ts: e.ts };
    },
  },

  'views.open': {
    token: 'bot',
    required: ['trigger_id', 'view'],
    run(args, { ws }) {
      const v = viewArg(args);
      const user = ws.consumeTrigger(str(args, 'trigger_id') ?? '');
      if (v.external_id && ws.viewByExternalId(v.external_id)) throw new SlackApiError('duplicate_external_id');
      return { view: ws.renderView(ws.newView(user, v, normalizeBlocks(v.blocks))) };
    },
  },

  'views.push': {
    token: 'bot',
    required: ['trigger_id', 'view'],
    run(args, { ws }) {
      const v = viewArg(args);
      const user = ws.consumeTrigger(str(args, 'trigger_id') ?? '');
      const stack = [...ws.views.values()].filter((x) => x.user === user && x.open);
      const top = stack.at(-1);
      if (!top) throw new SlackApiError('not_found');
      if (stack.filter((x) => x.view.root_view_id === top.view.root_view_id).length >= 3) throw new SlackApiError('push_limit_reached');
      return { view: ws.renderView(ws.newView(user, v, normalizeBlocks(v.blocks), { root: top.view.root_view_id, previous: top.id })) };
    },
  },

  'views.update': {
    token: 'bot',
    required: ['view'],
    run(args, { ws }) {
      const id = str(args, 'view_id');
      const ext = str(args, 'external_id');
      if (id === undefined && ext === undefined) throw invalidArguments(['[ERROR] must provide view_id or external_id']);
      const v = viewArg(args);
      const fv = id !== undefined ? ws.views.get(id) : ws.viewByExternalId(ext ?? '');
      if (!fv || !fv.open) throw new SlackApiError('not_found');
      const hash = str(args, 'hash');
      if (hash !== undefined && hash !== fv.view.hash) throw new SlackApiError('hash_conflict');
      ws.replaceView(fv, v, normalizeBlocks(v.blocks));
      return { view: ws.renderView(fv) };
    },
  },

  'reactions.add': {
    token: 'bot',
    required: ['channel', 'timestamp', 'name'],
    run(args, ctx) {
      const ch = visibleChannel(ctx, str(args, 'channel'));
      const msg = ctx.ws.message(ch.id, str(args, 'timestamp') ?? '');
      if (!msg) throw new SlackApiError('message_not_found');
      const name = str(args, 'name') ?? '';
      if (!EMOJI_NAME.test(name)) throw new SlackApiError('invalid_name');
      const reactions = (msg.reactions ??= []);
      let r = reactions.find((x) => x.name === name);
      if (r?.users.includes(ctx.ws.bot.userId)) throw new SlackApiError('already_reacted');
      if (!r) {
        if (reactions.length >= 23) throw new SlackApiError('too_many_reactions');
        r = { name, users: [], count: 0 };
        reactions.push(r);
      }
      r.users.push(ctx.ws.bot.userId);
      r.count = r.users.length;
      return {};
    },
  },

  'conversations.open': {
    token: 'bot',
    run(args, ctx) {
      const { ws } = ctx;
      const channel = str(args, 'channel');
      if (channel !== undefined) {
        const ch = visibleChannel(ctx, channel);
        if (!ch.isIm && !ch.isMpim) throw new SlackApiError('channel_not_found');
        return { no_op: true, already_open: true, channel: bool(args, 'return_im') ? ws.renderChannel(ch) : { id: ch.id } };
      }
      const users = userList(args);
      if (users.length === 0) throw new SlackApiError('users_list_not_supplied');
      if (users.length > 8) throw new SlackApiError('too_many_users');
      for (const u of users) {
        const user = ws.users.get(u);
        if (!user) throw new SlackApiError('user_not_found');
        if (user.deleted) throw new SlackApiError('user_disabled');
      }
      if (users.length === 1) {
        const { channel: ch, existed } = ws.openIm(users[0] as string);
        const body = bool(args, 'return_im') ? ws.renderChannel(ch) : { id: ch.id };
        return { ...(existed ? { no_op: true, already_open: true } : {}), channel: body };
      }
      const ch = ws.openMpim(users);
      return { channel: { id: ch.id } };
    },
  },

  'conversations.create': {
    token: 'bot',
    required: ['name'],
    run(args, { ws }) {
      const name = str(args, 'name') ?? '';
      if (name === '') throw new SlackApiError('invalid_name_required');
      if (name.length > 80) throw new SlackApiError('invalid_name_maxlength');
      if (/^[-_]+$/.test(name)) throw new SlackApiError('invalid_name_punctuation');
      if (!/^[a-z0-9_-]+$/.test(name)) throw new SlackApiError('invalid_name_specials');
      if ([...ws.channels.values()].some((c) => !c.isIm && !c.isMpim && c.name === name)) throw new SlackApiError('name_taken');
      const ch = ws.createChannel({ name, isPrivate: bool(args, 'is_private'), creator: ws.bot.userId, members: [] });
      return { channel: ws.renderChannel(ch) };
    },
  },

  'conversations.info': {
    token: 'bot',
    required: ['channel'],
    run: (args, ctx) => ({ channel: ctx.ws.renderChannel(visibleChannel(ctx, str(args, 'channel'))) }),
  },

  'conversations.list': {
    token: 'bot',
    run(args, { ws }) {
      const types = (str(args, 'types') ?? 'public_channel').split(',').map((t) => t.trim()).filter((t) => t !== '');
      if (types.some((t) => !CHANNEL_TYPES.has(t))) throw new SlackApiError('invalid_types');
      const limitArg = args.limit === undefined || args.limit === '' ? 100 : Number(args.limit);
      if (!Number.isInteger(limitArg) || limitArg < 0) throw new SlackApiError('invalid_limit');
      const limit = Math.min(limitArg === 0 ? 100 : limitArg, 1000);
      const offset = decodeCursor(str(args, 'cursor'));
      const bot = ws.bot.userId;
      const all = [...ws.channels.values()].filter((c) => {
        if (bool(args, 'exclude_archived') && c.isArchived) return false;
        if (c.isIm) return types.includes('im') && c.members.has(bot);
        if (c.isMpim) return types.includes('mpim') && c.members.has(bot);
        if (c.isPrivate) return types.includes('private_channel') && c.members.has(bot);
        return types.includes('public_channel');
      });
      const page = all.slice(offset, offset + limit);
      const next = offset + limit < all.length ? encodeCursor(offset + limit) : '';
      return { channels: page.map((c) => ws.renderChannel(c)), response_metadata: { next_cursor: next } };
    },
  },

  'conversations.invite': {
    token: 'bot',
    required: ['channel', 'users'],
    run(args, ctx) {
      const { ws } = ctx;
      const ch = visibleChannel(ctx, str(args, 'channel'));
      if (ch.isIm || ch.isMpim) throw new SlackApiError('method_not_supported_for_channel_type');
      if (ch.isArchived) throw new SlackApiError('is_archived');
      if (!ch.members.has(ws.bot.userId)) throw new SlackApiError('not_in_channel');
      const users = userList(args);
      if (users.length === 0) throw new SlackApiError('no_user');
      if (users.length > 1000) throw new SlackApiError('too_many_users');
      const errors: { user: string; ok: false; error: string }[] = [];
      const ok: string[] = [];
      for (const u of users) {
        const user = ws.users.get(u);
        const error = u === ws.bot.userId ? 'cant_invite_self' : !user ? 'user_not_found' : user.deleted ? 'user_is_deactivated' : ch.members.has(u) ? 'already_in_channel' : null;
        if (error) errors.push({ user: u, ok: false, error });
        else ok.push(u);
      }
      const first = errors[0];
      if (first && !bool(args, 'force')) throw new SlackApiError(first.error, { errors });
      for (const u of ok) ch.members.add(u);
      return { channel: ws.renderChannel(ch), ...(errors.length > 0 ? { errors } : {}) };
    },
  },

  'users.info': {
    token: 'bot',
    required: ['user'],
    run(args, { ws }) {
      const user = ws.users.get(str(args, 'user') ?? '');
      if (!user) throw new SlackApiError('user_not_found');
      return { user: structuredClone(user) };
    },
  },

  'users.lookupByEmail': {
    token: 'bot',
    required: ['email'],
    run(args, { ws }) {
      const user = ws.userByEmail(str(args, 'email') ?? '');
      if (!user) throw new SlackApiError('users_not_found');
      return { user: structuredClone(user) };
    },
  },
};
