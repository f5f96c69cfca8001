/**
 * Shell integration for the command log (issue 5): when the gateway opens a shell with a
 * `markerNonce`, bash is started with an init file that
 * 1. reads what a login shell reads (/etc/profile, then the first of ~/.bash_profile,
 *    ~/.bash_login, ~/.profile), so the user gets their usual environment;
 * 2. then installs hooks that print markers (protocol/agent-frames.ts) carrying the nonce:
 *    P (PROMPT_COMMAND, first: the exit status), B (end of PS1), K (end of PS2) and C (PS0: the
 *    exact history line of the command about to run, and whether history really recorded it).
 * The output filter (shell-integration-filter.ts) turns those into nonce-free wire markers.
 *
 * Why an init file rather than `bash -l`: a login shell reads no file we can add to, and
 * PROMPT_COMMAND passed in the environment is overwritten by many startup files. The init file
 * emulates the login shell as VS Code's shell integration does. Known differences from
 * `bash -l`: `shopt login_shell` is off, `$0` is `bash` rather than `-bash`, ~/.bash_logout is
 * not read; `logout` is defined as a function so it still ends the shell.
 *
 * The nonce never goes through argv or the environment (both visible to other processes for a
 * moment, argv to every user): it is written into the init file, in a directory that only the
 * target user can read, removed as soon as the first marker shows that bash has read it (and
 * when the shell ends). The shell necessarily holds the nonce, so its own user can read it
 * (`declare -p`); the filter masks it in the output, and the detector does not trust markers
 * blindly (see recorder/command-detector.ts).
 *
 * Shells other than bash get no init file (dash has no hooks; zsh is not installed here); their
 * output still goes through the filter so no sequence of the marker OSC number gets through, and
 * the gateway's detector uses the screen method.
 *
 * The hooks set `lithist` (multi-line commands keep their newlines in history, so the log shows
 * them as typed) and do not touch HISTCONTROL: a command history did not record (a leading
 * space, a duplicate) is reported as "ran, text unknown" and the detector reads it off the screen.
 */
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { MARKER_NONCE_RE, MARKER_OSC } from '../../protocol/agent-frames';
import type { PasswdEntry } from './passwd';
import type { AgentIdentity, RunnerSink } from './runner';
import { MarkerFilter } from './shell-integration-filter';

/** How long bytes held at a chunk boundary (a possible marker start) wait for the next chunk. */
const FLUSH_MS = 25;

export interface ShellIntegration {
  /** The command line that replaces `[shell, '-l']`. */
  readonly argv: string[];
  /** The runner's sink, with output going through the marker filter. */
  wrapSink(sink: RunnerSink): RunnerSink;
  /** Removes the init file (idempotent); the wrapped sink does it when the shell ends. */
  dispose(): void;
}

/**
 * Prepares shell integration for one shell, or returns null when there is no nonce (the
 * gateway did not ask: plain `shell -l`, output untouched).
 */
export async function prepareShellIntegration(shell: string, nonce: string | undefined, user: PasswdEntry, who: AgentIdentity): Promise<ShellIntegration | null> {
  if (!nonce || !MARKER_NONCE_RE.test(nonce)) return null;
  let dir: string | null = null;
  let argv = [shell, '-l'];
  if (basename(shell) === 'bash') {
    const base = existsSync('/tmp') ? '/tmp' : tmpdir();
    dir = await mkdtemp(join(base, 'gatehouse-sh-'));
    const rc = join(dir, 'rc.bash');
    try {
      await chmod(dir, 0o700);
      await writeFile(rc, bashInitFile(nonce), { mode: 0o600 });
      if (who.uid === 0) {
        await chown(rc, user.uid, user.gid);
        await chown(dir, user.uid, user.gid);
      }
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    argv = [shell, '--init-file', rc, '-i'];
  }
  let disposed = false;
  const dispose = () => {
    if (disposed || !dir) return;
    disposed = true;
    void rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  return {
    argv,
    dispose,
    wrapSink(sink) {
      const filter = new MarkerFilter(nonce, dispose);
      let timer: NodeJS.Timeout | null = null;
      const flushLater = () => {
        if (timer || !filter.holding) return;
        timer = setTimeout(() => {
          timer = null;
          const b = filter.flush();
          if (b.length) sink.output('data', b);
        }, FLUSH_MS);
        timer.unref?.();
      };
      const end = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        const b = filter.flush();
        if (b.length) sink.output('data', b);
        dispose();
      };
      return {
        output(kind, chunk) {
          const b = filter.push(chunk);
          if (b.length) sink.output(kind, b);
          flushLater();
        },
        outputEnd() {
          end();
          sink.outputEnd();
        },
        exit(code, signal) {
          end();
          sink.exit(code, signal);
        },
        fail(reason) {
          end();
          sink.fail(reason);
        },
      };
    },
  };
}

/** Bash's percent-encoding of the control bytes and `%`, as parameter substitutions. */
function encodeSubstitutions(): string {
  const lines = ["  s=${s//'%'/%25}"];
  for (let c = 1; c < 0x20; c++) lines.push(`  s=\${s//$'\\x${c.toString(16).padStart(2, '0')}'/%${c.toString(16).toUpperCase().padStart(2, '0')}}`);
  lines.push("  s=${s//$'\\x7f'/%7F}");
  return lines.join('\n');
}

/**
 * The init file. Functions are defined before the user's startup files run, so aliases those
 * files define cannot change them; the hooks are put in place after, so they come last.
 */
export function bashInitFile(nonce: string): string {
  const osc = `\\033]${MARKER_OSC};%s`;
  return `# Gatehouse shell integration for one shell; written by the agent, removed once read.
__gh_n='${nonce}'
__gh_z=
__gh_p=0
__gh_f=0
__gh_b=$'\\e]${MARKER_OSC};'"$__gh_n"$';B\\a'
__gh_k=$'\\e]${MARKER_OSC};'"$__gh_n"$';K\\a'
__gh_ps0='\${__gh_z:0:$((__gh_f=HISTCMD>__gh_p,__gh_p=HISTCMD,0))}$(__gh_c)'
__gh_e() {
  local s=$1
${encodeSubstitutions()}
  REPLY=$s
}
# PS0, in a subshell: the command that is about to run, exactly as history recorded it.
__gh_c() {
  local st=$? h
  if [[ $__gh_f == 1 ]] && h=$(HISTTIMEFORMAT= builtin history 1) && [[ $h =~ ^\\ *[0-9]+\\*?\\ \\ (.*)$ ]]; then
    __gh_e "\${BASH_REMATCH[1]}"
    builtin printf '${osc};C;%s;1;%s\\007' "$__gh_n" "$st" "$REPLY"
  else
    builtin printf '${osc};C;%s;0;\\007' "$__gh_n" "$st"
  fi
}
# First in PROMPT_COMMAND: the exit status, and where history stands.
__gh_pc() {
  local st=$?
  __gh_p=$HISTCMD
  builtin printf '${osc};P;%s\\007' "$__gh_n" "$st"
  return $st
}
# Last in PROMPT_COMMAND: put the hooks back if startup files or PROMPT_COMMAND rebuilt a prompt.
# (Every expansion tolerates 'set -u' in the user's files.)
__gh_pl() {
  local st=$?
  if builtin shopt -q promptvars; then
    [[ \${PS1-} == *'\\[\${__gh_b}\\]' ]] || PS1=\${PS1-}'\\[\${__gh_b}\\]'
    [[ \${PS2-} == *'\\[\${__gh_k}\\]' ]] || PS2=\${PS2-}'\\[\${__gh_k}\\]'
    [[ \${PS0-} == "$__gh_ps0"* ]] || PS0=$__gh_ps0\${PS0-}
  fi
  return $st
}
logout() { builtin exit "$@"; }

if [ -r /etc/profile ]; then . /etc/profile; fi
if [ -r ~/.bash_profile ]; then . ~/.bash_profile
elif [ -r ~/.bash_login ]; then . ~/.bash_login
elif [ -r ~/.profile ]; then . ~/.profile
fi

\\builtin shopt -s cmdhist lithist
if (( BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1) )); then
  PROMPT_COMMAND=(__gh_pc "\${PROMPT_COMMAND[@]}" __gh_pl)
else
  PROMPT_COMMAND="__gh_pc;\${PROMPT_COMMAND:+\${PROMPT_COMMAND%;};}__gh_pl"
fi
`;
}
