/**
 * SPEC §4/§8: a recording cut short by `kill -9` still parses (every complete line is a valid
 * event) and, once repaired, is accepted by asciinema itself. This runs the real sink in a
 * real child process and kills it mid-stream.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCast, repairCast } from '../../../recorder/cast-repair';
import { bundleEntry } from '../../helpers/bundle';

const ASCIINEMA = '/usr/bin/asciinema';
const SCRIPT = '/usr/bin/script';
const fixtureTs = fileURLToPath(new URL('../../fixtures/sink-writer.ts', import.meta.url));
const castsDir = fileURLToPath(new URL('../../fixtures/casts/', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const countLines = (b: Buffer): number => b.reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 0);

let dir: string;
let bundleDir: string | undefined;
let raw: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-crash-'));
  const script = await bundleEntry(fixtureTs);
  bundleDir = dirname(script);
  const cast = join(dir, 'recordings', '2025', '01', 'crash.cast');
  const child = spawn(process.execPath, [script, cast], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sink-writer exited early (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`sink-writer wrote too little in 30 s: ${stderr}`);
      if (existsSync(cast) && countLines(await readFile(cast)) > 200) break;
      await sleep(10);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  expect(child.signalCode).toBe('SIGKILL');
  raw = await readFile(cast);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

/** Writes a copy of the killed file, so each test starts from the same bytes. */
async function copyOfRaw(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, raw);
  return path;
}

function asciinemaCat(path: string): { status: number | null; output: string } {
  // asciinema 2.x `cat` opens /dev/tty, so it needs a terminal even when output is discarded:
  // `script` gives it a pty. `-e` returns the child's exit status.
  const r = spawnSync(SCRIPT, ['-qec', `${ASCIINEMA} cat '${path}'`, '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout?.toString().slice(-2000)}${r.stderr?.toString()}` };
}

describe('a recording killed with SIGKILL', () => {
  it('has only valid complete lines: a v2 header, then ordered events, no replacement characters', () => {
    const lastNl = raw.lastIndexOf(0x0a);
    const complete = raw.subarray(0, lastNl + 1);
    expect(countLines(complete)).toBeGreaterThan(200);
    // Strict UTF-8: a line cut inside a character would throw here.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(complete);
    const { header, events } = parseCast(text);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, title: 'root@crash-test by sink-writer@example.com' });
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    expect(output).toContain('héllo wörld 日本 😀');
    expect(output).not.toContain('\uFFFD');
    expect(events.some((e) => e[1] === 'i' && e[2].startsWith('ünïcode'))).toBe(true);
    expect(events.some((e) => e[1] === 'r')).toBe(true);
  });

  it('parses whole after repairCast, which drops only the partial tail', async () => {
    const path = await copyOfRaw('repaired.cast');
    const tail = raw.length - (raw.lastIndexOf(0x0a) + 1);
    const result = await repairCast(path);
    expect(result.droppedBytes).toBe(tail);
    const repaired = await readFile(path);
    expect(result.lines).toBe(countLines(repaired));
    expect(repaired.equals(raw.subarray(0, raw.length - tail))).toBe(true);
    parseCast(repaired.toString('utf8'));
    expect(await repairCast(path)).toEqual({ droppedBytes: 0, lines: result.lines });
  });

  it('is accepted by `asciinema cat` once repaired (and a damaged file is not)', async () => {
    if (!existsSync(ASCIINEMA) || !existsSync(SCRIPT)) {
      throw new Error(
        `${ASCIINEMA} or ${SCRIPT} is missing: install them (apt-get install asciinema bsdutils). ` +
          'This check is part of the recording contract and is never skipped.',
      );
    }
    const path = await copyOfRaw('for-asciinema.cast');
    await repairCast(path);
    const ok = asciinemaCat(path);
    expect(ok.status, ok.output).toBe(0);

    // Negative control: the same file with a partial line must fail, or the check proves nothing.
    const damaged = join(dir, 'damaged.cast');
    await copyFile(path, damaged);
    await writeFile(damaged, '[99.0, "o", "cut sho', { flag: 'a' });
    expect((await stat(damaged)).size).toBeGreaterThan((await stat(path)).size);
    expect(asciinemaCat(damaged).status).not.toBe(0);

    // The golden files are real casts too.
    for (const name of ['plain-session', 'utf8-split', 'control-sequences', 'input-events']) {
      const r = asciinemaCat(join(castsDir, `${name}.cast`));
      expect(r.status, `${name}.cast: ${r.output}`).toBe(0);
    }
  });
});
