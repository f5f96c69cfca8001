/**
 * The command-log corpus (issue 5 acceptance): scripted sessions against real shells, each a
 * fixture in test/fixtures/command-corpus/ with the exact command rows it must produce.
 *
 * Every session goes the real way: POST /api/v1/connections on the `local` target as a test
 * user (bash login shell, or /bin/sh = dash), keystrokes over the websocket, the embedded agent
 * (dist/, with its shell integration), the broker's taps, the store's batched writer, and back
 * out through GET /api/v1/logs/commands?connection=ID. A failure names the fixture.
 *
 * Fixture format (JSON): { shell: 'bash'|'dash', cols?, rows?, covers: string[], setup?: [path in
 * home, content][], steps: Step[], ends?: true, secrets?: string[], expect: {command, exitCode}[] }.
 * Steps: {send} one websocket message; {type} one message per character; {paste} sent the way
 * a browser pastes (bracketed when the shell asked for it); {resize: [cols, rows]};
 * {sleep: ms}. A send/type/paste ending in Enter waits for a prompt (`$ ` or `# ` at the end of
 * the output since the step), any other waits until the output settles; `wait` (a regex on the
 * output with escape sequences removed) overrides, `wait: null` does not wait. Unless `ends`,
 * the runner types `exit` at the end and expects that last row too (without exit status: the
 * shell is gone before it could report one).
 *
 * Needs root (useradd, the agent switching users), as the appliance does.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminToken, api, startInProcess, type TestServer } from '../helpers/in-process-server';

type Step =
  | { send: string; wait?: string | null }
  | { type: string; wait?: string | null }
  | { paste: string; wait?: string | null }
  | { resize: [number, number] }
  | { sleep: number };

interface Fixture {
  file: string;
  shell: 'bash' | 'dash';
  cols?: number;
  rows?: number;
  covers: string[];
  setup?: [string, string][];
  steps: Step[];
  ends?: boolean;
  secrets?: string[];
  expect: { command: string; exitCode: number | null }[];
}

const DIR = join(__dirname, '../fixtures/command-corpus');
const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Omit<Fixture, 'file'>) }));

const isRoot = process.getuid?.() === 0;
const suffix = randomBytes(3).toString('hex');
const USERS = { bash: `ghc-bash-${suffix}`, dash: `ghc-dash-${suffix}` };
const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let s: TestServer;
let token: string;

/** Escape sequences and carriage returns out, for matching what a person would see. */
function visible(s: string): string {
  return s
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?<=>!]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\x1b[=>78DEHMNOZc]/g, '')
    .replace(/[\r\x07\x08\x0f\x0e]/g, '');
}

const PROMPT = /[$#] $/;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A websocket terminal client that types like a person (or pastes like a browser). */
class Driver {
  out = '';
  private waiters: (() => void)[] = [];
  private lastData = Date.now();
  readonly closed: Promise<number>;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return;
      this.out += data.toString('utf8');
      this.lastData = Date.now();
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  private get bracketedPaste(): boolean {
    const on = this.out.lastIndexOf('\x1b[?2004h');
    return on >= 0 && on > this.out.lastIndexOf('\x1b[?2004l');
  }

  async waitFor(re: RegExp, from: number, what: string, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(visible(this.out.slice(from)))) {
      if (Date.now() > end || this.ws.readyState !== WebSocket.OPEN) {
        throw new Error(`timed out waiting for ${what} (${re}); the screen ended with:\n${visible(this.out).slice(-600)}`);
      }
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async settle(quietMs = 200, maxMs = 3000): Promise<void> {
    const end = Date.now() + maxMs;
    this.lastData = Date.now();
    while (Date.now() - this.lastData < quietMs && Date.now() < end) await sleep(25);
  }

  async step(st: Step): Promise<void> {
    if ('sleep' in st) return sleep(st.sleep);
    if ('resize' in st) {
      this.ws.send(JSON.stringify({ type: 'resize', cols: st.resize[0], rows: st.resize[1] }));
      return this.settle();
    }
    const from = this.out.length;
    let text: string;
    if ('paste' in st) {
      text = st.paste;
      this.ws.send(Buffer.from(this.bracketedPaste ? `\x1b[200~${text}\x1b[201~` : text), { binary: true });
    } else if ('type' in st) {
      text = st.type;
      for (const ch of text) {
        this.ws.send(Buffer.from(ch), { binary: true });
        await sleep(4);
      }
    } else {
      text = st.send;
      this.ws.send(Buffer.from(text), { binary: true });
    }
    if (st.wait === null) return;
    if (st.wait !== undefined) return this.waitFor(new RegExp(st.wait), from, `/${st.wait}/`);
    if (/[\r\n]$/.test(text) && !('paste' in st && this.bracketedPaste)) return this.waitFor(PROMPT, from, 'the prompt');
    return this.settle();
  }
}


beforeAll(async () => {
  if (!isRoot) return;
  sh('/usr/sbin/useradd', ['-m', '-s', '/bin/bash', USERS.bash]);
  sh('/usr/sbin/useradd', ['-m', '-s', '/bin/sh', USERS.dash]);
  s = await startInProcess();
  token = await adminToken(s);
  const doc = { name: `corpus-${suffix}`, kind: 'target_access', subjects: { users: ['admin@localhost'] }, targets: ['local'], actions: ['shell'], targetUsers: [USERS.bash, USERS.dash] };
  const r = await api(s, token)('PUT', `/api/v1/policies/${doc.name}`, doc);
  expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
});

afterAll(async () => {
  await s?.stop();
  if (!isRoot) return;
  for (const u of Object.values(USERS)) {
    try {
      sh('/usr/sbin/userdel', ['-r', '-f', u]);
    } catch {
      /* not created */
    }
  }
});

describe.skipIf(!isRoot)('command corpus (real shells through the service)', () => {
  it('has at least 40 sessions, on bash and dash', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    expect(new Set(fixtures.map((f) => f.shell))).toEqual(new Set(['bash', 'dash']));
  });

  for (const fx of fixtures) {
    it(`${fx.file}: ${fx.covers.join(', ')}`, async () => {
      const user = USERS[fx.shell];
      const home = sh('/usr/bin/getent', ['passwd', user]).split(':')[5]!;
      for (const [path, content] of fx.setup ?? []) {
        const p = join(home, path);
        writeFileSync(p, content);
        const id = sh('/usr/bin/id', ['-u', user]).trim();
        chownSync(p, Number(id), Number(sh('/usr/bin/id', ['-g', user]).trim()));
      }
      const call = api(s, token);
      const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: user, cols: fx.cols ?? 80, rows: fx.rows ?? 24 });
      expect(c.status, `${fx.file}: ${JSON.stringify(c.json)}`).toBe(201);
      const ws = new WebSocket(`${s.wsUrl}${c.json.wsPath}`, { headers: { authorization: `Bearer ${token}` } });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const d = new Driver(ws);
      try {
        await d.waitFor(PROMPT, 0, 'the first prompt');
        for (const [i, st] of fx.steps.entries()) {
          try {
            await d.step(st);
          } catch (e) {
            throw new Error(`${fx.file}, step ${i + 1} ${JSON.stringify(st)}: ${(e as Error).message}`);
          }
        }
        if (!fx.ends) await d.step({ send: 'exit\r', wait: null });
        const code = await Promise.race([d.closed, sleep(15_000).then(() => 'timeout')]);
        expect(code, `${fx.file}: the shell did not end`).toBe(4410);
      } finally {
        ws.close();
      }
      const want = [...fx.expect, ...(fx.ends ? [] : [{ command: 'exit', exitCode: null }])];
      // Rows and exit statuses go through the batched writer; the API flushes it.
      let got: { command: string; exitCode: number | null }[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await call('GET', `/api/v1/logs/commands?connection=${c.json.id}&after=0`);
        expect(r.status).toBe(200);
        got = (r.json as { command: string; exitCode: number | null }[]).map((x) => ({ command: x.command, exitCode: x.exitCode }));
        if (JSON.stringify(got) === JSON.stringify(want)) break;
        await sleep(50);
      }
      expect(got, `${fx.file}: command rows (screen:\n${visible(d.out).slice(-1500)})`).toEqual(want);
      if (fx.secrets?.length) {
        const cast = await fetch(`${s.url}/api/v1/recordings/${c.json.id}/cast`, { headers: { authorization: `Bearer ${token}` } });
        const text = await cast.text();
        for (const secret of fx.secrets) {
          expect(JSON.stringify(got), `${fx.file}: a secret reached the command log`).not.toContain(secret);
          expect(text, `${fx.file}: a secret reached the recording`).not.toContain(secret);
        }
      }
    });
  }
});
