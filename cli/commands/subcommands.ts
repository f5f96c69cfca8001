/**
 * Verbs made of subcommands (`gate users add EMAIL`, `gate policies apply -f F`). The first
 * word after the verb picks the subcommand and must come first; each subcommand has its own
 * usage line and help (`gate users add --help`), and the verb's help lists them all. Usage
 * errors name the subcommand, so the hint points at the help that explains the mistake.
 */
import { UsageError } from '../cli-errors';
import type { ParsedLine } from './command';

export interface Subcommand {
  name: string;
  /** The synopsis, starting with `gate VERB SUB`. */
  usage: string;
  /** One line for the verb's help. */
  summary: string;
  /** The rest of `gate VERB SUB --help`: what it does, what it prints, its options. */
  details: string;
}

export interface SubcommandHelp {
  /** `gate VERB --help`. */
  help: string;
  /** `gate VERB SUB --help`, by subcommand name. */
  subcommands: ReadonlyMap<string, string>;
}

export function subcommandHelp(verb: string, intro: string, subs: Subcommand[]): SubcommandHelp {
  const lines = [
    `usage: gate ${verb} ${subs.map((s) => s.name).join('|')} ...`,
    '',
    intro.trim(),
    '',
    'subcommands:',
    ...subs.flatMap((s) => [`  ${s.usage}`, `      ${s.summary}`]),
    '',
    `gate ${verb} SUBCOMMAND --help shows the options of one.`,
  ];
  return {
    help: lines.join('\n') + '\n',
    subcommands: new Map(subs.map((s) => [s.name, `usage: ${s.usage}\n\n${s.details.trim()}\n`])),
  };
}

/** Splits `SUB ARGS...` off argv; the subcommand must be the first word and one of `names`. */
export function takeSubcommand<S extends string>(verb: string, argv: string[], names: readonly S[]): { sub: S; argv: string[] } {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) throw new UsageError(`gate ${verb} needs a subcommand first: ${names.join(', ')}`, verb);
  if (!(names as readonly string[]).includes(first)) throw new UsageError(`unknown subcommand ${JSON.stringify(first)} of gate ${verb}; use one of: ${names.join(', ')}`, verb);
  return { sub: first as S, argv: rest };
}

/**
 * Exactly the positional words `names` (e.g. ['EMAIL']), none empty; missing ones and extra
 * ones are usage errors of `where` (`users add`).
 */
export function exactWords(where: string, p: Pick<ParsedLine<unknown>, 'positionals' | 'rest'>, names: string[]): string[] {
  const words = [...p.positionals, ...(p.rest ?? [])];
  if (words.length < names.length) throw new UsageError(`gate ${where} needs ${names.slice(words.length).join(' ')}`, where);
  if (words.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(words[names.length])}`, where);
  const empty = words.findIndex((w) => w.trim() === '');
  if (empty >= 0) throw new UsageError(`${names[empty]} must not be empty`, where);
  return words;
}
