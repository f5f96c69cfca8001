/**
 * Block Kit as Slack checks it: the limits that bite in practice (modal title ≤ 24 characters,
 * button text ≤ 75, option value ≤ 150, 50 blocks per message, unique block_ids…) reported the
 * way Slack reports them: `[ERROR] <why> [json-pointer:/blocks/0/text]` in
 * `response_metadata.messages`. Not the whole schema: unknown keys are tolerated, and element
 * types beyond the common ones are only checked for an action_id.
 */
import type { Block, Json } from './types';
import { shortId } from './ids';

const BLOCK_TYPES = new Set([
  'section', 'actions', 'context', 'divider', 'header', 'image', 'input', 'rich_text', 'file', 'video', 'markdown', 'context_actions', 'table',
]);
const SELECTS = new Set(['static_select', 'multi_static_select', 'external_select', 'multi_external_select']);
const OTHER_ELEMENTS = new Set([
  'users_select', 'multi_users_select', 'conversations_select', 'multi_conversations_select', 'channels_select',
  'multi_channels_select', 'datepicker', 'timepicker', 'datetimepicker', 'email_text_input', 'url_text_input',
  'rich_text_input', 'file_input', 'workflow_button', 'feedback_buttons', 'icon_button',
]);
/** Elements whose value shows up in `state.values`. */
const STATEFUL = new Set([
  ...SELECTS, 'plain_text_input', 'number_input', 'radio_buttons', 'checkboxes', ...OTHER_ELEMENTS,
]);

class Problems {
  readonly list: string[] = [];
  add(msg: string, pointer: string) {
    this.list.push(`[ERROR] ${msg} [json-pointer:${pointer}]`);
  }
}

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(p: Problems, t: unknown, ptr: string, opts: { max: number; plainOnly?: boolean; required?: boolean }) {
  if (t === undefined) {
    if (opts.required !== false) p.add('missing required field: text', ptr);
    return;
  }
  if (!isObj(t)) return p.add('must be an object', ptr);
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') return p.add('must be one of plain_text, mrkdwn', `${ptr}/type`);
  if (opts.plainOnly && t.type !== 'plain_text') p.add('must be plain_text', `${ptr}/type`);
  if (typeof t.text !== 'string') return p.add('must be a string', `${ptr}/text`);
  if (t.text.length === 0) p.add('must be more than 0 characters', `${ptr}/text`);
  if (t.text.length > opts.max) p.add(`must be less than ${opts.max + 1} characters`, `${ptr}/text`);
}

function maxLen(p: Problems, v: unknown, max: number, ptr: string, required = false) {
  if (v === undefined) {
    if (required) p.add(`missing required field: ${ptr.split('/').pop()}`, ptr);
    return;
  }
  if (typeof v !== 'string') return p.add('must be a string', ptr);
  if (required && v.length === 0) p.add('must be more than 0 characters', ptr);
  if (v.length > max) p.add(`must be less than ${max + 1} characters`, ptr);
}

function options(p: Problems, opts: unknown, ptr: string, min: number, max: number, plainOnly: boolean): string[] {
  if (!Array.isArray(opts)) {
    p.add('must be an array', ptr);
    return [];
  }
  if (opts.length < min) p.add(`must provide at least ${min} items`, ptr);
  if (opts.length > max) p.add(`must provide no more than ${max} items`, ptr);
  opts.forEach((o, i) => {
    if (!isObj(o)) return p.add('must be an object', `${ptr}/${i}`);
    text(p, o.text, `${ptr}/${i}/text`, { max: 75, plainOnly });
    maxLen(p, o.value, 150, `${ptr}/${i}/value`, true);
  });
  return opts.filter(isObj).map((o) => String(o.value));
}

function element(p: Problems, e: unknown, ptr: string, actionIds: Set<string>) {
  if (!isObj(e)) return p.add('must be an object', ptr);
  if (typeof e.type !== 'string') return p.add('missing required field: type', `${ptr}/type`);
  if (e.type === 'image') {
    maxLen(p, e.image_url ?? e.slack_file?.url ?? '', 3000, `${ptr}/image_url`);
    maxLen(p, e.alt_text, 2000, `${ptr}/alt_text`, true);
    return;
  }
  if (e.action_id !== undefined) {
    maxLen(p, e.action_id, 255, `${ptr}/action_id`);
    if (actionIds.has(e.action_id)) p.add(`action_id '${e.action_id}' already exists`, `${ptr}/action_id`);
    actionIds.add(e.action_id);
  }
  switch (e.type) {
    case 'button':
      text(p, e.text, `${ptr}/text`, { max: 75, plainOnly: true });
      maxLen(p, e.value, 2000, `${ptr}/value`);
      maxLen(p, e.url, 3000, `${ptr}/url`);
      if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') p.add('must be one of primary, danger', `${ptr}/style`);
      return;
    case 'overflow':
      options(p, e.options, `${ptr}/options`, 1, 5, true);
      return;
    case 'radio_buttons':
    case 'checkboxes': {
      const values = options(p, e.options, `${ptr}/options`, 1, 10, false);
      initialOptions(p, e, values, ptr);
      return;
    }
    case 'plain_text_input':
      if (e.min_length !== undefined && !(Number.isInteger(e.min_length) && e.min_length >= 0 && e.min_length <= 3000)) p.add('must be between 0 and 3000', `${ptr}/min_length`);
      if (e.max_length !== undefined && !(Number.isInteger(e.max_length) && e.max_length >= 1 && e.max_length <= 3000)) p.add('must be between 1 and 3000', `${ptr}/max_length`);
      if (e.placeholder !== undefined) text(p, e.placeholder, `${ptr}/placeholder`, { max: 150, plainOnly: true });
      return;
    case 'number_input':
      if (typeof e.is_decimal_allowed !== 'boolean') p.add('missing required field: is_decimal_allowed', `${ptr}/is_decimal_allowed`);
      return;
    default:
      if (SELECTS.has(e.type)) {
        if (e.placeholder !== undefined) text(p, e.placeholder, `${ptr}/placeholder`, { max: 150, plainOnly: true });
        if (e.type.endsWith('external_select')) return;
        if (e.option_groups !== undefined) {
          const groups = Array.isArray(e.option_groups) ? e.option_groups : [];
          const values = groups.flatMap((g: Json, i: number) => options(p, g?.options, `${ptr}/option_groups/${i}/options`, 1, 100, true));
          initialOptions(p, e, values, ptr);
        } else {
          initialOptions(p, e, options(p, e.options, `${ptr}/options`, 1, 100, true), ptr);
        }
        return;
      }
      if (!OTHER_ELEMENTS.has(e.type)) p.add(`unsupported type: ${e.type}`, `${ptr}/type`);
  }
}

function initialOptions(p: Problems, e: Record<string, Json>, values: string[], ptr: string) {
  const initial = [e.initial_option, ...(Array.isArray(e.initial_options) ? e.initial_options : [])].filter((o) => o !== undefined);
  initial.forEach((o) => {
    if (!values.includes(String(o?.value))) p.add('must match one of the options', `${ptr}/initial_option`);
  });
}

function block(p: Problems, b: unknown, ptr: string, blockIds: Set<string>) {
  if (!isObj(b)) return p.add('must be an object', ptr);
  if (typeof b.type !== 'string' || !BLOCK_TYPES.has(b.type)) return p.add(`unsupported type: ${String(b.type)}`, `${ptr}/type`);
  if (b.block_id !== undefined) {
    maxLen(p, b.block_id, 255, `${ptr}/block_id`);
    if (blockIds.has(b.block_id)) p.add(`block_id '${b.block_id}' already exists`, `${ptr}/block_id`);
    blockIds.add(b.block_id);
  }
  const actionIds = new Set<string>();
  switch (b.type) {
    case 'section':
      if (b.text === undefined && b.fields === undefined) p.add('must provide either text or fields', ptr);
      if (b.text !== undefined) text(p, b.text, `${ptr}/text`, { max: 3000 });
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length > 10) p.add('must provide no more than 10 items', `${ptr}/fields`);
        else b.fields.forEach((f: Json, i: number) => text(p, f, `${ptr}/fields/${i}`, { max: 2000 }));
      }
      if (b.accessory !== undefined) element(p, b.accessory, `${ptr}/accessory`, actionIds);
      return;
    case 'header':
      text(p, b.text, `${ptr}/text`, { max: 150, plainOnly: true });
      return;
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) return p.add('must provide between 1 and 10 items', `${ptr}/elements`);
      b.elements.forEach((e: Json, i: number) => (e?.type === 'image' ? element(p, e, `${ptr}/elements/${i}`, actionIds) : text(p, e, `${ptr}/elements/${i}`, { max: 3000 })));
      return;
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) return p.add('must provide between 1 and 25 items', `${ptr}/elements`);
      b.elements.forEach((e: Json, i: number) => element(p, e, `${ptr}/elements/${i}`, actionIds));
      return;
    case 'input':
      text(p, b.label, `${ptr}/label`, { max: 2000, plainOnly: true });
      if (b.hint !== undefined) text(p, b.hint, `${ptr}/hint`, { max: 2000, plainOnly: true });
      if (b.element === undefined) return p.add('missing required field: element', `${ptr}/element`);
      if (b.element?.type === 'button' || b.element?.type === 'overflow' || b.element?.type === 'image') p.add(`unsupported type: ${b.element.type}`, `${ptr}/element/type`);
      else element(p, b.element, `${ptr}/element`, actionIds);
      return;
    case 'image':
      element(p, { ...b, type: 'image' }, ptr, actionIds);
      return;
    default:
      return;
  }
}

/** Problems with a `blocks` array for a message (≤ 50 blocks) or a modal (≤ 100). */
export function checkBlocks(blocks: unknown, surface: 'message' | 'modal', ptr = '/blocks'): string[] {
  const p = new Problems();
  if (!Array.isArray(blocks)) {
    p.add('must be an array', ptr);
    return p.list;
  }
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) p.add(`must provide no more than ${max} items`, ptr);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => block(p, b, `${ptr}/${i}`, blockIds));
  return p.list;
}

/** Problems with a modal view object (views.open / update / push, and `response_action: update|push`). */
export function checkView(view: unknown): string[] {
  const p = new Problems();
  if (!isObj(view)) {
    p.add('must be an object', '/view');
    return p.list;
  }
  if (view.type !== 'modal') p.add('must be one of modal', '/view/type');
  text(p, view.title, '/view/title', { max: 24, plainOnly: true });
  if (view.submit !== undefined) text(p, view.submit, '/view/submit', { max: 24, plainOnly: true });
  if (view.close !== undefined) text(p, view.close, '/view/close', { max: 24, plainOnly: true });
  maxLen(p, view.private_metadata, 3000, '/view/private_metadata');
  maxLen(p, view.callback_id, 255, '/view/callback_id');
  maxLen(p, view.external_id, 255, '/view/external_id');
  p.list.push(...checkBlocks(view.blocks, 'modal', '/view/blocks'));
  if (Array.isArray(view.blocks) && view.blocks.some((b: Json) => b?.type === 'input') && view.submit === undefined) {
    p.add('must provide a submit property when input blocks are present', '/view');
  }
  return p.list;
}

function normalizeText(t: Json): Json {
  return isObj(t) && t.type === 'plain_text' && t.emoji === undefined ? { ...t, emoji: true } : t;
}

function normalizeElement(e: Json): Json {
  if (!isObj(e) || e.type === 'image') return e;
  const out: Record<string, Json> = { ...e };
  if (out.action_id === undefined) out.action_id = shortId();
  for (const k of ['text', 'placeholder']) if (out[k] !== undefined) out[k] = normalizeText(out[k]);
  if (Array.isArray(out.options)) out.options = out.options.map((o: Json) => ({ ...o, text: normalizeText(o.text) }));
  return out;
}

/**
 * What Slack stores for valid blocks: a block_id on every block and an action_id on every
 * interactive element (random when the app gave none), `emoji: true` on plain_text objects.
 */
export function normalizeBlocks(blocks: Block[]): Block[] {
  return blocks.map((b) => {
    const out: Block = structuredClone(b);
    if (out.block_id === undefined) out.block_id = shortId();
    for (const k of ['text', 'label', 'hint']) if (out[k] !== undefined) out[k] = normalizeText(out[k]);
    if (Array.isArray(out.elements) && out.type !== 'context' && out.type !== 'rich_text') out.elements = out.elements.map(normalizeElement);
    if (out.accessory !== undefined) out.accessory = normalizeElement(out.accessory);
    if (out.element !== undefined) out.element = normalizeElement(out.element);
    return out;
  });
}

export interface FoundElement {
  block: Block;
  element: Record<string, Json>;
}

/** Every interactive element with this action_id (the same id may appear once per block). */
export function findElements(blocks: Block[] | undefined, actionId: string): FoundElement[] {
  const found: FoundElement[] = [];
  for (const b of blocks ?? []) {
    const els: Json[] = [...(Array.isArray(b.elements) && b.type === 'actions' ? b.elements : []), b.accessory, b.element].filter(isObj);
    for (const e of els) if (e.action_id === actionId) found.push({ block: b, element: e });
  }
  return found;
}

export function isStateful(e: Record<string, Json>): boolean {
  return STATEFUL.has(e.type);
}

export function allOptions(e: Record<string, Json>): Json[] {
  if (Array.isArray(e.option_groups)) return e.option_groups.flatMap((g: Json) => (Array.isArray(g?.options) ? g.options : []));
  return Array.isArray(e.options) ? e.options : [];
}
