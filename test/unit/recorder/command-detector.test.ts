/**
 * The command detector on synthetic event streams (no processes): what bash with the agent's
 * shell integration prints (wire markers made here with the same MAC as the agent's filter),
 * what a shell without a line editor shows (dash: the kernel echoes), and the tampering cases.
 * The corpus (test/integration/command-corpus.test.ts) runs the same cases against real shells.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createScreenKeeper } from '../../../gateway/screen-keeper';
import { renderTerminal } from '../../helpers/terminal-render';
import { MARKER_MAC_CHARS, MARKER_OSC, markerMacInput, type MarkerKind } from '../../../protocol/agent-frames';
import { createCommandDetector, type CommandDetector } from '../../../recorder/command-detector';
import type { DetectedCommand } from '../../../recorder/command-types';

const NONCE = 'n0nceN0NCEn0nceN0NCEn0nceN0NCEn0nceN0NCEn0c';
const PROMPT = '\x1b[1;32muser@host\x1b[0m:\x1b[34m~\x1b[0m$ ';

class Session {
  readonly det: CommandDetector;
  readonly rows: { text: string; source: string; exit?: number }[] = [];
  readonly cmds: DetectedCommand[] = [];
  private t = 0;
  private seq = 0;

  constructor(opts: { nonce?: string | null; cols?: number; rows?: number } = {}) {
    this.det = createCommandDetector({
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      markerNonce: opts.nonce === undefined ? NONCE : opts.nonce,
      onCommand: (c) => {
        this.cmds.push(c);
        this.rows.push({ text: c.text, source: c.source });
      },
      onCommandExit: (seq, code) => {
        this.rows[this.cmds.findIndex((c) => c.seq === seq)]!.exit = code;
      },
    });
  }

  o(s: string): this {
    this.det.onEvent({ kind: 'o', t: (this.t += 0.01), data: Buffer.from(s, 'utf8') });
    return this;
  }

  i(s: string): this {
    this.det.onEvent({ kind: 'i', t: (this.t += 0.01), data: Buffer.from(s, 'utf8') });
    return this;
  }

  resize(cols: number, rows: number): this {
    this.det.onEvent({ kind: 'r', t: (this.t += 0.01), cols, rows });
    return this;
  }

  /** A wire marker as the agent's filter writes it (seq: next, or given to test replays). */
  m(kind: MarkerKind, fields: string[] = [], opts: { seq?: number; nonce?: string } = {}): string {
    const seq = opts.seq ?? this.seq++;
    const mac = createHmac('sha256', opts.nonce ?? NONCE).update(markerMacInput(seq, kind, fields)).digest('base64url').slice(0, MARKER_MAC_CHARS);
    return `\x1b]${MARKER_OSC};${['gh1', String(seq), kind, ...fields, mac].join(';')}\x07`;
  }

  C(text: string | null, prev = 0): string {
    return this.m('C', [String(prev), text === null ? '0' : '1', text === null ? '' : Buffer.from(text).toString('base64url')]);
  }

  /** PROMPT_COMMAND's P, then PS1 with B at its end, readline on. */
  prompt(status = 0, ps1 = PROMPT): this {
    return this.o(`${this.m('P', [String(status)])}\x1b[?2004h${ps1}${this.m('B')}`);
  }

  /** Typing a line at readline and Enter; `shown` is what readline displays at the end. */
  line(keys: string, shown = keys): this {
    this.i(keys + '\r');
    return this.o(`${shown}\r\n\x1b[?2004l\r`);
  }

  async end(): Promise<{ text: string; source: string; exit?: number }[]> {
    await this.det.close();
    expect(this.det.failure).toBeNull();
    return this.rows;
  }
}

describe('with shell integration markers (bash)', () => {
  it('logs the command bash read, and its exit status', async () => {
    const s = new Session().prompt();
    s.line('ls -l').o(s.C('ls -l') + 'total 0\r\n').prompt(0);
    s.line('false').o(s.C('false', 0)).prompt(1);
    expect(await s.end()).toEqual([
      { text: 'ls -l', source: 'marker', exit: 0 },
      { text: 'false', source: 'marker', exit: 1 },
    ]);
  });

  it('takes the text from bash after backspace, Ctrl-U, Ctrl-W, cursor moves and insertion', async () => {
    const s = new Session().prompt();
    s.i('echo abcd\x7f\x7fXY').o('echo abXY').line('', '').o(s.C('echo abXY')).prompt();
    s.i('junk\x15echo one two\x17three').line('', 'echo one three').o(s.C('echo one three')).prompt();
    s.i('cho\x01e\x05!').line('', 'echo!').o(s.C('echo!')).prompt(127);
    expect((await s.end()).map((r) => r.text)).toEqual(['echo abXY', 'echo one three', 'echo!']);
  });

  it('history recall, Ctrl-R and tab completion: the screen shows it, the marker says it', async () => {
    const s = new Session().prompt();
    s.line('\x1b[A', 'make test').o(s.C('make test')).prompt();
    s.i('\x12mak');
    s.o(`\r(reverse-i-search)\`mak': make test\r\x1b[25P${PROMPT}${s.m('B')}make test`);
    s.line('', '').o(s.C('make test')).prompt();
    s.line('ec\thello', 'echo hello').o(s.C('echo hello')).prompt();
    expect((await s.end()).map((r) => [r.text, r.source])).toEqual([
      ['make test', 'marker'],
      ['make test', 'marker'],
      ['echo hello', 'marker'],
    ]);
  });

  it('a multi-line command (heredoc, continuation prompts) is one command', async () => {
    const s = new Session().prompt();
    s.line('cat <<EOF').o(`\x1b[?2004h> ${s.m('K')}`);
    s.line('hello').o(`\x1b[?2004h> ${s.m('K')}`);
    s.line('EOF').o(s.C('cat <<EOF\nhello\nEOF') + 'hello\r\n').prompt();
    s.line('echo a \\').o(`\x1b[?2004h> ${s.m('K')}`);
    s.line('b').o(s.C('echo a b') + 'a b\r\n').prompt();
    expect(await s.end()).toEqual([
      { text: 'cat <<EOF\nhello\nEOF', source: 'marker', exit: 0 },
      { text: 'echo a b', source: 'marker', exit: 0 },
    ]);
  });

  it('a bracketed paste of several lines is several commands, with their statuses', async () => {
    const s = new Session().prompt();
    s.i('\x1b[200~echo p1\r(exit 3)\recho p3\x1b[201~\r');
    s.o('echo p1\r\n(exit 3)\r\necho p3\r\n\x1b[?2004l\r');
    s.o(s.C('echo p1') + 'p1\r\n' + s.C('(exit 3)', 0) + s.C('echo p3', 3) + 'p3\r\n').prompt(0);
    expect(await s.end()).toEqual([
      { text: 'echo p1', source: 'marker', exit: 0 },
      { text: '(exit 3)', source: 'marker', exit: 3 },
      { text: 'echo p3', source: 'marker', exit: 0 },
    ]);
  });

  it('a line history did not record (leading space, duplicate) is read off the screen', async () => {
    const s = new Session().prompt();
    s.line(' echo hidden-from-history').o(s.C(null) + 'hidden-from-history\r\n').prompt();
    expect(await s.end()).toEqual([{ text: 'echo hidden-from-history', source: 'screen', exit: 0 }]);
  });

  it('a syntax error (no C) is still a submitted command, with its status', async () => {
    const s = new Session().prompt();
    s.line('echo )').o("bash: syntax error near unexpected token `)'\r\n").prompt(2);
    s.line('').prompt(2); // an empty line is nothing
    expect(await s.end()).toEqual([{ text: 'echo )', source: 'screen', exit: 2 }]);
  });

  it('history expansion: the marker has the expanded line bash echoed', async () => {
    const s = new Session().prompt();
    s.line('echo !!').o('echo echo one\r\n' + s.C('echo echo one') + 'echo one\r\n').prompt();
    expect(await s.end()).toEqual([{ text: 'echo echo one', source: 'marker', exit: 0 }]);
  });

  it('never logs what is typed to a program: read -s, password prompts, cat, REPLs', async () => {
    const s = new Session().prompt();
    s.line('read -s -p "Password: " pw').o(s.C('read -s -p "Password: " pw') + 'Password: ');
    s.i('hunter2\r').o('\r\n').prompt();
    s.line('cat').o(s.C('cat'));
    s.i('not a command\r').o('not a command\r\nnot a command\r\n').i('\x04').prompt();
    s.line('python3').o(s.C('python3') + '>>> ');
    s.i('print(1)\r').o('print(1)\r\n1\r\n>>> ').i('\x04').o('\r\n').prompt();
    const rows = await s.end();
    expect(rows.map((r) => r.text)).toEqual(['read -s -p "Password: " pw', 'cat', 'python3']);
    expect(JSON.stringify(rows)).not.toContain('hunter2');
  });

  it('never logs keys typed in a full-screen program', async () => {
    const s = new Session().prompt();
    s.line('vim notes').o(s.C('vim notes') + '\x1b[?1049h\x1b[H\x1b[2J~\r\n~');
    s.i('irm -rf /\x1b:wq\r').o('rm -rf /').o('\x1b[?1049l').prompt();
    s.line('echo done').o(s.C('echo done')).prompt();
    expect((await s.end()).map((r) => r.text)).toEqual(['vim notes', 'echo done']);
  });

  it('typeahead typed while a command runs is logged once bash reads it', async () => {
    const s = new Session().prompt();
    s.line('sleep 5').o(s.C('sleep 5'));
    s.i('echo next\r').o('echo next\r\n'); // the kernel echoes it while sleep runs
    s.prompt().o('echo next\r\n\x1b[?2004l\r' + s.C('echo next') + 'next\r\n').prompt();
    expect((await s.end()).map((r) => r.text)).toEqual(['sleep 5', 'echo next']);
  });

  it('a long command wrapping past the width, and a resize in the middle of typing', async () => {
    const s = new Session({ cols: 40 }).prompt(0, '$ ');
    const long = 'echo ' + 'x'.repeat(30) + ' ' + 'y'.repeat(30) + ' end';
    s.i(long.slice(0, 20)).o(long.slice(0, 20)).resize(30, 24);
    s.line(long.slice(20), long.slice(20)).o(s.C(long)).prompt();
    expect(await s.end()).toEqual([{ text: long, source: 'marker', exit: 0 }]);
  });

  it('prompts of any shape: multi-line, coloured, with a right prompt', async () => {
    const s = new Session();
    const ps1 = '\x1b[33m┌─[user@host]─[~/src]\x1b[0m\r\n└─\x1b7\x1b[70G\x1b[2m12:00\x1b[0m\x1b8$ ';
    s.prompt(0, ps1);
    s.line('git status').o(s.C('git status')).prompt(0, ps1);
    expect((await s.end()).map((r) => r.text)).toEqual(['git status']);
  });
});

describe('tampering', () => {
  it('markers without the nonce, copied, replayed or printed by a command forge nothing', async () => {
    const s = new Session().prompt();
    const forged = s.m('C', ['0', '1', Buffer.from('rm -rf /').toString('base64url')], { nonce: 'x'.repeat(43) });
    s.line('cat old.cast').o(s.C('cat old.cast') + forged + 'data\r\n');
    const replay = s.C('rm -rf /'); // a valid marker… printed by the running command
    s.o(replay);
    s.o(s.m('C', ['0', '1', Buffer.from('rm -rf /').toString('base64url')], { seq: 1 })); // an old sequence number
    s.prompt();
    const rows = await s.end();
    expect(rows).toEqual([{ text: 'cat old.cast', source: 'marker', exit: 0 }]);
    expect(s.det.stats.rejectedMarkers).toBe(2);
    expect(s.det.stats.unexpectedCommands).toBe(1);
  });

  it('a hook rewritten to report another text cannot hide what the screen showed', async () => {
    const s = new Session().prompt();
    s.line('rm -rf /srv/data').o(s.C('ls')).prompt();
    expect(await s.end()).toEqual([
      { text: 'ls', source: 'marker' },
      { text: 'rm -rf /srv/data', source: 'screen', exit: 0 },
    ]);
    expect(s.det.stats.mismatches).toBe(1);
  });

  it('hooks removed: the commands are still logged from the screen', async () => {
    const s = new Session().prompt(0, '$ ');
    s.line('unset PROMPT_COMMAND PS0').o(s.C('unset PROMPT_COMMAND PS0')).o(`$ ${s.m('B')}`); // PS1 still has B
    s.line('echo one').o('one\r\n$ ' + s.m('B'));
    s.line('PS1="# "').o('# ');
    s.line('echo two').o('two\r\n# ');
    s.line('echo three').o('three\r\n# ');
    expect((await s.end()).map((r) => [r.text, r.source])).toEqual([
      ['unset PROMPT_COMMAND PS0', 'marker'],
      ['echo one', 'screen'],
      ['PS1="# "', 'screen'],
      ['echo two', 'screen'],
      ['echo three', 'screen'],
    ]);
  });

  it('without a nonce no marker is believed', async () => {
    const s = new Session({ nonce: null });
    s.o('$ ').i('echo hi\r').o('echo hi\r\n' + s.C('rm -rf /') + 'hi\r\n$ ');
    expect(await s.end()).toEqual([{ text: 'echo hi', source: 'screen' }]);
  });
});

describe('screen method (a shell without markers: dash)', () => {
  /** The kernel echoes typed lines at once (canonical mode). */
  const typed = (s: Session, line: string) => s.i(line + '\r').o(line.replace(/[^\x7f]\x7f/g, '') + '\r\n');

  it('learns the prompt and logs lines typed at it, with the kernel\'s line editing', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    s.i('echo abc\x7f\x7fXY\r').o('echo abc\b \b\b \bXY\r\n').o('aXY\r\n$ ');
    s.i('junk\x15ls\r').o('junk\b \b\b \b\b \b\b \bls\r\n').o('a b\r\n$ ');
    s.i('echo one two\x17three\r').o('echo one two\b \b\b \b\b \bthree\r\n').o('one three\r\n$ ');
    expect(await s.end()).toEqual([
      { text: 'echo aXY', source: 'screen' },
      { text: 'ls', source: 'screen' },
      { text: 'echo one three', source: 'screen' },
    ]);
  });

  it('continuation lines after "> " are one command', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    typed(s, 'cat <<EOF').o('> ');
    typed(s, 'x').o('> ');
    typed(s, 'EOF').o('x\r\n$ ');
    typed(s, 'echo "open').o('> ');
    typed(s, 'quote"').o('open\r\nquote\r\n$ ');
    expect((await s.end()).map((r) => r.text)).toEqual(['cat <<EOF\nx\nEOF', 'echo "open\nquote"']);
  });

  it('nothing typed with echo off, nothing typed into a program', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    typed(s, 'stty -echo').o('$ ');
    s.i('secret\r').o('sh: 1: secret: not found\r\n$ ');
    s.i('stty echo\r').o('$ ');
    typed(s, 'cat').o('');
    typed(s, 'hello').o('hello\r\n');
    s.i('\x04').o('$ ');
    typed(s, 'read v').o('');
    typed(s, 'value').o('$ ');
    typed(s, 'echo done').o('done\r\n$ ');
    const rows = (await s.end()).map((r) => r.text);
    expect(rows).toEqual(['stty -echo', 'cat', 'read v', 'echo done']);
  });

  it('a line submitted just before the shell ended counts, though the newline\'s echo was lost; a hidden one does not', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    typed(s, 'echo hi').o('hi\r\n$ ');
    s.i('exit\r').o('exit'); // the pty closed before "\r\n" reached us
    s.det.onEvent({ kind: 'x', t: 9, code: 0 });
    expect((await s.end()).map((r) => r.text)).toEqual(['echo hi', 'exit']);

    // The same with a line editor (bash whose hooks were removed): readline would also have
    // ended bracketed paste, lost with the newline.
    const r = new Session({ nonce: null }).o('\x1b[?2004h$ ');
    r.i('echo hi\r').o('echo hi\r\n\x1b[?2004l\rhi\r\n\x1b[?2004h$ ');
    r.i('exit\r').o('exit');
    r.det.onEvent({ kind: 'x', t: 9, code: 0 });
    expect((await r.end()).map((x) => x.text)).toEqual(['echo hi', 'exit']);

    const p = new Session({ nonce: null }).o('$ ');
    typed(p, 'stty -echo').o('$ ');
    p.i('secret\r'); // typed with echo off, then the session ended
    p.det.onEvent({ kind: 'x', t: 9, code: 0 });
    expect((await p.end()).map((r) => r.text)).toEqual(['stty -echo']);
  });

  it('a paste of several lines is several commands (the kernel echoes them before the shell reads them)', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    s.i('ls\rpwd\rtrue\r').o('ls\r\npwd\r\ntrue\r\n');
    s.o('a b\r\n$ ').o('/tmp\r\n$ ').o('$ ');
    expect((await s.end()).map((r) => r.text)).toEqual(['ls', 'pwd', 'true']);
  });

  it('a long command wrapping past the width', async () => {
    const s = new Session({ nonce: null, cols: 20 }).o('$ ');
    const long = 'echo ' + '1234567890'.repeat(5);
    typed(s, long).o('1234567890'.repeat(5) + '\r\n$ ');
    expect((await s.end()).map((r) => r.text)).toEqual([long]);
  });

  it('a command that starts a full-screen program is logged, its keys are not', async () => {
    const s = new Session({ nonce: null }).o('$ ');
    typed(s, 'less /etc/passwd').o('\x1b[?1049h\x1b[Hroot:x:0:0');
    s.i('/bin\rq').o('\x1b[?1049l$ ');
    typed(s, 'echo back').o('back\r\n$ ');
    expect((await s.end()).map((r) => r.text)).toEqual(['less /etc/passwd', 'echo back']);
  });
});

describe('the detector as the screen for re-attach', () => {
  it('redraws what the connection’s own screen keeper would, markers and all', async () => {
    const s = new Session({ cols: 40, rows: 10 });
    const keeper = createScreenKeeper(40, 10);
    const o = (text: string) => {
      s.o(text);
      keeper.onEvent({ kind: 'o', t: 0, data: Buffer.from(text, 'utf8') });
    };
    o(s.m('P', ['0']) + PROMPT + s.m('B'));
    s.i('ls -l\r');
    o('ls -l\r\n' + s.C('ls -l'));
    for (let k = 0; k < 30; k++) o(`\x1b[3${k % 8}mline ${k} ${'é'.repeat(k)}\x1b[0m\r\n`);
    o(s.m('P', ['0']) + PROMPT + s.m('B') + 'partial\x1b[3D');
    s.resize(30, 8);
    keeper.onEvent({ kind: 'r', t: 0, cols: 30, rows: 8 });

    const fromDetector = await s.det.snapshot!();
    expect(fromDetector).toContain('line 29');
    expect(s.cmds.map((c) => c.text)).toEqual(['ls -l']); // serving the screen does not disturb detection
    expect(await renderTerminal(fromDetector, 30, 8)).toEqual(await renderTerminal(await keeper.snapshot(), 30, 8));
    await keeper.close();

    s.det.onEvent({ kind: 'x', t: 99, code: 0 });
    expect(await s.det.snapshot!()).toBe(''); // the shell ended: nothing to redraw
  });

  it('when its own logic fails, it stops, and still serves the screen as of the failure', async () => {
    const det = createCommandDetector({
      cols: 40,
      rows: 10,
      markerNonce: null,
      onCommand: () => {
        throw new Error('store is gone');
      },
      onCommandExit: () => undefined,
    });
    const o = (text: string) => det.onEvent({ kind: 'o', t: 0, data: Buffer.from(text, 'utf8') });
    o('$ ');
    det.onEvent({ kind: 'i', t: 0, data: Buffer.from('ls\r') });
    // The command is judged at the newline, in the middle of this write: the write goes on.
    o('ls\r\nafter-the-failure\r\n$ ');
    expect(det.failure?.message).toBe('store is gone');
    o('ignored\r\n'); // a failed tap takes nothing more
    const screen = await det.snapshot!();
    expect(screen).toContain('after-the-failure');
    expect(screen).not.toContain('ignored');
    await det.close();
  });
});
