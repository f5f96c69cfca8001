/**
 * `view.state.values` as Slack builds it when a person submits a modal:
 * `{ block_id: { action_id: { type, value | selected_option | selected_options | selected_user … } } }`,
 * starting from each element's initial value and applying what the test "typed" or "picked".
 *
 * Slack's client also refuses to submit a modal whose required input is empty or whose text breaks
 * min_length / max_length: the app never sees such a submission. The fake does the same (throws
 * ClientRefusedSubmission) unless the test asks to bypass it, so server-side validation is tested
 * with inputs Slack would really send.
 */
import type { Block, InputValue, Json } from './types';
import { allOptions, isStateful } from './block-kit';

export class ClientRefusedSubmission extends Error {
  constructor(readonly blockId: string, reason: string) {
    super(`Slack's client would not submit this modal: block ${blockId}: ${reason}`);
  }
}

const TEXT_LIKE = new Set(['plain_text_input', 'email_text_input', 'url_text_input', 'number_input', 'rich_text_input']);
const SINGLE_OPTION = new Set(['static_select', 'external_select', 'radio_buttons']);
const MULTI_OPTION = new Set(['multi_static_select', 'multi_external_select', 'checkboxes']);
const PICKERS: Record<string, [field: string, initial: string]> = {
  users_select: ['selected_user', 'initial_user'],
  multi_users_select: ['selected_users', 'initial_users'],
  conversations_select: ['selected_conversation', 'initial_conversation'],
  multi_conversations_select: ['selected_conversations', 'initial_conversations'],
  channels_select: ['selected_channel', 'initial_channel'],
  multi_channels_select: ['selected_channels', 'initial_channels'],
  datepicker: ['selected_date', 'initial_date'],
  timepicker: ['selected_time', 'initial_time'],
  datetimepicker: ['selected_date_time', 'initial_date_time'],
};

function optionFor(e: Record<string, Json>, value: string): Json {
  if (e.type.endsWith('external_select')) return { text: { type: 'plain_text', text: value, emoji: true }, value };
  const found = allOptions(e).find((o: Json) => String(o?.value) === value);
  if (found === undefined) throw new Error(`element ${e.action_id} has no option with value ${JSON.stringify(value)}`);
  return found;
}

function stateOf(e: Record<string, Json>, given: InputValue | undefined): Record<string, Json> {
  const t = e.type as string;
  if (TEXT_LIKE.has(t)) {
    if (Array.isArray(given)) throw new Error(`element ${e.action_id} (${t}) takes one text value`);
    const value = given !== undefined ? given : (e.initial_value ?? null);
    return { type: t, value: value === '' ? null : value };
  }
  if (SINGLE_OPTION.has(t)) {
    if (Array.isArray(given)) throw new Error(`element ${e.action_id} (${t}) takes one option value`);
    const selected = given !== undefined ? (given === null ? null : optionFor(e, given)) : (e.initial_option ?? null);
    return { type: t, selected_option: selected };
  }
  if (MULTI_OPTION.has(t)) {
    const values = given === undefined ? null : given === null ? [] : Array.isArray(given) ? given : [given];
    const selected = values === null ? (e.initial_options ?? []) : values.map((v) => optionFor(e, v));
    return { type: t, selected_options: selected };
  }
  const picker = PICKERS[t];
  if (picker) {
    const [field, initial] = picker;
    const multi = t.startsWith('multi_');
    let v: Json = given !== undefined ? given : (e[initial] ?? (multi ? [] : null));
    if (multi && typeof v === 'string') v = [v];
    if (t === 'datetimepicker' && typeof v === 'string') v = Number(v);
    return { type: t, [field]: v };
  }
  return { type: t, value: given ?? null };
}

function isEmpty(s: Record<string, Json>): boolean {
  const v = s.value ?? s.selected_option ?? s.selected_options ?? s.selected_user ?? s.selected_users ?? s.selected_conversation ??
    s.selected_conversations ?? s.selected_channel ?? s.selected_channels ?? s.selected_date ?? s.selected_time ?? s.selected_date_time;
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function clientCheck(b: Block, e: Record<string, Json>, s: Record<string, Json>) {
  const id = String(b.block_id);
  if (isEmpty(s)) {
    if (b.optional !== true) throw new ClientRefusedSubmission(id, 'required field is empty');
    return;
  }
  if (typeof s.value !== 'string') return;
  const v = s.value;
  if (e.type === 'plain_text_input') {
    if (typeof e.min_length === 'number' && v.length < e.min_length) throw new ClientRefusedSubmission(id, `shorter than min_length ${e.min_length}`);
    if (typeof e.max_length === 'number' && v.length > e.max_length) throw new ClientRefusedSubmission(id, `longer than max_length ${e.max_length}`);
  }
  if (e.type === 'number_input') {
    const n = Number(v);
    if (!Number.isFinite(n) || (e.is_decimal_allowed !== true && !Number.isInteger(n))) throw new ClientRefusedSubmission(id, 'not a valid number');
    if (e.min_value !== undefined && n < Number(e.min_value)) throw new ClientRefusedSubmission(id, 'below min_value');
    if (e.max_value !== undefined && n > Number(e.max_value)) throw new ClientRefusedSubmission(id, 'above max_value');
  }
  if (e.type === 'email_text_input' && !/^[^@\s]+@[^@\s]+$/.test(v)) throw new ClientRefusedSubmission(id, 'not an email address');
}

/**
 * Build `state.values` for a view's blocks. `given` is keyed by block_id or action_id; keys that
 * match no stateful element are a test mistake and throw.
 */
export function buildStateValues(
  blocks: Block[],
  given: Record<string, InputValue>,
  opts: { clientValidation: boolean } = { clientValidation: true },
): Record<string, Record<string, Json>> {
  const values: Record<string, Record<string, Json>> = {};
  const used = new Set<string>();
  for (const b of blocks) {
    const els: Record<string, Json>[] = [
      ...(b.type === 'actions' && Array.isArray(b.elements) ? b.elements : []),
      b.accessory,
      b.element,
    ].filter((e) => typeof e === 'object' && e !== null && isStateful(e));
    for (const e of els) {
      const key = b.type === 'input' && Object.hasOwn(given, b.block_id) ? b.block_id : Object.hasOwn(given, e.action_id) ? e.action_id : undefined;
      if (key !== undefined) used.add(key);
      const s = stateOf(e, key === undefined ? undefined : given[key]);
      if (b.type === 'input' && opts.clientValidation) clientCheck(b, e, s);
      (values[b.block_id] ??= {})[e.action_id] = s;
    }
  }
  const unknown = Object.keys(given).filter((k) => !used.has(k));
  if (unknown.length > 0) throw new Error(`no input in this view for ${unknown.join(', ')} (use a block_id or action_id)`);
  return values;
}
