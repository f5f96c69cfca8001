/**
 * Slack over Socket Mode (SPEC §5): the service dials out to Slack, so it needs no public URL.
 * It is one ApprovalChannel of the JIT broker (announce to approvers by DM, update those
 * messages when settled, tell the requester, post to the private audit channel) plus the
 * handlers of `/gatehouse`, the Request-access button, the request modal and Approve/Deny.
 *
 * What must stay true:
 * - Every envelope is acknowledged within Slack's 3 s: at once, except a modal submission,
 *   whose ack carries validation errors and is therefore sent after the (fast, local) checks,
 *   with a deadline that acks empty if they run late.
 * - A redelivered envelope (same envelope_id) is processed once; decisions are idempotent in
 *   the broker anyway, so even a second click changes nothing.
 * - Slack users map to Gatehouse users by email (users.info); anyone without an account, or not
 *   an approver of that request, changes nothing, is told so ephemerally, and it is audited.
 * - Tokens are never logged. Slack being unreachable never stops the service: the socket is
 *   retried with backoff forever, and web/CLI approvals keep working.
 * - The SDK's own reconnect is off: in @slack/socket-mode 3.1 it can reject promises nobody
 *   holds (a disconnect during a reconnect; an auth error while reconnecting), which would
 *   crash the process. This file supervises instead: every `disconnected` (a `disconnect`
 *   message from Slack, a dropped socket) starts a fresh connection with backoff.
 * - Replies to a slash command or to a click on an ephemeral message go to its `response_url`:
 *   the bot need not be a member of the channel the command was typed in.
 */
import { WebClient, LogLevel, type Logger } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';
import { GatehouseError } from '../../protocol/errors';
import type { AccessRequestInfo, CreateAccessRequest, RequestableTarget } from '../../protocol/api-types';
import type { Action } from '../../protocol/permit';
import type { Services } from '../services';
import { userAuthState, type AuthState } from '../plugins/auth-hook';
import type { UserRow } from '../store/users-repo';
import type { ApprovalChannel } from './jit-service';
import {
  ACTION_APPROVE, ACTION_DENY, ACTION_REQUEST, FIELD, VIEW_REQUEST,
  approvalBlocks, helpText, outcomeLine, reactionFor, requestModal, requestableBlocks, settledBlocks,
} from './slack-messages';

/** Past this, a modal submission is acked without errors (Slack would retry or fail the view). */
const ACK_DEADLINE_MS = 2500;
const SEEN_ENVELOPES = 2000;
const USER_CACHE_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 30_000;

interface Announcement {
  channel: string;
  ts: string;
}

type Ack = (response?: Record<string, unknown>) => Promise<void>;
interface Envelope {
  ack: Ack;
  envelope_id: string;
  body: Record<string, any>;
}

function quietLogger(log: (m: string) => void): Logger {
  let level = LogLevel.WARN;
  const say = (prefix: string) => (...msgs: unknown[]) => log(`slack: ${prefix}${msgs.map(String).join(' ')}`);
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: say(''),
    error: say('error: '),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

export interface SlackApp {
  /** Resolves once the first connection is up (or never, while Slack is unreachable). */
  readonly connected: Promise<void>;
  /** For the admin page: never the tokens. */
  status(): { connected: boolean; auditChannelId: string | null; lastError: string | null; since: string | null };
  stop(): Promise<void>;
}

export function startSlack(s: Services): SlackApp | null {
  const cfg = s.config.slack;
  if (!cfg.botToken || !cfg.appToken) return null;
  const logger = quietLogger(s.log);
  const apiUrl = cfg.apiUrl ? (cfg.apiUrl.endsWith('/') ? cfg.apiUrl : `${cfg.apiUrl}/`) : undefined;
  const web = new WebClient(cfg.botToken, { logger, ...(apiUrl ? { slackApiUrl: apiUrl } : {}), retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 } });
  const socket = new SocketModeClient({
    appToken: cfg.appToken,
    logger,
    autoReconnectEnabled: false,
    // A fresh object: the client writes into it.
    clientOptions: { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), retryConfig: { retries: 0 } },
  });
  const seen = new Set<string>();
  const users = new Map<string, { at: number; row: UserRow | null; email: string | null }>();
  let stopped = false;
  let auditChannel: string | null = null;
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => (resolveConnected = r));

  // ---- identity -------------------------------------------------------------------------

  /** The Gatehouse user behind a Slack user id (by email), cached for a few minutes. */
  async function gatehouseUser(slackId: string): Promise<{ row: UserRow | null; email: string | null }> {
    const hit = users.get(slackId);
    if (hit && Date.now() - hit.at < USER_CACHE_MS) return hit;
    const info = await web.users.info({ user: slackId });
    const email = (info.user?.profile?.email ?? '').toLowerCase() || null;
    const row = email ? ((await s.store.users.byEmail(email)) ?? null) : null;
    const v = { at: Date.now(), row, email };
    users.set(slackId, v);
    return v;
  }

  async function slackIdOf(email: string): Promise<string | null> {
    try {
      return (await web.users.lookupByEmail({ email })).user?.id ?? null;
    } catch {
      return null; // users_not_found: this person is not in the workspace
    }
  }

  const authOf = (row: UserRow): Promise<AuthState> => userAuthState(s, row, null, 'bearer');

  const ctx = (actor: string | null) => ({ actor, source: 'slack' });

  /** Answers one person privately: through the interaction's response_url when it has one. */
  async function ephemeral(where: { responseUrl?: string; channel?: string }, user: string, text: string, blocks?: unknown[]): Promise<void> {
    try {
      if (where.responseUrl) {
        const r = await fetch(where.responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text, ...(blocks ? { blocks } : {}) }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!r.ok) throw new Error(`response_url answered ${r.status}`);
      } else if (where.channel) {
        await web.chat.postEphemeral({ channel: where.channel, user, text, ...(blocks ? { blocks: blocks as never } : {}) });
      }
    } catch (e) {
      s.log(`slack: could not answer ${user}: ${(e as Error).message}`);
    }
  }

  async function dm(email: string, text: string, blocks?: unknown[]): Promise<Announcement | null> {
    const id = await slackIdOf(email);
    if (!id) return null;
    const ch = (await web.conversations.open({ users: id })).channel?.id;
    if (!ch) return null;
    const r = await web.chat.postMessage({ channel: ch, text, ...(blocks ? { blocks: blocks as never } : {}) });
    return r.ts ? { channel: ch, ts: r.ts } : null;
  }

  // ---- the approval channel ---------------------------------------------------------------

  const channel: ApprovalChannel = {
    name: 'slack',
    async announce(req: AccessRequestInfo, approvers: UserRow[]) {
      const text = `${req.requester} requests ${req.action} on ${req.target} as ${req.targetUser}`;
      const posted: Announcement[] = [];
      for (const a of approvers) {
        const m = await dm(a.email, text, approvalBlocks(req)).catch((e: Error) => (s.log(`slack: could not DM ${a.email}: ${e.message}`), null));
        if (m) posted.push(m);
      }
      await s.jit.setAnnouncements(req.id, posted);
      await dm(req.requester, `Your request ${req.id} (${req.action} on ${req.target} as ${req.targetUser}) was sent to ${posted.length} approver${posted.length === 1 ? '' : 's'}.`).catch(() => null);
    },
    async settled(req: AccessRequestInfo) {
      const line = outcomeLine(req);
      const reaction = reactionFor(req);
      for (const a of await s.jit.announcements<Announcement>(req.id)) {
        await web.chat.update({ channel: a.channel, ts: a.ts, text: line, blocks: settledBlocks(req) as never }).catch((e: Error) => s.log(`slack: could not update a message: ${e.message}`));
        if (reaction) await web.reactions.add({ channel: a.channel, timestamp: a.ts, name: reaction }).catch(() => undefined);
      }
      await dm(req.requester, `Your request ${req.id} (${req.action} on ${req.target} as ${req.targetUser}): ${line}`).catch(() => null);
      if (auditChannel) {
        await web.chat
          .postMessage({ channel: auditChannel, text: `${req.id}: ${req.requester} → ${req.action} ${req.targetUser}@${req.target} (${req.reason}) — ${line}` })
          .catch((e: Error) => s.log(`slack: could not post to the audit channel: ${e.message}`));
      }
    },
  };
  s.jit.addChannel(channel);

  // ---- handlers ---------------------------------------------------------------------------

  /** True the first time an envelope id is seen (Slack redelivers unacked ones). */
  function firstTime(id: string): boolean {
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_ENVELOPES) seen.delete(seen.values().next().value!);
    return true;
  }

  async function onSlash(e: Envelope): Promise<void> {
    const b = e.body;
    if (!firstTime(e.envelope_id)) return void (await e.ack());
    const arg = String(b.text ?? '').trim().toLowerCase();
    if (arg === 'help') return void (await e.ack({ response_type: 'ephemeral', text: helpText(cfg.command) }));
    // The listing needs lookups; ack now, answer through the response_url.
    await e.ack();
    const where = { responseUrl: b.response_url, channel: b.channel_id };
    const who = await gatehouseUser(b.user_id);
    if (!who.row) {
      s.audit.emit({ type: 'slack.event', v: 1, outcome: 'denied', what: 'slash command', slackUser: b.user_id, reason: 'no Gatehouse account for this Slack user' }, ctx(who.email));
      return ephemeral(where, b.user_id, `No Gatehouse account has the email of your Slack profile (${who.email ?? 'none'}).`);
    }
    const list = await s.jit.requestable(await authOf(who.row));
    await ephemeral(where, b.user_id, 'Targets you may request', requestableBlocks(list));
  }

  function valuesOf(view: Record<string, any>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [blockId, byAction] of Object.entries<Record<string, any>>(view.state?.values ?? {})) {
      const v = Object.values<Record<string, any>>(byAction)[0];
      out[blockId] = String(v?.selected_option?.value ?? v?.value ?? '');
    }
    return out;
  }

  async function onInteractive(e: Envelope): Promise<void> {
    const b = e.body;
    if (!firstTime(e.envelope_id)) return void (await e.ack());
    if (b.type === 'view_submission' && b.view?.callback_id === VIEW_REQUEST) return onSubmit(e);
    await e.ack();
    if (b.type !== 'block_actions') return;
    const action = b.actions?.[0] as { action_id?: string; value?: string } | undefined;
    const slackUser: string = b.user?.id;
    const where = { responseUrl: b.response_url as string | undefined, channel: (b.channel?.id ?? b.container?.channel_id) as string | undefined };
    const who = await gatehouseUser(slackUser);
    if (!who.row) {
      s.audit.emit({ type: 'slack.event', v: 1, outcome: 'denied', what: action?.action_id ?? 'click', slackUser, reason: 'no Gatehouse account for this Slack user' }, ctx(who.email));
      return ephemeral(where, slackUser, 'You have no Gatehouse account (matched by the email of your Slack profile); nothing was changed.');
    }
    if (action?.action_id === ACTION_REQUEST) {
      const list = await s.jit.requestable(await authOf(who.row));
      const t = list.find((x: RequestableTarget) => x.target === action.value);
      if (!t) return ephemeral(where, slackUser, `You may not request access to ${action.value ?? 'that target'}.`);
      await web.views.open({ trigger_id: b.trigger_id, view: requestModal(t) as never });
      return;
    }
    if (action?.action_id === ACTION_APPROVE || action?.action_id === ACTION_DENY) {
      const id = String(action.value ?? '');
      const decider = { kind: 'user' as const, user: who.row, groups: await s.store.users.groupsOf(who.row.id) };
      try {
        const d = action.action_id === ACTION_APPROVE
          ? await s.jit.approve(id, decider, 'slack', ctx(who.row.email))
          : await s.jit.deny(id, decider, 'denied in Slack', 'slack', ctx(who.row.email));
        if (!d.changed) await ephemeral(where, slackUser, `Request ${id} was already ${d.request.state}; nothing was changed.`);
      } catch (err) {
        if (!(err instanceof GatehouseError)) throw err;
        await ephemeral(where, slackUser, `${err.message}; nothing was changed.`);
      }
    }
  }

  async function onSubmit(e: Envelope): Promise<void> {
    const b = e.body;
    let acked = false;
    const ack = async (r?: Record<string, unknown>) => {
      if (acked) return;
      acked = true;
      await e.ack(r);
    };
    const late = setTimeout(() => void ack(), ACK_DEADLINE_MS);
    try {
      const slackUser: string = b.user?.id;
      const who = await gatehouseUser(slackUser);
      if (!who.row) return void (await ack({ response_action: 'errors', errors: { [FIELD.reason]: 'You have no Gatehouse account.' } }));
      const v = valuesOf(b.view);
      const errors: Record<string, string> = {};
      if (!v[FIELD.reason]?.trim()) errors[FIELD.reason] = 'Say why you need this access.';
      if (!/^(\d+[dhms])+$/.test(v[FIELD.duration] ?? '')) errors[FIELD.duration] = 'A duration like 30m or 2h.';
      if (!['shell', 'tunnel', 'copy'].includes(v[FIELD.action] ?? '')) errors[FIELD.action] = 'Pick an action.';
      if (Object.keys(errors).length) return void (await ack({ response_action: 'errors', errors }));
      const body: CreateAccessRequest = {
        target: String(b.view.private_metadata ?? ''),
        targetUser: v[FIELD.targetUser] ?? '',
        action: v[FIELD.action] as Action,
        reason: v[FIELD.reason]!,
        duration: v[FIELD.duration]!,
      };
      let req: AccessRequestInfo;
      try {
        req = await s.jit.create(await authOf(who.row), body, 'slack', ctx(who.row.email));
      } catch (err) {
        if (!(err instanceof GatehouseError)) throw err;
        const field = /^duration/.test(err.message) ? FIELD.duration : /target user|as /.test(err.message) ? FIELD.targetUser : FIELD.reason;
        return void (await ack({ response_action: 'errors', errors: { [field]: err.message.slice(0, 150) } }));
      }
      await ack();
      if (req.state === 'approved') await dm(who.row.email, `Your request ${req.id} was approved automatically: ${req.action} on ${req.target} as ${req.targetUser} until ${req.expiresAt}.`);
    } finally {
      clearTimeout(late);
      await ack();
    }
  }

  const guard = (name: string, fn: (e: Envelope) => Promise<void>) => (e: Envelope) =>
    void fn(e).catch((err: Error) => {
      s.log(`slack: ${name} failed: ${err.message}`);
      void e.ack().catch(() => undefined);
    });
  socket.on('slash_commands', guard('slash command', onSlash));
  socket.on('interactive', guard('interaction', onInteractive));
  let isConnected = false;
  let lastError: string | null = null;
  let since: string | null = null;
  socket.on('connected', () => {
    isConnected = true;
    lastError = null;
    since = new Date().toISOString();
    resolveConnected();
  });
  // Our own reconnect (see the header): a fresh start after any disconnect we did not ask for.
  socket.on('disconnected', () => {
    isConnected = false;
    since = new Date().toISOString();
    if (!stopped && !connecting) void connectForever();
  });

  // ---- start: the audit channel, then the socket, retried forever ---------------------------

  async function ensureAuditChannel(): Promise<void> {
    const name = cfg.auditChannel.replace(/^#/, '');
    let id: string | null = null;
    let cursor: string | undefined;
    do {
      const page = await web.conversations.list({ types: 'private_channel', limit: 200, ...(cursor ? { cursor } : {}) });
      id = page.channels?.find((c) => c.name === name)?.id ?? null;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (!id && cursor);
    if (!id) id = (await web.conversations.create({ name, is_private: true })).channel?.id ?? null;
    if (!id) return;
    auditChannel = id;
    const admins = (await s.store.users.list()).filter((u) => u.role === 'admin');
    const ids = (await Promise.all(admins.map((a) => slackIdOf(a.email)))).filter((x): x is string => x !== null);
    if (ids.length) await web.conversations.invite({ channel: id, users: ids.join(',') }).catch(() => undefined); // already_in_channel
  }

  let connecting = false;
  async function connectForever(): Promise<void> {
    connecting = true;
    let wait = 1000;
    try {
      while (!stopped) {
        try {
          if (!auditChannel) await ensureAuditChannel();
          await socket.start();
          return;
        } catch (e) {
          if (stopped) return;
          const why = (e as { data?: { error?: string } } | undefined)?.data?.error ?? (e as Error | undefined)?.message ?? 'unknown error';
          lastError = why;
          s.log(`slack: cannot connect (${why}); retrying in ${Math.round(wait / 1000)} s`);
          await new Promise((r) => setTimeout(r, wait).unref());
          wait = Math.min(MAX_BACKOFF_MS, wait * 2);
        }
      }
    } finally {
      connecting = false;
    }
  }
  void connectForever();

  return {
    connected,
    status: () => ({ connected: isConnected, auditChannelId: auditChannel, lastError, since }),
    async stop() {
      stopped = true;
      // The client's disconnect can take seconds (it waits for its pong watchdog): bounded.
      await Promise.race([socket.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    },
  };
}
