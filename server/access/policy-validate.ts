/**
 * Strict validation of policy documents (SPEC §3), shared by `PUT /policies/:name`,
 * `POST /policies/apply` and anything else that stores policies. A document is rejected with a
 * message naming the field (`[1].actions: …` inside an array) on an unknown kind or field, a
 * malformed name, a bad target user, or a missing subject/target; nothing of a rejected batch
 * is stored. The result is the normalized document (fields in a fixed order, empty optional
 * lists dropped), which is what `ls`/`show` print.
 */
import { GatehouseError } from '../../protocol/errors';
import type { PolicyDoc, PolicySubjects } from '../../protocol/api-types';
import type { Action } from '../../protocol/permit';
import { parseDuration } from '../config';

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const API_KEY_RE = /^gk_[a-z0-9]{12}$/;
/** A POSIX user name, or a pattern with `{username}` (the part of the user's email before `@`). */
const TARGET_USER_RE = /^(?:[A-Za-z_]|\{username\})(?:[A-Za-z0-9_.-]|\{username\}){0,31}$/;
const ACTIONS: readonly Action[] = ['shell', 'tunnel', 'copy'];
const MAX_LIST = 1000;

const FIELDS: Record<PolicyDoc['kind'], { required: string[]; optional: string[] }> = {
  target_access: { required: ['name', 'kind', 'subjects', 'actions', 'targetUsers'], optional: ['targets', 'environments'] },
  proxy: { required: ['name', 'kind', 'subjects', 'targetUsers'], optional: ['targets', 'environments'] },
  session_recording: { required: ['name', 'kind', 'subjects', 'recordInput'], optional: [] },
  just_in_time: { required: ['name', 'kind', 'subjects', 'actions', 'targetUsers', 'approval', 'duration'], optional: ['targets', 'environments', 'approvers'] },
};

/** JIT durations: a request may ask for at most this long (SPEC: minutes or hours). */
export const JIT_MIN_SECONDS = 5;
export const JIT_MAX_SECONDS = 7 * 86400;
/** Names of policies approved requests create; people cannot apply or replace them. */
export const JIT_GRANT_PREFIX = 'JIT-';

class Invalid extends Error {}

function stringList(v: unknown, field: string, re: RegExp, what: string, opts: { min?: number } = {}): string[] {
  if (!Array.isArray(v)) throw new Invalid(`${field}: must be a list of ${what}`);
  if (v.length > MAX_LIST) throw new Invalid(`${field}: at most ${MAX_LIST} entries`);
  if (v.length < (opts.min ?? 0)) throw new Invalid(`${field}: name at least ${opts.min} ${what}`);
  const seen = new Set<string>();
  v.forEach((x, i) => {
    if (typeof x !== 'string' || !re.test(x)) throw new Invalid(`${field}[${i}]: ${JSON.stringify(x)?.slice(0, 80)} is not a valid ${what.replace(/s$/, '')}`);
    if (seen.has(x)) throw new Invalid(`${field}[${i}]: ${x} is listed twice`);
    seen.add(x);
  });
  return v as string[];
}

function subjects(v: unknown): PolicySubjects {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid('subjects: must be an object with users, groups and/or apiKeys');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['users', 'groups', 'apiKeys'].includes(k)) throw new Invalid(`subjects.${k}: unknown field (subjects are users, groups, apiKeys)`);
  const out: PolicySubjects = {};
  if (o.users !== undefined) out.users = stringList(o.users, 'subjects.users', EMAIL_RE, 'emails').map((u) => u.toLowerCase());
  if (o.groups !== undefined) out.groups = stringList(o.groups, 'subjects.groups', NAME_RE, 'group names');
  if (o.apiKeys !== undefined) out.apiKeys = stringList(o.apiKeys, 'subjects.apiKeys', API_KEY_RE, 'API key ids (gk_…)');
  if (!out.users?.length && !out.groups?.length && !out.apiKeys?.length) throw new Invalid('subjects: name at least one user, group or API key');
  for (const k of ['users', 'groups', 'apiKeys'] as const) if (out[k]?.length === 0) delete out[k];
  return out;
}

function scope(o: Record<string, unknown>): { targets?: string[]; environments?: string[] } {
  const targets = o.targets === undefined ? [] : stringList(o.targets, 'targets', NAME_RE, 'target names');
  const environments = o.environments === undefined ? [] : stringList(o.environments, 'environments', NAME_RE, 'environment names');
  if (targets.length === 0 && environments.length === 0) throw new Invalid('targets: name at least one target or environment');
  return { ...(targets.length ? { targets } : {}), ...(environments.length ? { environments } : {}) };
}

function one(v: unknown): PolicyDoc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid('a policy must be an object');
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || !NAME_RE.test(o.name)) throw new Invalid(`name: ${o.name === undefined ? 'is required' : `${JSON.stringify(o.name).slice(0, 80)} is not 1-64 letters, digits, dots, dashes or underscores starting with a letter or digit`}`);
  const name = o.name;
  if (name.startsWith(JIT_GRANT_PREFIX)) throw new Invalid(`name: ${JIT_GRANT_PREFIX}… policies are created by approved requests, not applied`);
  if (typeof o.kind !== 'string' || !(o.kind in FIELDS)) throw new Invalid(`kind: must be one of ${Object.keys(FIELDS).join(', ')}`);
  const kind = o.kind as PolicyDoc['kind'];
  const f = FIELDS[kind];
  for (const k of Object.keys(o)) if (!f.required.includes(k) && !f.optional.includes(k)) throw new Invalid(`${k}: unknown field for a ${kind} policy`);
  for (const k of f.required) if (o[k] === undefined) throw new Invalid(`${k}: is required for a ${kind} policy`);
  const subj = subjects(o.subjects);
  switch (kind) {
    case 'target_access': {
      const sc = scope(o);
      if (!Array.isArray(o.actions) || o.actions.length === 0) throw new Invalid('actions: must list at least one of shell, tunnel, copy');
      const actions = stringList(o.actions, 'actions', /^(shell|tunnel|copy)$/, 'actions (shell, tunnel, copy)') as Action[];
      const targetUsers = stringList(o.targetUsers, 'targetUsers', TARGET_USER_RE, 'target users (POSIX user names or {username})', { min: 1 });
      return { name, kind, subjects: subj, ...sc, actions: ACTIONS.filter((a) => actions.includes(a)), targetUsers };
    }
    case 'proxy': {
      const sc = scope(o);
      const targetUsers = stringList(o.targetUsers, 'targetUsers', TARGET_USER_RE, 'target users (service user names or {username})', { min: 1 });
      return { name, kind, subjects: subj, ...sc, targetUsers };
    }
    case 'session_recording': {
      if (typeof o.recordInput !== 'boolean') throw new Invalid('recordInput: must be true or false');
      return { name, kind, subjects: subj, recordInput: o.recordInput };
    }
    case 'just_in_time': {
      const sc = scope(o);
      if (!Array.isArray(o.actions) || o.actions.length === 0) throw new Invalid('actions: must list at least one of shell, tunnel, copy');
      const actions = stringList(o.actions, 'actions', /^(shell|tunnel|copy)$/, 'actions (shell, tunnel, copy)') as Action[];
      const targetUsers = stringList(o.targetUsers, 'targetUsers', TARGET_USER_RE, 'target users (POSIX user names or {username})', { min: 1 });
      if (o.approval !== 'auto' && o.approval !== 'manual') throw new Invalid('approval: must be auto or manual');
      const seconds = typeof o.duration === 'string' ? parseDuration(o.duration) : null;
      if (seconds === null || seconds < JIT_MIN_SECONDS || seconds > JIT_MAX_SECONDS) throw new Invalid(`duration: must be a duration like 30m or 2h, at most 7d; got ${JSON.stringify(o.duration)?.slice(0, 40)}`);
      let approvers: { users?: string[]; groups?: string[] } | undefined;
      if (o.approvers !== undefined) {
        if (typeof o.approvers !== 'object' || o.approvers === null || Array.isArray(o.approvers)) throw new Invalid('approvers: must be an object with users and/or groups');
        const a = o.approvers as Record<string, unknown>;
        for (const k of Object.keys(a)) if (k !== 'users' && k !== 'groups') throw new Invalid(`approvers.${k}: unknown field (approvers are users, groups)`);
        const users = a.users === undefined ? [] : stringList(a.users, 'approvers.users', EMAIL_RE, 'emails').map((u) => u.toLowerCase());
        const groups = a.groups === undefined ? [] : stringList(a.groups, 'approvers.groups', NAME_RE, 'group names');
        approvers = { ...(users.length ? { users } : {}), ...(groups.length ? { groups } : {}) };
      }
      return {
        name, kind, subjects: subj, ...sc, actions: ACTIONS.filter((a) => actions.includes(a)), targetUsers,
        approval: o.approval, duration: o.duration as string, ...(approvers ? { approvers } : {}),
      };
    }
  }
}

/** Validates one document; throws BAD_REQUEST naming the field. */
export function validatePolicy(v: unknown, where = ''): PolicyDoc {
  try {
    return one(v);
  } catch (e) {
    if (e instanceof Invalid) throw new GatehouseError('BAD_REQUEST', `${where}${e.message}`);
    throw e;
  }
}

/** Validates a batch: every document valid and names unique, or BAD_REQUEST naming `[i].field`. */
export function validatePolicies(v: unknown): PolicyDoc[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new GatehouseError('BAD_REQUEST', 'no policies given');
  if (list.length > 500) throw new GatehouseError('BAD_REQUEST', 'at most 500 policies at once');
  const docs = list.map((d, i) => validatePolicy(d, `[${i}].`));
  const names = new Set<string>();
  docs.forEach((d, i) => {
    if (names.has(d.name)) throw new GatehouseError('BAD_REQUEST', `[${i}].name: ${d.name} appears twice in this batch`);
    names.add(d.name);
  });
  return docs;
}
