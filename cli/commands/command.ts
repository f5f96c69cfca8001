/**
 * What every verb is made of (zli style): a `<verb>.command.ts` that declares the options, the
 * help text and how argv becomes typed args, and a `<verb>.handler.ts` that does the work with
 * the services it is given and returns an exit code. Handlers never exit the process.
 */
import { parseArgs } from 'node:util';
import type { Deps } from '../deps';
import { UsageError } from '../cli-errors';

export interface CommandDef<A> {
  name: string;
  /** One line for `gate --help`. */
  summary: string;
  /** The full text for `gate VERB --help`, starting with `usage:`. */
  help: string;
  /** argv after the verb → typed args; throws UsageError. `--help` is handled before this. */
  parse(argv: string[]): A;
  /** For verbs with subcommands (`gate users add`): the help of each, for `gate VERB SUB --help`. */
  subcommands?: ReadonlyMap<string, string>;
}

/** The help `--help` shows for this argv: the subcommand's when argv starts with one, else the verb's. */
export function helpFor(def: CommandDef<unknown>, argv: string[]): string {
  const sub = argv[0];
  return (sub !== undefined && def.subcommands?.get(sub)) || def.help;
}

export type Handler<A> = (deps: Deps, args: A) => Promise<number>;

export interface BoundCommand {
  def: CommandDef<unknown>;
  run(deps: Deps, argv: string[]): Promise<number>;
}

/** Binds a definition to its handler so the registry can hold verbs of different arg types. */
export function bind<A>(def: CommandDef<A>, handler: Handler<A>): BoundCommand {
  return { def: def as CommandDef<unknown>, run: (deps, argv) => handler(deps, def.parse(argv)) };
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S> = S extends { type: 'boolean'; multiple: true }
  ? boolean[]
  : S extends { type: 'boolean' }
    ? boolean
    : S extends { type: 'string'; multiple: true }
      ? string[]
      : string;

export type Values<O> = { [K in keyof O]?: ValueOf<O[K]> };

export interface ParsedLine<O> {
  values: Values<O>;
  /** Positionals before `--`. */
  positionals: string[];
  /** Words after the first `--`, verbatim (null when there was no `--`). */
  rest: string[] | null;
}

/** Options every verb accepts; main.ts acts on them before the verb's own parse. */
const COMMON: OptionSpecs = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } };

/** Strict parse of one verb's argv; unknown options and missing values are usage errors. */
export function parseCommandLine<O extends OptionSpecs>(verb: string, argv: string[], options: O): ParsedLine<O> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''), verb);
  }
  const terminator = parsed.tokens.find((t) => t.kind === 'option-terminator');
  const positionals: string[] = [];
  const rest: string[] = [];
  for (const t of parsed.tokens) {
    if (t.kind !== 'positional') continue;
    if (terminator && t.index > terminator.index) rest.push(t.value);
    else positionals.push(t.value);
  }
  return { values: parsed.values as Values<O>, positionals, rest: terminator ? rest : null };
}

export function noPositionals(verb: string, p: { positionals: string[]; rest: string[] | null }): void {
  const extra = [...p.positionals, ...(p.rest ?? [])];
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, verb);
}
