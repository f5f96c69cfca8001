/**
 * Shapes of the fake Slack: what Slack sends and stores (snake_case, as on the wire) and the
 * fake's own bookkeeping for tests (camelCase). Everything here is test-side only.
 */

/** Anything that came in or goes out as JSON. Slack's payloads are open-ended, so tests read them loosely. */
// biome-ignore lint/suspicious/noExplicitAny: wire JSON
export type Json = any;
export type Block = Record<string, Json>;

export interface FakeSlackOptions {
  /** Slack's Socket Mode ack deadline; an envelope not acked in time is redelivered. Default 3000. */
  ackDeadlineMs?: number;
  /** How many times an unacked envelope is redelivered (retry_attempt 1..N). Default 3. */
  maxRedeliveries?: number;
  /** Trigger ids live this long (Slack: 3 s). Default 3000. */
  triggerTtlMs?: number;
  /** The fake pings every socket this often, as Slack does; 0 turns server pings off. Default 5000. */
  pingIntervalMs?: number;
  /** After a `disconnect` message the fake closes the socket itself if the client has not. Default 1000. */
  disconnectGraceMs?: number;
  /**
   * Keep the TCP connection open after a websocket close handshake, as Slack does, until the
   * client drops it. Default true. With @slack/socket-mode 3.1.0 this costs up to
   * `clientPingTimeout` per close (the client waits for its pong watchdog).
   */
  lingerAfterClose?: boolean;
  /** Slack allows 10 concurrent Socket Mode connections per app. */
  maxConnections?: number;
  botToken?: string;
  appToken?: string;
  teamName?: string;
  teamDomain?: string;
  botName?: string;
}

export type ResolvedOptions = Required<FakeSlackOptions>;

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_admin: boolean;
  is_owner: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  tz: string;
  updated: number;
  profile: { email?: string; real_name: string; display_name: string; bot_id?: string; team: string };
}

/** A user as test code names one: the user object, or its id. */
export type UserRef = SlackUser | string;

export interface ChannelState {
  id: string;
  name: string;
  isPrivate: boolean;
  isIm: boolean;
  isMpim: boolean;
  isGeneral: boolean;
  isArchived: boolean;
  created: number;
  creator: string;
  /** The other party of an IM. */
  user?: string;
  members: Set<string>;
  messages: SlackMessage[];
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

/** A message as Slack stores it, plus the channel it lives in (Slack's own objects omit it). */
export interface SlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: Block[];
  attachments?: Json[];
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  thread_ts?: string;
  edited?: { user: string; ts: string };
  reactions?: Reaction[];
  /** Fake bookkeeping: deleted through a response_url `delete_original`. */
  deleted?: boolean;
}

export type EphemeralSource = 'chat.postEphemeral' | 'slash_command_ack' | 'response_url';

/** An ephemeral message: seen only by `user`, never stored by Slack, not updatable through the Web API. */
export interface FakeEphemeral {
  kind: 'ephemeral';
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: Block[];
  source: EphemeralSource;
  deleted: boolean;
}

export interface SlackView {
  id: string;
  team_id: string;
  type: 'modal';
  title: Json;
  submit?: Json;
  close?: Json;
  blocks: Block[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: Record<string, Record<string, Json>> };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

/** A modal as the fake tracks it: who sees it, whether it is still open, errors shown in it. */
export interface FakeView {
  kind: 'view';
  id: string;
  user: string;
  open: boolean;
  /** Errors shown under input blocks after a `response_action: 'errors'` ack (block_id → message). */
  errors: Record<string, string> | null;
  /** Why it closed: submitted and acked plainly, `clear`, or the user closed it. */
  closedBy?: 'submit' | 'clear' | 'user';
  view: SlackView;
}

export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: Json;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

export interface AckRecord {
  envelope_id: string;
  /** Envelope type, or null for an ack of an envelope the fake never sent. */
  type: Envelope['type'] | null;
  /** The ack's `payload` as sent (the SDK always sends one; `{}` for a bare `ack()`). */
  payload: Json;
  at: number;
  /** When the delivery this ack answers went out (the latest attempt sent before the ack). */
  deliveredAt: number | null;
  attempt: number | null;
  latencyMs: number | null;
  withinDeadline: boolean;
  /** An earlier ack for the same envelope was already recorded. */
  duplicate: boolean;
  unknown: boolean;
  connectionId: number;
  /** The ack's payload took effect (first in-time ack only, as on Slack). */
  applied: boolean;
  /** Why the ack payload was refused (e.g. invalid blocks, bad response_action). */
  effectError?: string;
}

export interface ApiCall {
  method: string;
  args: Record<string, Json>;
  token: 'bot' | 'app' | 'none' | 'unknown';
  at: number;
  ok: boolean;
  error?: string;
  status: number;
}

/** What the next calls of a Web API method return instead of running (test-injected). */
export type InjectedFailure =
  | { error: string; extra?: Record<string, Json> }
  | { status: 429; retryAfterSec: number }
  | { status: number; body?: string };

export interface ConnectionInfo {
  id: number;
  openedAt: number;
  closedAt: number | null;
  /** The TCP connection is not closed yet. */
  open: boolean;
  /** A close handshake is under way or done while TCP lingers: nothing more is sent on it. */
  closing: boolean;
  /** A `disconnect` message was sent on it. */
  disconnectReason: string | null;
}

/** Handle for an envelope the test sent as a human in Slack. */
export interface Sent {
  envelope: Envelope;
  envelopeId: string;
  triggerId?: string;
  responseUrl?: string;
  /** Resolves with the first ack of this envelope. */
  waitForAck(timeoutMs?: number): Promise<AckRecord>;
}

export interface ViewSubmissionResult {
  envelope: Envelope;
  /** The first ack, or null when none came within the deadline of the first delivery. */
  ack: AckRecord | null;
  responseAction: string | null;
  errors: Record<string, string> | null;
  /** The submitted view after the ack took effect. */
  view: FakeView;
}

/** Test input for one input block: a text, an option value, several option values, or empty. */
export type InputValue = string | string[] | null;
