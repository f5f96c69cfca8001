/**
 * The fake Slack driven by the real SDK clients: `@slack/web-api` WebClient over HTTP and
 * `@slack/socket-mode` SocketModeClient over the websocket, both pointed at the fake with
 * `slackApiUrl`. What passes here is what the server's Slack integration can rely on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebClient, WebClientEvent, WebAPIPlatformError, WebAPIRateLimitedError, type WebClientOptions } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';
import { ClientRefusedSubmission, quietLogger, startFakeSlack, type FakeSlack, type SlackUser } from '../../fakes/slack';

let slack: FakeSlack;
let alice: SlackUser;
let bob: SlackUser;
const clients: SocketModeClient[] = [];

beforeEach(async () => {
  slack = await startFakeSlack();
  alice = slack.addUser({ email: 'alice@example.com', name: 'alice' });
  bob = slack.addUser({ email: 'bob@example.com', name: 'bob', isAdmin: true });
});

afterEach(async () => {
  // Disconnect while connected: SDK 3.1.0 rejects a pending reconnect unhandled if disconnect()
  // races it (see nextConnected).
  for (const c of clients.splice(0)) await c.disconnect();
  await slack.close();
});

/** `null`: no token at all. */
function web(token: string | null = slack.botToken, extra: Partial<WebClientOptions> = {}) {
  return new WebClient(token ?? undefined, { slackApiUrl: slack.apiUrl, logger: quietLogger(), retryConfig: { retries: 0 }, ...extra });
}

/** clientPingTimeout is also the SDK's reconnect delay; 300 ms keeps reconnect tests short. */
function socketClient(appToken = slack.appToken, extra: { autoReconnectEnabled?: boolean } = {}) {
  const c = new SocketModeClient({
    appToken,
    logger: quietLogger(),
    clientPingTimeout: 300,
    clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    ...extra,
  });
  clients.push(c);
  return c;
}

async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WebAPIPlatformError) return e.data.error;
    throw e;
  }
  throw new Error('expected a Slack platform error');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The SDK's own reconnect calls start() and drops the promise: a disconnect() before that
 * start() has its hello rejects it with `undefined`, unhandled. A test that makes the SDK
 * reconnect therefore waits until it is connected again before it ends.
 */
const nextConnected = (sm: SocketModeClient) => new Promise<void>((r) => sm.once('connected', () => r()));

const requestModal = (trigger_id: string, title = 'Request access') => ({
  trigger_id,
  view: {
    type: 'modal' as const,
    callback_id: 'jit_request',
    private_metadata: '{"target":"web-1"}',
    title: { type: 'plain_text' as const, text: title },
    submit: { type: 'plain_text' as const, text: 'Request' },
    blocks: [
      {
        type: 'input', block_id: 'target_user', label: { type: 'plain_text', text: 'Target user' },
        element: { type: 'static_select', action_id: 'pick', options: [
          { text: { type: 'plain_text', text: 'alice' }, value: 'alice' },
          { text: { type: 'plain_text', text: 'deploy' }, value: 'deploy' },
        ], initial_option: { text: { type: 'plain_text', text: 'alice' }, value: 'alice' } },
      },
      { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'text', multiline: true } },
    ],
  },
});

describe('Socket Mode', () => {
  it('connects through apps.connections.open with the app token; hello makes the client ready', async () => {
    const sm = socketClient();
    const opened = (await sm.start()) as { url: string };
    expect(opened.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]+&app_id=A/);
    expect(slack.calls('apps.connections.open')).toMatchObject([{ token: 'app', ok: true }]);
    expect(slack.connections()).toMatchObject([{ id: 1, open: true, disconnectReason: null }]);
  });

  it('delivers a slash command; the ack is recorded within the deadline and its reply shown ephemerally', async () => {
    const sm = socketClient();
    const bodies: Record<string, string>[] = [];
    sm.on('slash_commands', async ({ ack, body }) => {
      bodies.push(body);
      await ack({ text: `hello ${body.user_name}` });
    });
    await sm.start();
    const sent = slack.slashCommand(alice, 'help');
    const ack = await sent.waitForAck();
    expect(ack).toMatchObject({ envelope_id: sent.envelopeId, type: 'slash_commands', attempt: 0, withinDeadline: true, duplicate: false, applied: true, payload: { text: 'hello alice' } });
    expect(ack.latencyMs).toBeLessThan(3000);
    expect(slack.envelopes()[0]).toEqual({ envelope_id: sent.envelopeId, type: 'slash_commands', payload: expect.any(Object), accepts_response_payload: true, retry_attempt: 0, retry_reason: '' });
    expect(bodies[0]).toMatchObject({
      command: '/gatehouse', text: 'help', user_id: alice.id, user_name: 'alice', channel_id: slack.channel('general')?.id,
      channel_name: 'general', team_id: slack.team.id, api_app_id: slack.bot.appId, trigger_id: sent.triggerId, response_url: sent.responseUrl,
      is_enterprise_install: 'false',
    });
    expect(slack.ephemeralsTo(alice)).toMatchObject([{ text: 'hello alice', source: 'slash_command_ack', channel: slack.channel('general')?.id }]);
  });

  it('redelivers an unacked envelope with the same id, retry_attempt 1, retry_reason timeout', async () => {
    slack.configure({ ackDeadlineMs: 300, maxRedeliveries: 2 });
    const sm = socketClient();
    const seen: { id: string; retry: number; reason: string }[] = [];
    sm.on('slack_event', ({ ack, envelope_id, retry_num, retry_reason }) => {
      seen.push({ id: envelope_id, retry: retry_num, reason: retry_reason });
      if (retry_num >= 1) void ack();
    });
    await sm.start();
    const sent = slack.slashCommand(alice, 'list');
    const ack = await sent.waitForAck();
    expect(seen).toEqual([
      { id: sent.envelopeId, retry: 0, reason: '' },
      { id: sent.envelopeId, retry: 1, reason: 'timeout' },
    ]);
    expect(ack).toMatchObject({ attempt: 1, withinDeadline: true });
    await sleep(450);
    expect(slack.envelopes()).toHaveLength(2);
  });

  it('gives up after maxRedeliveries; a late ack is recorded but has no effect', async () => {
    slack.configure({ ackDeadlineMs: 200, maxRedeliveries: 1 });
    const sm = socketClient();
    sm.on('slash_commands', ({ ack, retry_num }) => {
      // Only the per-type event lacks retry_num: the envelope_id is what identifies a redelivery.
      expect(retry_num).toBeUndefined();
      setTimeout(() => void ack({ text: 'too late' }), 500);
    });
    await sm.start();
    const sent = slack.slashCommand(alice, 'slow');
    await slack.waitFor(() => slack.acks().length === 2);
    expect(slack.envelopes().map((e) => e.retry_attempt)).toEqual([0, 1]);
    expect(slack.acks()).toMatchObject([
      { envelope_id: sent.envelopeId, withinDeadline: false, applied: false, duplicate: false },
      { envelope_id: sent.envelopeId, withinDeadline: false, applied: false, duplicate: true },
    ]);
    expect(slack.ephemeralsTo(alice)).toEqual([]);
  });

  it('redeliver() resends an acked envelope as Slack may, and the duplicate ack is marked', async () => {
    const sm = socketClient();
    const ids: string[] = [];
    sm.on('slash_commands', async ({ ack, envelope_id }) => {
      ids.push(envelope_id);
      await ack();
    });
    await sm.start();
    const sent = slack.slashCommand(alice, 'x');
    await sent.waitForAck();
    const again = slack.redeliver(sent.envelope);
    expect(again).toMatchObject({ envelope_id: sent.envelopeId, retry_attempt: 1, retry_reason: 'timeout' });
    await slack.waitFor(() => slack.acks().length === 2);
    expect(ids).toEqual([sent.envelopeId, sent.envelopeId]);
    expect(slack.acks()[1]).toMatchObject({ duplicate: true, payload: {} });
  });

  it.each(['refresh_requested', 'warning', 'link_disabled'] as const)('reconnects after disconnect(%s), after its reconnect delay, and gets what was sent meanwhile', async (reason) => {
    const sm = socketClient();
    sm.on('slash_commands', ({ ack }) => void ack());
    await sm.start();
    await slack.disconnect(reason);
    const sent = slack.slashCommand(alice, 'during the gap');
    await slack.waitForConnections(2);
    const [first, second] = slack.connections();
    expect(first).toMatchObject({ open: false, disconnectReason: reason });
    expect(second).toMatchObject({ open: true });
    // The SDK waits clientPingTimeout before reconnecting (5 s by default).
    expect((second?.openedAt ?? 0) - (first?.closedAt ?? 0)).toBeGreaterThanOrEqual(250);
    expect(slack.calls('apps.connections.open')).toHaveLength(2);
    expect(await sent.waitForAck()).toMatchObject({ connectionId: 2, withinDeadline: true });
  });

  it('reconnects after the socket is dropped without a close frame', async () => {
    const sm = socketClient();
    await sm.start();
    const back = nextConnected(sm);
    slack.dropSocket();
    await slack.waitForConnections(2);
    await back;
    expect(slack.connections().map((c) => c.open)).toEqual([false, true]);
    expect(slack.calls('apps.connections.open')).toHaveLength(2);
  });

  it('reconnects when a stalled socket stops answering pings', async () => {
    const sm = socketClient();
    await sm.start();
    const back = nextConnected(sm);
    slack.stallSocket();
    await slack.waitForConnections(2);
    await back;
    expect(slack.calls('apps.connections.open')).toHaveLength(2);
  });

  it('close() ends the sockets and the port', async () => {
    const sm = socketClient(slack.appToken, { autoReconnectEnabled: false });
    await sm.start();
    const gone = new Promise((r) => sm.once('disconnected', r));
    await slack.close();
    await gone;
    await expect(fetch(`${slack.apiUrl}auth.test`, { method: 'POST' })).rejects.toThrow();
    clients.splice(0);
    slack = await startFakeSlack(); // for afterEach
  });
});

describe('Web API', () => {
  it('auth.test answers for the bot token', async () => {
    expect(await web().auth.test()).toMatchObject({ ok: true, user_id: slack.bot.userId, bot_id: slack.bot.botId, team_id: slack.team.id, user: 'gatehouse' });
    expect(slack.calls('auth.test')[0]).toMatchObject({ token: 'bot', ok: true, status: 200 });
  });

  it('refuses missing, unknown, revoked and wrong-type tokens like Slack', async () => {
    expect(await slackError(web(null).auth.test())).toBe('not_authed');
    expect(await slackError(web('xoxb-1-2-nope').auth.test())).toBe('invalid_auth');
    expect(await slackError(web(slack.appToken).chat.postMessage({ channel: alice.id, text: 'x' }))).toBe('not_allowed_token_type');
    expect(await slackError(web().apps.connections.open({}))).toBe('not_allowed_token_type');
    slack.revokeToken(slack.botToken);
    expect(await slackError(web().auth.test())).toBe('token_revoked');
  });

  it('a SocketModeClient with a bad app token fails start() for good (no retry loop)', async () => {
    const sm = new SocketModeClient({ appToken: 'xapp-1-bad', logger: quietLogger(), clientOptions: { slackApiUrl: slack.apiUrl } });
    await expect(sm.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect(slack.calls('apps.connections.open')).toHaveLength(1);
  });

  it('missing arguments are invalid_arguments with Slack-style messages', async () => {
    const err = await web().apiCall('chat.postMessage', { text: 'no channel' }).catch((e: WebAPIPlatformError) => e);
    expect(err).toBeInstanceOf(WebAPIPlatformError);
    expect((err as WebAPIPlatformError).data).toMatchObject({ ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: channel'] } });
    expect(await slackError(web().chat.postMessage({ channel: alice.id, text: '' }))).toBe('no_text');
  });

  it('posts, updates and reacts; blocks get ids; an update without blocks keeps them', async () => {
    const client = web();
    const posted = await client.chat.postMessage({
      channel: bob.id, text: 'alice asks for web-1',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*alice* asks for `web-1`' } },
        { type: 'actions', elements: [
          { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: 'req-1' },
          { type: 'button', action_id: 'deny', text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: 'req-1' },
        ] },
      ],
    });
    expect(posted.channel).toMatch(/^D/);
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
    const [dm] = slack.dmsTo(bob);
    expect(dm?.blocks?.every((b) => typeof b.block_id === 'string')).toBe(true);
    expect(dm?.blocks?.[1]?.elements?.[0]?.text).toEqual({ type: 'plain_text', text: 'Approve', emoji: true });
    expect((await client.conversations.open({ users: bob.id })).channel?.id).toBe(posted.channel);

    await client.chat.update({ channel: posted.channel as string, ts: posted.ts as string, text: 'edited text' });
    expect(slack.dmsTo(bob)[0]).toMatchObject({ text: 'edited text', blocks: dm?.blocks, edited: { user: slack.bot.userId } });
    await client.chat.update({ channel: posted.channel as string, ts: posted.ts as string, text: 'Approved by bob', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by bob' } }] });
    expect(slack.dmsTo(bob)[0]?.blocks).toHaveLength(1);
    expect(await slackError(client.chat.update({ channel: posted.channel as string, ts: '1.000001', text: 'x' }))).toBe('message_not_found');

    await client.reactions.add({ channel: posted.channel as string, timestamp: posted.ts as string, name: 'white_check_mark' });
    expect(slack.reactionsOn(posted.channel as string, posted.ts as string)).toEqual([{ name: 'white_check_mark', users: [slack.bot.userId], count: 1 }]);
    expect(await slackError(client.reactions.add({ channel: posted.channel as string, timestamp: posted.ts as string, name: 'white_check_mark' }))).toBe('already_reacted');
    expect(await slackError(client.reactions.add({ channel: posted.channel as string, timestamp: posted.ts as string, name: ':x:' }))).toBe('invalid_name');
  });

  it('rejects invalid blocks with invalid_blocks and pointers', async () => {
    const err = await web().chat.postMessage({ channel: bob.id, text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) } }] }] }).catch((e: WebAPIPlatformError) => e);
    expect((err as WebAPIPlatformError).data).toMatchObject({ error: 'invalid_blocks', response_metadata: { messages: ['[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]'] } });
  });

  it('a button click reaches the app as block_actions, and response_url can replace the message', async () => {
    const sm = socketClient();
    const payloads: any[] = [];
    sm.on('interactive', async ({ ack, body }) => {
      payloads.push(body);
      await ack();
    });
    await sm.start();
    const posted = await web().chat.postMessage({ channel: bob.id, text: 'approve?', blocks: [{ type: 'actions', block_id: 'decide', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' }] }] });
    const [msg] = slack.dmsTo(bob);
    expect(() => slack.clickButton(alice, msg!, 'approve')).toThrow(/cannot see/);
    const sent = slack.clickButton(bob, msg!, 'approve');
    const ack = await sent.waitForAck();
    expect(ack).toMatchObject({ type: 'interactive', withinDeadline: true });
    expect(slack.envelopes()[0]?.accepts_response_payload).toBe(false);
    const p = payloads[0];
    expect(p).toMatchObject({
      type: 'block_actions', user: { id: bob.id, username: 'bob' }, trigger_id: sent.triggerId, api_app_id: slack.bot.appId,
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel, is_ephemeral: false },
      channel: { id: posted.channel, name: 'directmessage' },
      message: { ts: posted.ts, text: 'approve?', bot_id: slack.bot.botId },
      actions: [{ action_id: 'approve', block_id: 'decide', value: 'req-1', type: 'button', text: { type: 'plain_text', text: 'Approve', emoji: true } }],
      response_url: sent.responseUrl,
    });
    const r = await fetch(sent.responseUrl as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ replace_original: true, text: 'Approved by bob' }) });
    expect(await r.json()).toEqual({ ok: true });
    expect(slack.dmsTo(bob)[0]).toMatchObject({ text: 'Approved by bob' });
    expect(slack.dmsTo(bob)[0]?.blocks).toBeUndefined();
    expect(() => slack.clickButton(bob, msg!, 'approve')).toThrow(/no element/);
  });
});

describe('modals', () => {
  it('views.open needs a trigger id the fake issued, once, before it expires', async () => {
    const client = web();
    expect(await slackError(client.views.open(requestModal('12345.67890.abcdef')))).toBe('invalid_trigger_id');
    const sent = slack.slashCommand(alice, '');
    const opened = await client.views.open(requestModal(sent.triggerId as string));
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'jit_request', private_metadata: '{"target":"web-1"}', state: { values: {} } });
    expect(slack.openedViews(alice)).toMatchObject([{ id: opened.view?.id, open: true, errors: null }]);
    expect(await slackError(client.views.open(requestModal(sent.triggerId as string)))).toBe('exchanged_trigger_id');

    slack.configure({ triggerTtlMs: 50 });
    const late = slack.slashCommand(alice, '');
    await sleep(100);
    expect(await slackError(client.views.open(requestModal(late.triggerId as string)))).toBe('expired_trigger_id');
  });

  it('refuses a modal Slack would refuse (title over 24 characters) with invalid_arguments', async () => {
    const sent = slack.slashCommand(alice, '');
    const err = await web().views.open(requestModal(sent.triggerId as string, 'Request access to web-1 now')).catch((e: WebAPIPlatformError) => e);
    expect((err as WebAPIPlatformError).data).toMatchObject({ error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] } });
  });

  it('submits state.values shaped like Slack; errors in the ack keep the modal open; a plain ack closes it', async () => {
    const client = web();
    const sm = socketClient();
    const submissions: any[] = [];
    sm.on('slash_commands', async ({ ack, body }) => {
      await ack();
      await client.views.open(requestModal(body.trigger_id));
    });
    sm.on('interactive', async ({ ack, body }) => {
      if (body.type !== 'view_submission') return ack();
      submissions.push(body);
      const reason = body.view.state.values.reason.text.value as string;
      if (reason.trim() === '') return ack({ response_action: 'errors', errors: { reason: 'Say why you need access' } });
      return ack();
    });
    await sm.start();
    slack.slashCommand(alice, '');
    const [view] = await slack.waitFor(() => (slack.openedViews(alice).length > 0 ? slack.openedViews(alice) : null));

    await expect(slack.submitView(alice, view!, { reason: '' })).rejects.toBeInstanceOf(ClientRefusedSubmission);
    const refused = await slack.submitView(alice, view!, { reason: '   ' });
    expect(refused).toMatchObject({ responseAction: 'errors', errors: { reason: 'Say why you need access' }, view: { open: true, errors: { reason: 'Say why you need access' } } });
    expect(refused.ack).toMatchObject({ withinDeadline: true, applied: true });
    expect(refused.envelope.accepts_response_payload).toBe(true);

    const ok = await slack.submitView(alice, view!, { target_user: 'deploy', reason: 'deploy hotfix' });
    expect(ok).toMatchObject({ responseAction: null, errors: null, view: { open: false, closedBy: 'submit' } });
    expect(submissions[1]).toMatchObject({
      type: 'view_submission', user: { id: alice.id }, trigger_id: expect.any(String),
      view: {
        id: view!.id, callback_id: 'jit_request', private_metadata: '{"target":"web-1"}',
        state: { values: {
          target_user: { pick: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'deploy', emoji: true }, value: 'deploy' } } },
          reason: { text: { type: 'plain_text_input', value: 'deploy hotfix' } },
        } },
      },
    });
    await expect(slack.submitView(alice, view!, {})).rejects.toThrow(/not open/);
  });

  it('views.update replaces the view in place and checks the hash', async () => {
    const client = web();
    const opened = await client.views.open(requestModal(slack.slashCommand(alice, '').triggerId as string));
    const id = opened.view?.id as string;
    const base = requestModal('').view;
    expect(await slackError(client.views.update({ view_id: id, hash: 'stale', view: base }))).toBe('hash_conflict');
    const updated = await client.views.update({ view_id: id, hash: opened.view?.hash as string, view: { ...base, title: { type: 'plain_text', text: 'Sent' }, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Request sent' } }], submit: undefined } });
    expect(updated.view).toMatchObject({ id, title: { text: 'Sent' } });
    expect(slack.openedViews()[0]?.view.blocks).toHaveLength(1);
    expect(await slackError(client.views.update({ view_id: 'V0NOPE', view: base }))).toBe('not_found');
  });
});

describe('replies and ephemeral messages', () => {
  it('a slash command reply with buttons is ephemeral; clicking one sends block_actions without the message', async () => {
    const client = web();
    const sm = socketClient();
    const actions: any[] = [];
    sm.on('slash_commands', async ({ ack }) => {
      await ack({
        text: 'Targets you may request',
        blocks: ['web-1', 'db-1'].map((t) => ({
          type: 'section', text: { type: 'mrkdwn', text: `*${t}*` },
          accessory: { type: 'button', action_id: 'request_access', value: t, text: { type: 'plain_text', text: 'Request access' } },
        })),
      });
    });
    sm.on('interactive', async ({ ack, body }) => {
      await ack();
      actions.push(body);
      await client.views.open(requestModal(body.trigger_id));
    });
    await sm.start();
    await slack.slashCommand(alice, '').waitForAck();
    const [list] = slack.ephemeralsTo(alice);
    expect(list).toMatchObject({ kind: 'ephemeral', source: 'slash_command_ack', text: 'Targets you may request' });
    expect(() => slack.clickButton(alice, list!, 'request_access')).toThrow(/pass the value/);
    expect(() => slack.clickButton(bob, list!, 'request_access', 'db-1')).toThrow(/not visible/);
    slack.clickButton(alice, list!, 'request_access', 'db-1');
    await slack.waitFor(() => slack.openedViews(alice).length === 1);
    expect(actions[0]).toMatchObject({ type: 'block_actions', container: { type: 'message', message_ts: list!.ts, is_ephemeral: true }, actions: [{ action_id: 'request_access', value: 'db-1' }] });
    expect(actions[0]).not.toHaveProperty('message');
  });

  it('response_url posts ephemeral or in-channel replies; chat.postEphemeral needs the bot and the user in the channel', async () => {
    const sent = slack.slashCommand(alice, 'help');
    const post = (body: unknown) => fetch(sent.responseUrl as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
    expect(await post({ text: 'only you see this' })).toEqual({ ok: true });
    expect(await post({ text: 'everyone sees this', response_type: 'in_channel' })).toEqual({ ok: true });
    expect(slack.ephemeralsTo(alice)).toMatchObject([{ text: 'only you see this', source: 'response_url' }]);
    expect(slack.messagesIn('general')).toMatchObject([{ text: 'everyone sees this', bot_id: slack.bot.botId }]);

    const client = web();
    expect(await slackError(client.chat.postEphemeral({ channel: 'general', user: alice.id, text: 'x' }))).toBe('not_in_channel');
    const dm = (await client.conversations.open({ users: alice.id })).channel?.id as string;
    expect(await slackError(client.chat.postEphemeral({ channel: dm, user: bob.id, text: 'x' }))).toBe('user_not_in_channel');
    expect((await client.chat.postEphemeral({ channel: dm, user: alice.id, text: 'psst' })).message_ts).toMatch(/^\d+\.\d+$/);
    expect(slack.ephemeralsTo(alice).at(-1)).toMatchObject({ text: 'psst', channel: dm, source: 'chat.postEphemeral' });
  });

  it('closing a modal that asked for notify_on_close sends view_closed; response_action update replaces the modal', async () => {
    const client = web();
    const sm = socketClient();
    const types: string[] = [];
    sm.on('interactive', async ({ ack, body }) => {
      types.push(body.type);
      if (body.type === 'view_submission') {
        return ack({ response_action: 'update', view: { type: 'modal', title: { type: 'plain_text', text: 'Sent' }, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Pending approval' } }] } });
      }
      return ack();
    });
    await sm.start();
    const m = requestModal(slack.slashCommand(alice, '').triggerId as string);
    const opened = await client.views.open({ ...m, view: { ...m.view, notify_on_close: true } });
    const result = await slack.submitView(alice, opened.view?.id as string, { reason: 'oncall' });
    expect(result).toMatchObject({ responseAction: 'update', view: { open: true, view: { id: opened.view?.id, title: { text: 'Sent' } } } });
    expect(slack.closeView(alice, opened.view?.id as string)).toBeNull(); // the update dropped notify_on_close

    const again = await client.views.open({ ...m, trigger_id: slack.slashCommand(alice, '').triggerId as string, view: { ...m.view, notify_on_close: true } });
    const closed = slack.closeView(alice, again.view?.id as string);
    await closed?.waitForAck();
    expect(types).toEqual(['view_submission', 'view_closed']);
    expect(slack.openedViews(alice).map((v) => [v.open, v.closedBy])).toEqual([[false, 'user'], [false, 'user']]);
  });
});

describe('conversations and users', () => {
  it('opens DMs once, creates a private channel once, invites, lists with types and cursors', async () => {
    const client = web();
    const first = await client.conversations.open({ users: alice.id });
    expect(first.channel?.id).toMatch(/^D/);
    expect(await client.conversations.open({ users: alice.id })).toMatchObject({ no_op: true, already_open: true, channel: { id: first.channel?.id } });

    const created = await client.conversations.create({ name: 'gatehouse-jit-log', is_private: true });
    expect(created.channel).toMatchObject({ id: expect.stringMatching(/^C/), name: 'gatehouse-jit-log', is_private: true, is_member: true, creator: slack.bot.userId });
    expect(await slackError(client.conversations.create({ name: 'gatehouse-jit-log', is_private: true }))).toBe('name_taken');
    expect(await slackError(client.conversations.create({ name: 'Bad Name' }))).toBe('invalid_name_specials');

    const channel = created.channel?.id as string;
    await client.conversations.invite({ channel, users: `${alice.id},${bob.id}` });
    expect(slack.channel(channel)?.members.sort()).toEqual([alice.id, bob.id, slack.bot.userId].sort());
    const again = await client.conversations.invite({ channel, users: bob.id }).catch((e: WebAPIPlatformError) => e);
    expect((again as WebAPIPlatformError).data).toMatchObject({ error: 'already_in_channel', errors: [{ user: bob.id, ok: false, error: 'already_in_channel' }] });

    const priv = await client.conversations.list({ types: 'private_channel' });
    expect(priv.channels?.map((c) => c.name)).toEqual(['gatehouse-jit-log']);
    expect((await client.conversations.list()).channels?.map((c) => c.name)).toEqual(['general']);

    for (const n of ['a', 'b', 'c', 'd']) slack.addChannel({ name: `team-${n}`, members: [alice] });
    const names: string[] = [];
    let pages = 0;
    for await (const page of client.paginate('conversations.list', { types: 'public_channel,private_channel', limit: 2 })) {
      pages += 1;
      names.push(...(page as unknown as { channels: { name: string }[] }).channels.map((c) => c.name));
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['general', 'gatehouse-jit-log', 'team-a', 'team-b', 'team-c', 'team-d']);
    expect(await slackError(client.conversations.list({ cursor: 'garbage' }))).toBe('invalid_cursor');
  });

  it('users.info and users.lookupByEmail', async () => {
    const client = web();
    expect((await client.users.info({ user: bob.id })).user).toMatchObject({ id: bob.id, name: 'bob', is_admin: true, profile: { email: 'bob@example.com' } });
    expect((await client.users.lookupByEmail({ email: 'Alice@Example.com' })).user?.id).toBe(alice.id);
    expect(await slackError(client.users.lookupByEmail({ email: 'carol@example.com' }))).toBe('users_not_found');
    expect(await slackError(client.users.info({ user: 'U0NOPE' }))).toBe('user_not_found');
  });
});

describe('rate limits', () => {
  it('the WebClient waits Retry-After seconds and retries a 429', async () => {
    slack.failNext('auth.test', { status: 429, retryAfterSec: 1 });
    const client = web(slack.botToken, { retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    const limited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (sec: number) => limited.push(sec));
    const t0 = Date.now();
    await client.auth.test();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(limited).toEqual([1]);
    expect(slack.calls('auth.test').map((c) => c.status)).toEqual([429, 200]);
  });

  it('rejectRateLimitedCalls surfaces the 429 instead', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 30 });
    const err = await web(slack.botToken, { rejectRateLimitedCalls: true }).chat.postMessage({ channel: bob.id, text: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(WebAPIRateLimitedError);
    expect(err.retryAfter).toBe(30);
  });
});
