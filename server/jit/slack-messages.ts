/**
 * Block Kit for the JIT flow: pure builders, no I/O. Interactive elements carry only ids (a
 * target name, a request id); everything they mean is looked up again on the server when
 * clicked, so a forged payload can name a request but never grant anything by itself.
 */
import type { AccessRequestInfo, RequestableTarget } from '../../protocol/api-types';
import { formatSeconds } from './durations';

export const ACTION_REQUEST = 'gh_request_access';
export const ACTION_APPROVE = 'gh_approve';
export const ACTION_DENY = 'gh_deny';
export const VIEW_REQUEST = 'gh_request_modal';
/** Block and action ids of the modal's inputs (Slack keys view_submission values by both). */
export const FIELD = {
  targetUser: 'target_user',
  action: 'action',
  duration: 'duration',
  reason: 'reason',
} as const;

type Block = Record<string, unknown>;
const text = (t: string) => ({ type: 'mrkdwn', text: t });
const plain = (t: string) => ({ type: 'plain_text', text: t.slice(0, 75), emoji: true });
/** Slack mrkdwn: user text must not become links or mentions. */
export const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function helpText(command: string): string {
  return [
    `*${command}* lists the targets you may request temporary access to, each with a *Request access* button.`,
    'Pick the target user, the action and how long, and say why. Depending on the policy the request is approved at once or sent to its approvers, who approve or deny it here.',
    `Once approved, connect as usual (\`gate connect TUSER@TARGET\`, the web app, or ssh) until it expires. \`${command} help\` shows this.`,
  ].join('\n');
}

export function requestableBlocks(list: RequestableTarget[]): Block[] {
  if (list.length === 0) return [{ type: 'section', text: text('There is nothing you may request: no just-in-time policy names you.') }];
  return [
    { type: 'section', text: text('*Targets you may request access to*') },
    ...list.map((t) => {
      const terms = t.options.map((o) => `${o.action} as ${o.targetUsers.map(escape).join(', ')} (${o.approval === 'auto' ? 'approved at once' : 'needs approval'}, up to ${formatSeconds(o.maxDurationSeconds)})`);
      return {
        type: 'section',
        block_id: `t_${t.target}`,
        text: text(`*${escape(t.target)}* (${escape(t.environment)})\n${terms.join('\n')}`),
        accessory: { type: 'button', action_id: ACTION_REQUEST, text: plain('Request access'), value: t.target },
      };
    }),
  ];
}

const option = (v: string, label = v) => ({ text: plain(label), value: v });

/** The request modal for one target; `private_metadata` carries the target name. */
export function requestModal(t: RequestableTarget): Record<string, unknown> {
  const users = [...new Set(t.options.flatMap((o) => o.targetUsers))].sort();
  const actions = [...new Set(t.options.map((o) => o.action))];
  const longest = Math.max(...t.options.map((o) => o.maxDurationSeconds));
  return {
    type: 'modal',
    callback_id: VIEW_REQUEST,
    private_metadata: t.target,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: text(`Temporary access to *${escape(t.target)}* (${escape(t.environment)})`) },
      {
        type: 'input',
        block_id: FIELD.targetUser,
        label: plain('Target user'),
        element: { type: 'static_select', action_id: FIELD.targetUser, options: users.map((u) => option(u)), initial_option: option(users[0]!) },
      },
      {
        type: 'input',
        block_id: FIELD.action,
        label: plain('Action'),
        element: { type: 'static_select', action_id: FIELD.action, options: actions.map((a) => option(a)), initial_option: option(actions[0]!) },
      },
      {
        type: 'input',
        block_id: FIELD.duration,
        label: plain(`Duration (at most ${formatSeconds(longest)})`),
        element: { type: 'plain_text_input', action_id: FIELD.duration, initial_value: formatSeconds(longest), placeholder: plain('e.g. 30m, 2h') },
      },
      {
        type: 'input',
        block_id: FIELD.reason,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: FIELD.reason, multiline: true, max_length: 500, placeholder: plain('Ticket, incident, what you will do') },
      },
    ],
  };
}

function summary(r: AccessRequestInfo): string {
  return `*${escape(r.requester)}* requests *${r.action}* on *${escape(r.target)}* as *${escape(r.targetUser)}* for ${formatSeconds(r.durationSeconds)}\n>${escape(r.reason).replace(/\n/g, '\n>')}\n_${r.id} · policy ${escape(r.policy)}_`;
}

export function approvalBlocks(r: AccessRequestInfo): Block[] {
  return [
    { type: 'section', text: text(summary(r)) },
    {
      type: 'actions',
      block_id: `decide_${r.id}`,
      elements: [
        { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: plain('Approve'), value: r.id },
        { type: 'button', action_id: ACTION_DENY, style: 'danger', text: plain('Deny'), value: r.id },
      ],
    },
  ];
}

/** What a decided (or lapsed) request's messages become: the buttons replaced by the outcome. */
export function outcomeLine(r: AccessRequestInfo): string {
  switch (r.state) {
    case 'approved':
      return r.decidedBy === 'auto' ? `✅ Approved automatically, until ${r.expiresAt}` : `✅ Approved by ${escape(r.decidedBy ?? '?')}, until ${r.expiresAt}`;
    case 'denied':
      return `❌ Denied by ${escape(r.decidedBy ?? '?')}${r.decisionReason ? `: ${escape(r.decisionReason)}` : ''}`;
    case 'expired':
      return '⌛ Expired: nobody answered in time';
    case 'pending':
      return '⏳ Waiting for approval';
  }
}

export function settledBlocks(r: AccessRequestInfo): Block[] {
  return [{ type: 'section', text: text(summary(r)) }, { type: 'context', elements: [text(outcomeLine(r))] }];
}

/** The reaction a decided request's messages get. */
export const reactionFor = (r: AccessRequestInfo): string | null => (r.state === 'approved' ? 'white_check_mark' : r.state === 'denied' ? 'x' : null);
