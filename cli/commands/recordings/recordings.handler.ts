import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RecordingInfo } from '../../../protocol/api-types';
import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import type { ApiClient } from '../../services/api-client';
import { duration, localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { RecordingsArgs } from './recordings.command';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const size = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : mib(n));

async function list(deps: Deps, api: ApiClient, args: Extract<RecordingsArgs, { sub: 'ls' }>): Promise<number> {
  const recs = await api.recordings({
    ...(args.user ? { user: args.user } : {}),
    ...(args.target ? { target: args.target } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.grep ? { grep: args.grep } : {}),
  });
  const flags = (r: RecordingInfo) => [r.live ? 'live' : '', r.recordsInput ? 'input' : ''].filter(Boolean).join(',');
  writeList(deps, recs, {
    json: args.json,
    empty: 'No matching recordings.',
    header: ['ID', 'USER', 'WHERE', 'STARTED', 'DURATION', 'SIZE', 'FLAGS'],
    rows: (rs) => rs.map((r) => [r.id, r.userEmail, `${r.targetUser}@${r.targetName}`, localTime(r.startedAt), r.durationSeconds === null ? '' : duration(Math.round(r.durationSeconds)), size(r.sizeBytes), flags(r)]),
  });
  return 0;
}

/** Shown on stderr while bytes arrive, when stderr is a terminal. */
function progress(deps: Deps, label: string, total: number | null): Transform {
  let done = 0;
  let shownAt = 0;
  const show = (final: boolean) => {
    if (!deps.stderr.isTTY) return;
    const pct = total ? ` ${Math.floor((done / total) * 100)} %` : '';
    deps.stderr.write(`\r${label}: ${mib(done)}${total ? ` of ${mib(total)}` : ''}${pct}${final ? '\n' : ''}`);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      if (Date.now() - shownAt > 100) (shownAt = Date.now()), show(false);
      cb(null, chunk);
    },
    flush(cb) {
      show(true);
      cb();
    },
  });
}

async function download(deps: Deps, api: ApiClient, args: Extract<RecordingsArgs, { sub: 'download' }>): Promise<number> {
  const { stream, size: total } = await api.recordingCast(args.id);
  if (args.output === '-') {
    await pipeline(stream, deps.stdout, { end: false }).catch((e: Error) => {
      throw api.networkError(e);
    });
    return 0;
  }
  const file = args.output ?? `${args.id}.cast`;
  // 'wx': an existing file (perhaps an earlier copy of evidence) is never overwritten.
  const out = createWriteStream(file, { flags: 'wx' });
  await once(out, 'open').catch((e: NodeJS.ErrnoException) => {
    stream.destroy();
    throw new CliError(e.code === 'EEXIST' ? `${file} exists; choose another name with -o FILE` : `cannot write ${file}: ${e.message}`);
  });
  await pipeline(stream, progress(deps, `downloading ${args.id}`, total), out).catch(async (e: Error) => {
    await unlink(file).catch(() => undefined); // no half a recording left behind under its name
    throw e instanceof CliError ? e : api.networkError(e);
  });
  deps.stdout.write(`Saved recording ${args.id} to ${file} (${size(out.bytesWritten)}).\n`);
  return 0;
}

/**
 * Replays the output events of an asciicast v2 stream with their timing: event times are
 * seconds from the start; each wait is capped at the idle limit, then divided by the speed,
 * and scheduled from the start (no drift). Writes wait for stdout to drain.
 */
async function play(deps: Deps, api: ApiClient, args: Extract<RecordingsArgs, { sub: 'play' }>): Promise<number> {
  const { stream } = await api.recordingCast(args.id);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header = true;
  let lastT = 0;
  let playT = 0;
  const start = Date.now();
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new CliError(`recording ${args.id} is not a valid asciicast file (a line is not JSON)`);
      }
      if (header) {
        header = false;
        if ((v as { version?: unknown }).version !== 2) throw new CliError(`recording ${args.id} is not asciicast v2`);
        continue;
      }
      if (!Array.isArray(v) || typeof v[0] !== 'number' || v[1] !== 'o' || typeof v[2] !== 'string') continue; // input, resize, markers
      const gap = Math.max(0, v[0] - lastT);
      lastT = v[0];
      playT += args.idleLimit === null ? gap : Math.min(gap, args.idleLimit);
      const wait = start + (playT * 1000) / args.speed - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!deps.stdout.write(v[2])) await once(deps.stdout, 'drain');
    }
  } catch (e) {
    throw e instanceof CliError ? e : api.networkError(e as Error);
  }
  if (header) throw new CliError(`recording ${args.id} is empty`);
  return 0;
}

export async function recordingsHandler(deps: Deps, args: RecordingsArgs): Promise<number> {
  if (args.sub === 'rm') throw new CliError('deleting recordings is not available in this version: recordings are evidence, and the service keeps them');
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls':
      return list(deps, api, args);
    case 'download':
      return download(deps, api, args);
    case 'play':
      return play(deps, api, args);
  }
}
