/**
 * `gate`, the command-line client (SPEC §2.2). This file turns argv into a verb and its args,
 * runs the handler with real dependencies, maps failures to one `gate: …` line and the exit
 * codes of SPEC §2 (0 ok, 1 reported error, 2 usage error), and is the only file that exits.
 */
import { homedir } from 'node:os';
import { helpFor } from './commands/command';
import { COMMANDS, NOT_YET, topLevelHelp } from './commands/index';
import { CliError, UsageError } from './cli-errors';
import type { Deps } from './deps';
import { ClientConfigStore, configDirFrom } from './services/client-config';

const VERSION = '0.1.0';

/** `--help`/`-h` before any `--` (after it, words belong to the remote command). */
function wantsHelp(argv: string[]): boolean {
  const cut = argv.indexOf('--');
  return (cut < 0 ? argv : argv.slice(0, cut)).some((a) => a === '--help' || a === '-h');
}

function realDeps(): Deps {
  return {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    store: new ClientConfigStore(configDirFrom(process.env, homedir())),
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
  };
}

async function run(argv: string[], deps: Deps): Promise<number> {
  // Global options may come before the verb: gate --debug ls.
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') i++;
  const globals = argv.slice(0, i);
  const verb = argv[i];
  const rest = argv.slice(i + 1);
  for (const g of globals) {
    if (!['--help', '-h', '--debug', '--version'].includes(g)) throw new UsageError(`unknown option ${g}`);
  }
  if (globals.includes('--version') || verb === 'version') {
    deps.stdout.write(`gate ${VERSION}\n`);
    return 0;
  }
  if (verb === undefined || verb === '--' || verb === 'help') {
    const topic = verb === 'help' ? rest[0] : undefined;
    if (topic !== undefined) return run([...rest, '--help'], deps);
    if (verb === undefined && !globals.includes('--help') && !globals.includes('-h')) {
      deps.stderr.write(topLevelHelp());
      return 2;
    }
    deps.stdout.write(topLevelHelp());
    return 0;
  }
  const command = COMMANDS.get(verb);
  if (command) {
    if (globals.includes('--help') || globals.includes('-h') || wantsHelp(rest)) {
      deps.stdout.write(helpFor(command.def, rest));
      return 0;
    }
    return command.run(deps, rest);
  }
  const synopsis = NOT_YET.get(verb);
  if (synopsis) {
    if (wantsHelp(rest)) {
      deps.stdout.write(`usage: ${synopsis}\n\n${verb} is not available in this version yet.\n`);
      return 0;
    }
    throw new CliError(`${verb} is not available in this version yet`);
  }
  throw new UsageError(`unknown command ${JSON.stringify(verb)}`);
}

function report(err: unknown, debug: boolean, stderr: NodeJS.WriteStream): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
  if (e instanceof UsageError) {
    stderr.write(`gate: ${oneLine(e.message)} (see gate ${e.verb ? `${e.verb} ` : ''}--help)\n`);
  } else {
    stderr.write(`gate: ${oneLine(e.message) || e.name}\n`);
  }
  if (debug) stderr.write(`${e.stack ?? e}\n${e.cause instanceof Error ? `caused by: ${e.cause.stack}\n` : ''}`);
  return e instanceof UsageError ? 2 : 1;
}

/** Resolves once everything written so far has been handed to the OS (or the stream failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

const argv = process.argv.slice(2);
const cut = argv.indexOf('--');
const debug = (cut < 0 ? argv : argv.slice(0, cut)).includes('--debug');
const deps = realDeps();
let code: number;
try {
  code = await run(argv, deps);
} catch (err) {
  code = report(err, debug, deps.stderr);
}
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
