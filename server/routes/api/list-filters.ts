/**
 * The filters the list routes share (the connection, command and event logs, recordings): one
 * definition of each query parameter, so the same name means the same bounds everywhere (and in
 * the OpenAPI document), and the reading of time bounds.
 */
import { GatehouseError } from '../../../protocol/errors';
import { parseDuration } from '../../config';

const FILTERS = {
  user: { type: 'string', maxLength: 320 },
  target: { type: 'string', maxLength: 128 },
  since: { type: 'string', maxLength: 40 },
  until: { type: 'string', maxLength: 40 },
  grep: { type: 'string', minLength: 1, maxLength: 200 },
  after: { type: 'integer', minimum: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 10000 },
} as const;

/** A closed querystring schema of the shared filters `names`, plus a route's own parameters. */
export function filterQuery<K extends keyof typeof FILTERS>(names: readonly K[], own: Record<string, object> = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { ...Object.fromEntries(names.map((n) => [n, FILTERS[n]])), ...own },
  } as const;
}

/** `since`/`until`: an ISO time, or a duration back from now (`2h`, `7d`); ISO UTC out. */
export function parseTimeBound(name: string, v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined || v === '') return undefined;
  const d = parseDuration(v);
  if (d !== null) return new Date(now - d * 1000).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new GatehouseError('BAD_REQUEST', `${name} must be an ISO time or a duration like 2h, not ${JSON.stringify(v).slice(0, 40)}`);
  return new Date(t).toISOString();
}
