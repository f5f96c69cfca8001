/**
 * `response_url`s: the per-interaction webhooks Slack hands out with slash commands and message
 * actions (`https://hooks.slack.com/commands/…`, `…/actions/…`; here under the fake's own
 * `/hooks/`). A POST with a JSON message posts an ephemeral reply (default) or an in-channel one
 * (`response_type: 'in_channel'`), or replaces / deletes the message the action came from
 * (`replace_original`, `delete_original`). Like Slack's, each URL works 5 times within 30 minutes.
 */
import type { Json } from './types';
import type { Workspace } from './workspace';
import { hex } from './ids';
import { checkBlocks, normalizeBlocks } from './block-kit';

interface UrlState {
  user: string;
  channel: string;
  source?: { kind: 'message' | 'ephemeral'; ts: string };
  uses: number;
  issuedAt: number;
}

const MAX_USES = 5;
const LIFETIME_MS = 30 * 60_000;

export class ResponseUrls {
  private readonly urls = new Map<string, UrlState>();
  private seq = 0;

  constructor(private readonly ws: Workspace, private readonly baseUrl: () => string) {}

  issue(kind: 'commands' | 'actions', s: Omit<UrlState, 'uses' | 'issuedAt'>): string {
    this.seq += 1;
    const path = `/hooks/${kind}/${this.ws.team.id}/${1000 + this.seq}/${hex(12)}`;
    this.urls.set(path, { ...s, uses: 0, issuedAt: Date.now() });
    return this.baseUrl() + path;
  }

  handle(path: string, body: Json): { status: number; json: Json } {
    const s = this.urls.get(path);
    if (!s) return { status: 404, json: { ok: false, error: 'no_service' } };
    if (Date.now() - s.issuedAt > LIFETIME_MS) return { status: 404, json: { ok: false, error: 'expired_url' } };
    if (s.uses >= MAX_USES) return { status: 404, json: { ok: false, error: 'used_url' } };
    if (typeof body !== 'object' || body === null) return { status: 400, json: { ok: false, error: 'invalid_payload' } };
    s.uses += 1;
    const ws = this.ws;
    const src = s.source;
    if (body.delete_original === true || body.delete_original === 'true') {
      if (src?.kind === 'message') {
        const m = ws.message(s.channel, src.ts);
        if (m) m.deleted = true;
      } else if (src?.kind === 'ephemeral') {
        const e = ws.ephemerals.find((x) => x.ts === src.ts);
        if (e) e.deleted = true;
      }
      return { status: 200, json: { ok: true } };
    }
    let blocks: Json[] | undefined;
    if (body.blocks !== undefined) {
      if (checkBlocks(body.blocks, 'message').length > 0) return { status: 400, json: { ok: false, error: 'invalid_blocks' } };
      blocks = normalizeBlocks(body.blocks);
    }
    const text = typeof body.text === 'string' ? body.text : '';
    if (text === '' && (blocks === undefined || blocks.length === 0)) return { status: 400, json: { ok: false, error: 'no_text' } };
    const content = { text, ...(blocks !== undefined ? { blocks } : {}) };
    if ((body.replace_original === true || body.replace_original === 'true') && src) {
      if (src.kind === 'message') {
        const m = ws.message(s.channel, src.ts);
        if (m) {
          m.text = text;
          if (blocks !== undefined) m.blocks = blocks;
          else delete m.blocks;
          m.edited = { user: ws.bot.userId, ts: ws.clock.next() };
        }
      } else {
        const e = ws.ephemerals.find((x) => x.ts === src.ts);
        if (e) {
          e.text = text;
          if (blocks !== undefined) e.blocks = blocks;
          else delete e.blocks;
        }
      }
      return { status: 200, json: { ok: true } };
    }
    const ch = ws.channels.get(s.channel);
    if (body.response_type === 'in_channel' && ch) ws.postMessage(ch, content);
    else ws.postEphemeral(s.channel, s.user, content, 'response_url');
    return { status: 200, json: { ok: true } };
  }
}
