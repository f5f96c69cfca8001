/**
 * What the payload of an in-time ack does in Slack (a late ack does nothing: Slack has already
 * shown the person an error by then):
 *
 * - slash command: `{text | blocks, response_type?}` is shown as the reply, ephemeral unless
 *   `response_type: 'in_channel'`; an empty ack shows nothing.
 * - view_submission: no `response_action` closes the modal; `errors` keeps it open with messages
 *   under the named input blocks (unknown block_ids make Slack refuse the whole response);
 *   `update` replaces it; `push` stacks a new one; `clear` closes the whole stack.
 * - anything else: the payload is ignored.
 */
import type { Json } from './types';
import type { Workspace } from './workspace';
import type { AckEffect } from './socket-mode';
import { checkBlocks, checkView, normalizeBlocks } from './block-kit';

export type Interaction =
  | { kind: 'slash'; user: string; channel: string }
  | { kind: 'view_submission'; user: string; viewId: string }
  | { kind: 'other' };

export function applyAck(ws: Workspace, it: Interaction | undefined, payload: Json): AckEffect {
  const p = typeof payload === 'object' && payload !== null ? payload : {};
  if (it?.kind === 'slash') {
    if (p.text === undefined && p.blocks === undefined) return { applied: true };
    if (p.blocks !== undefined && checkBlocks(p.blocks, 'message').length > 0) return { applied: false, effectError: 'invalid_blocks' };
    const content = { text: typeof p.text === 'string' ? p.text : '', ...(p.blocks !== undefined ? { blocks: normalizeBlocks(p.blocks) } : {}) };
    const ch = ws.channels.get(it.channel);
    if (p.response_type === 'in_channel' && ch) ws.postMessage(ch, content);
    else ws.postEphemeral(it.channel, it.user, content, 'slash_command_ack');
    return { applied: true };
  }
  if (it?.kind !== 'view_submission') return { applied: true };
  const fv = ws.views.get(it.viewId);
  if (!fv) return { applied: false, effectError: 'view gone' };
  switch (p.response_action) {
    case undefined:
      ws.closeView(fv, 'submit');
      return { applied: true };
    case 'clear':
      ws.closeView(fv, 'clear');
      return { applied: true };
    case 'errors': {
      const inputIds = new Set(fv.view.blocks.filter((b) => b.type === 'input').map((b) => b.block_id));
      const keys = typeof p.errors === 'object' && p.errors !== null ? Object.keys(p.errors) : [];
      if (keys.length === 0 || keys.some((k) => !inputIds.has(k))) return { applied: false, effectError: 'errors must name input block_ids of the view' };
      fv.errors = structuredClone(p.errors);
      return { applied: true };
    }
    case 'update':
    case 'push': {
      const problems = checkView(p.view);
      if (problems.length > 0) return { applied: false, effectError: problems.join('; ') };
      if (p.response_action === 'update') ws.replaceView(fv, p.view, normalizeBlocks(p.view.blocks));
      else ws.newView(it.user, p.view, normalizeBlocks(p.view.blocks), { root: fv.view.root_view_id, previous: fv.id });
      return { applied: true };
    }
    default:
      return { applied: false, effectError: `unknown response_action ${String(p.response_action)}` };
  }
}
