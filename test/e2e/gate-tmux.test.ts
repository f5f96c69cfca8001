/**
 * `gate` on a real terminal: tmux runs bash, bash runs the built client, the client talks to the
 * built service over pinned HTTPS. Covers what only a tty shows: the password prompt without
 * echo and the forced change of the one-time password, a raw-mode shell whose bytes reach the
 * terminal as the remote pty wrote them (as with `ssh -tt`), resize following the window, the
 * remote exit code, `~.` detach and `gate attach` redrawing the screen.
 *
 * The steps share one tmux server, one service and one client config, and run in order.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, repoRoot, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, gateCli, type GateCli } from '../helpers/gate-cli';

const NEW_PASSWORD = 'tmux-correct-horse-battery';
const socket = `gh-test-${randomBytes(4).toString('hex')}`;
const pane = 'gate:0.0';

let server: ServerProcess;
let gate: GateCli;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

/** The pane with wrapped lines joined, including some scrollback. */
function screen(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', pane);
}

/** Types `text` literally, then Enter. */
function type(text: string): void {
  tmux('send-keys', '-t', pane, '-l', text);
  tmux('send-keys', '-t', pane, 'Enter');
}

async function waitFor(pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const end = Date.now() + ms;
  for (;;) {
    const text = screen();
    const m = pattern.exec(text);
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the pane shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function clearScreen(): void {
  type('clear');
  tmux('clear-history', '-t', pane);
}

describe('gate in tmux (built client and service)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    gate = await gateCli();
    tmux(
      'new-session', '-d', '-s', 'gate', '-x', '100', '-y', '30', '-c', repoRoot,
      '-e', `GATE_CONFIG_DIR=${gate.configDir}`,
      '-e', 'OUTER=outer',
      'bash --norc --noprofile',
    );
    // bash sets its own PS1 at start; a known prompt tells when the outer shell is ready.
    type("PS1='outer$ '");
    await waitFor(/^outer\$\s*$/m);
  }, 120_000);

  afterAll(async () => {
    let socketPath = '';
    try {
      socketPath = tmux('display-message', '-p', '#{socket_path}').trim();
      tmux('kill-server');
    } catch {
      // already gone
    }
    // tmux leaves its socket file behind when the server is killed.
    if (socketPath) await rm(socketPath, { force: true });
    await server?.stop();
    await gate?.cleanup();
  });

  it('logs in on the terminal: no echo, and the one-time password is changed first', async () => {
    const fingerprint = fingerprintFrom(server.stdout);
    type(`node dist/gate.js login --server ${server.url} --user admin@localhost --ca-fingerprint ${fingerprint}; echo LOGIN_EXIT=$?`);
    await waitFor(/Password for admin@localhost:\s*$/m);
    type(server.password!);
    await waitFor(/New password:\s*$/m);
    type(NEW_PASSWORD);
    await waitFor(/New password again:\s*$/m);
    type(NEW_PASSWORD);
    const m = await waitFor(/LOGIN_EXIT=(\d+)/);
    const text = screen();
    expect(m[1], text).toBe('0');
    expect(text).toContain('Password changed.');
    expect(text).toMatch(/Logged in to https:\/\/127\.0\.0\.1:\d+ as admin@localhost \(admin\)/);
    expect(text).not.toContain(server.password!);
    expect(text).not.toContain(NEW_PASSWORD);
  });

  it('runs a shell: output, resize, and the exit code of the remote shell', async () => {
    clearScreen();
    type('node dist/gate.js connect root@local; echo GATE_EXIT=$?');
    // $OUTER is only set in the local bash: "remote" proves the line ran on the target.
    type('echo tmux-$((6*7))-${OUTER:-remote}; stty size');
    await waitFor(/^tmux-42-remote\r?\n30 100$/m);
    // The bytes the terminal gets are the remote pty's, as with `ssh -tt`: lines end "\r\n", not
    // "\r\r\n" (the local terminal's output processing is off while the shell runs).
    const bytes = join(gate.configDir, 'pane-bytes');
    tmux('pipe-pane', '-o', '-t', pane, `cat > ${bytes}`);
    type("printf 'line-a\\nline-b\\n'");
    await waitFor(/^line-b$/m);
    await until(() => existsSync(bytes) && readFileSync(bytes, 'latin1').includes('line-b'));
    tmux('pipe-pane', '-t', pane);
    const raw = readFileSync(bytes, 'latin1');
    expect(raw).toContain('line-a\r\nline-b\r\n');
    expect(raw).not.toContain('\r\r\n');
    tmux('resize-window', '-t', 'gate', '-x', '120', '-y', '40');
    type('stty size');
    await waitFor(/^40 120$/m);
    type('exit 5');
    await waitFor(/^GATE_EXIT=5$/m);
    // And the local terminal's settings are back as they were.
    type('stty -a | grep -o -- "-\\?opost" | sed s/^/OPOST=/');
    await waitFor(/^OPOST=opost$/m);
  });

  it('detaches with ~. and gate attach redraws the screen and continues the shell', async () => {
    clearScreen();
    type('node dist/gate.js connect local; echo GATE_EXIT=$?');
    type('export MARK=kept; echo before-detach-$((3+4))');
    await waitFor(/^before-detach-7$/m);
    tmux('send-keys', '-t', pane, 'Enter');
    tmux('send-keys', '-t', pane, '-l', '~.');
    const detached = await waitFor(/detached from ([0-9a-f-]{36})/);
    await waitFor(/^GATE_EXIT=0$/m);
    const id = detached[1]!;

    clearScreen();
    await waitFor(/^outer\$\s*$/m);
    expect(screen()).not.toContain('before-detach-7');
    type(`node dist/gate.js attach ${id}; echo ATTACH_EXIT=$?`);
    await waitFor(/^before-detach-7$/m); // drawn by the service, not left over in the pane
    type('echo mark=$MARK');
    await waitFor(/^mark=kept$/m);
    type('exit 3');
    await waitFor(/^ATTACH_EXIT=3$/m);
  });
});
