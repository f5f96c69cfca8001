/**
 * The Web API over HTTP, as `@slack/web-api`'s WebClient speaks it: `POST {slackApiUrl}{method}`
 * with an `application/x-www-form-urlencoded` body (objects such as `blocks` and `view` as JSON
 * strings) and `Authorization: Bearer <token>`. JSON bodies and GET query strings are accepted
 * too, as Slack does (a JSON body's token must be in the header). Every answer is HTTP 200 with
 * `{ ok: true, … }` or `{ ok: false, error }`, except injected failures: 429 with `Retry-After`
 * (seconds), or another HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiCall, InjectedFailure, Json, ResolvedOptions } from './types';
import { METHODS, type Args, type MethodContext } from './web-api-methods';
import { SlackApiError } from './workspace';
import type { ResponseUrls } from './response-urls';

const MAX_BODY = 1024 * 1024;
const BOT_SCOPES = 'chat:write,commands,im:write,im:read,mpim:read,reactions:write,users:read,users:read.email,channels:read,groups:read,groups:write,channels:manage';

async function readBody(req: IncomingMessage): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, json: Json, headers: Record<string, string> = {}) {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export class WebApi {
  readonly calls: ApiCall[] = [];
  private readonly failures = new Map<string, InjectedFailure[]>();
  private readonly revoked = new Set<string>();

  constructor(
    private readonly ctx: MethodContext,
    private readonly options: ResolvedOptions,
    private readonly responseUrls: ResponseUrls,
    private readonly onChange: () => void,
  ) {}

  failNext(method: string, failure: InjectedFailure, times: number) {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
  }

  revoke(token: string) {
    this.revoked.add(token);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, { ok: false, error: 'request_too_large' });
    if (url.pathname.startsWith('/hooks/')) return this.handleHook(req, res, url.pathname, raw);
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!m) return send(res, 404, { ok: false, error: 'not_found' });
    const method = m[1] as string;

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    let args: Args = Object.fromEntries(url.searchParams);
    let jsonBody = false;
    if (raw.length > 0) {
      if (contentType === 'application/json') {
        jsonBody = true;
        try {
          const parsed = JSON.parse(raw);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          args = { ...args, ...parsed };
        } catch {
          return this.answer(res, method, {}, 'none', { ok: false, error: 'invalid_json' });
        }
      } else if (contentType === 'application/x-www-form-urlencoded' || contentType === '') {
        args = { ...args, ...Object.fromEntries(new URLSearchParams(raw)) };
      } else {
        return this.answer(res, method, {}, 'none', { ok: false, error: 'invalid_form_data' });
      }
    }

    const header = req.headers.authorization;
    const headerToken = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    // A token in a JSON body is ignored by Slack; apps.connections.open takes it only in the header.
    const paramToken = !jsonBody && method !== 'apps.connections.open' && typeof args.token === 'string' ? args.token : undefined;
    const token = headerToken || paramToken;
    const { token: _t, ...logged } = args;
    const kind: ApiCall['token'] = !token ? 'none' : token === this.options.botToken ? 'bot' : token === this.options.appToken ? 'app' : 'unknown';

    const injected = this.failures.get(method)?.shift();
    if (injected) {
      if ('error' in injected) return this.answer(res, method, logged, kind, { ok: false, error: injected.error, ...(injected.extra ?? {}) });
      if (injected.status === 429 && 'retryAfterSec' in injected) {
        return this.answer(res, method, logged, kind, { ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(injected.retryAfterSec) });
      }
      this.record(method, logged, kind, false, `http_${injected.status}`, injected.status);
      res.writeHead(injected.status, { 'content-type': 'text/plain' });
      res.end('body' in injected && injected.body !== undefined ? injected.body : 'fake injected failure');
      return;
    }

    const def = METHODS[method];
    if (!def) return this.answer(res, method, logged, kind, { ok: false, error: 'unknown_method', req_method: method });
    if (!token) return this.answer(res, method, logged, kind, { ok: false, error: 'not_authed' });
    if (this.revoked.has(token)) return this.answer(res, method, logged, kind, { ok: false, error: 'token_revoked' });
    if (kind === 'unknown') return this.answer(res, method, logged, kind, { ok: false, error: 'invalid_auth' });
    if (kind !== def.token) return this.answer(res, method, logged, kind, { ok: false, error: 'not_allowed_token_type' });
    const missing = (def.required ?? []).filter((k) => args[k] === undefined || args[k] === '');
    if (missing.length > 0) {
      const messages = missing.map((k) => `[ERROR] missing required field: ${k}`);
      return this.answer(res, method, logged, kind, { ok: false, error: 'invalid_arguments', response_metadata: { messages } });
    }
    let result: Json;
    try {
      result = { ok: true, ...def.run(args, this.ctx) };
    } catch (e) {
      if (!(e instanceof SlackApiError)) {
        console.error(`fake Slack: ${method} crashed`, e);
        result = { ok: false, error: 'internal_error' };
      } else {
        result = { ok: false, error: e.error, ...e.extra };
      }
    }
    return this.answer(res, method, logged, kind, result, 200, kind === 'bot' ? { 'x-oauth-scopes': BOT_SCOPES } : {});
  }

  private answer(res: ServerResponse, method: string, args: Args, token: ApiCall['token'], json: Json, status = 200, headers: Record<string, string> = {}) {
    this.record(method, args, token, json.ok === true, json.ok === true ? undefined : json.error, status);
    send(res, status, json, headers);
  }

  private record(method: string, args: Args, token: ApiCall['token'], ok: boolean, error: string | undefined, status: number) {
    this.calls.push({ method, args, token, at: Date.now(), ok, ...(error !== undefined ? { error } : {}), status });
    this.onChange();
  }

  private handleHook(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    if (req.method !== 'POST') return send(res, 405, { ok: false, error: 'method_not_allowed' });
    let body: Json;
    try {
      body = raw.startsWith('payload=') ? JSON.parse(new URLSearchParams(raw).get('payload') ?? '') : JSON.parse(raw);
    } catch {
      return send(res, 400, { ok: false, error: 'invalid_payload' });
    }
    const out = this.responseUrls.handle(path, body);
    this.onChange();
    send(res, out.status, out.json);
  }
}
