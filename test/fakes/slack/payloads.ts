/**
 * The payloads Slack puts in Socket Mode envelopes when a person acts: slash commands (flat,
 * every value a string, as the form post they come from), `block_actions`, `view_submission`
 * and `view_closed` (JSON).
 */
import type { ChannelState, FakeEphemeral, FakeView, Json, SlackMessage, SlackUser } from './types';
import type { Workspace } from './workspace';
import type { FoundElement } from './block-kit';

function userObj(ws: Workspace, u: SlackUser) {
  return { id: u.id, username: u.name, name: u.name, team_id: ws.team.id };
}

function teamObj(ws: Workspace) {
  return { id: ws.team.id, domain: ws.team.domain };
}

export function channelName(ch: ChannelState): string {
  return ch.isIm ? 'directmessage' : ch.isMpim ? 'mpdm' : ch.name;
}

export function slashCommandPayload(
  ws: Workspace,
  a: { user: SlackUser; channel: ChannelState; command: string; text: string; triggerId: string; responseUrl: string },
): Record<string, string> {
  return {
    token: ws.verificationToken,
    team_id: ws.team.id,
    team_domain: ws.team.domain,
    channel_id: a.channel.id,
    channel_name: channelName(a.channel),
    user_id: a.user.id,
    user_name: a.user.name,
    command: a.command,
    text: a.text,
    api_app_id: ws.bot.appId,
    is_enterprise_install: 'false',
    response_url: a.responseUrl,
    trigger_id: a.triggerId,
  };
}

/** One entry of `actions[]`: what was clicked or picked, with the block it sits in. */
export function actionObj(f: FoundElement, actionTs: string, picked?: Json): Record<string, Json> {
  const e = f.element;
  const base = { action_id: e.action_id, block_id: f.block.block_id, type: e.type, action_ts: actionTs };
  if (e.type === 'button') {
    return { ...base, text: e.text, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.style !== undefined ? { style: e.style } : {}), ...(e.url !== undefined ? { url: e.url } : {}) };
  }
  if (e.type === 'overflow' || e.type.endsWith('static_select') || e.type === 'radio_buttons') {
    return { ...base, selected_option: picked ?? null, ...(e.placeholder !== undefined ? { placeholder: e.placeholder } : {}) };
  }
  return { ...base, ...(picked !== undefined ? { value: picked } : {}) };
}

type Surface =
  | { kind: 'message'; channel: ChannelState; message: SlackMessage; responseUrl: string }
  | { kind: 'ephemeral'; channel: ChannelState; ephemeral: FakeEphemeral; responseUrl: string }
  | { kind: 'view'; view: FakeView; stateValues: Record<string, Record<string, Json>> };

export function blockActionsPayload(ws: Workspace, a: { user: SlackUser; surface: Surface; triggerId: string; action: Record<string, Json> }): Json {
  const s = a.surface;
  const common = {
    type: 'block_actions',
    user: userObj(ws, a.user),
    api_app_id: ws.bot.appId,
    token: ws.verificationToken,
    trigger_id: a.triggerId,
    team: teamObj(ws),
    enterprise: null,
    is_enterprise_install: false,
  };
  if (s.kind === 'view') {
    const view = ws.renderView(s.view);
    view.state = { values: s.stateValues };
    return { ...common, container: { type: 'view', view_id: s.view.id }, view, actions: [a.action] };
  }
  const ts = s.kind === 'message' ? s.message.ts : s.ephemeral.ts;
  return {
    ...common,
    container: { type: 'message', message_ts: ts, channel_id: s.channel.id, is_ephemeral: s.kind === 'ephemeral' },
    channel: { id: s.channel.id, name: channelName(s.channel) },
    // Slack does not send the content of an ephemeral message back: the app only learns its ts.
    ...(s.kind === 'message' ? { message: ws.renderMessage(s.message) } : {}),
    state: { values: {} },
    response_url: s.responseUrl,
    actions: [a.action],
  };
}

export function viewSubmissionPayload(ws: Workspace, a: { user: SlackUser; view: FakeView; triggerId: string }): Json {
  return {
    type: 'view_submission',
    team: teamObj(ws),
    user: userObj(ws, a.user),
    api_app_id: ws.bot.appId,
    token: ws.verificationToken,
    trigger_id: a.triggerId,
    view: ws.renderView(a.view),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function viewClosedPayload(ws: Workspace, a: { user: SlackUser; view: FakeView }): Json {
  return {
    type: 'view_closed',
    team: teamObj(ws),
    user: userObj(ws, a.user),
    api_app_id: ws.bot.appId,
    token: ws.verificationToken,
    view: ws.renderView(a.view),
    is_cleared: false,
    is_enterprise_install: false,
    enterprise: null,
  };
}
