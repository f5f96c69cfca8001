/**
 * Policy files for `gate policies apply -f`: JSON or YAML (by the file's extension), holding one
 * policy document or an array of them; a YAML file may also hold several `---` documents.
 *
 * This only parses. The documents go to the service exactly as written, and the service is the
 * one place that knows the rules (fields, kinds, names, durations): it names the index and field
 * of the first bad document and applies nothing. Every failure here is one line naming the file
 * and, where the parser knows it, the line and column.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseAllDocuments, stringify } from 'yaml';
import { CliError } from '../cli-errors';

export type PolicyFileFormat = 'json' | 'yaml';

/** Far above any real policy set; bounds what is read into memory. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

/** `.json` → json, `.yaml`/`.yml` → yaml (any case), else null. */
export function policyFileFormat(path: string): PolicyFileFormat | null {
  const ext = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  return null;
}

/** `at position N` of a JSON.parse message → `line L, column C` (1-based), or null. */
function jsonLineColumn(text: string, message: string): string | null {
  const m = /at position (\d+)/.exec(message);
  if (!m) return null;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message.replace(/\s*\(line \d+ column \d+\)$/, '');
    const where = jsonLineColumn(text, message);
    throw new CliError(`${label}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}${where ? ` at ${where}` : ''}`);
  }
}

function parseYaml(text: string, label: string): unknown[] {
  // The core schema of YAML 1.2: `no`, `on` and dates stay strings; duplicate keys are errors.
  const docs = parseAllDocuments(text, { schema: 'core', uniqueKeys: true, merge: false, prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream: no documents at all
  const values: unknown[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new CliError(`${label}: YAML syntax error: ${err.message.split('\n')[0]!.replace(/:\s*$/, '')}`);
    let value: unknown;
    try {
      // Aliases are bounded so that a small file cannot expand into a huge one.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new CliError(`${label}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (value !== null && value !== undefined) values.push(value); // `---` with nothing after it
  }
  return values;
}

const isDocument = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The policy documents of a file's text; throws a one-line CliError naming `label`. */
export function parsePolicyText(text: string, format: PolicyFileFormat, label: string): Record<string, unknown>[] {
  const body = text.replace(/^\uFEFF/, '');
  const values = format === 'json' ? [parseJson(body, label)] : parseYaml(body, label);
  const docs: unknown[] = values.flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (docs.length === 0) throw new CliError(`${label}: no policy documents in it`);
  const bad = docs.findIndex((d) => !isDocument(d));
  if (bad >= 0) throw new CliError(`${label}: [${bad}] is not a policy document (an object with name, kind, subjects, …)`);
  return docs as Record<string, unknown>[];
}

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory' };

export async function readPolicyFile(path: string): Promise<Record<string, unknown>[]> {
  const format = policyFileFormat(path);
  if (!format) throw new CliError(`${path}: a policy file must be .json, .yaml or .yml`);
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (st.size > MAX_POLICY_FILE_BYTES) throw new CliError(`${path}: larger than ${MAX_POLICY_FILE_BYTES / 1024} KiB; split it`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new CliError(`cannot read ${path}: ${READ_ERRORS[code] ?? (e as Error).message}`, { cause: e });
  }
  return parsePolicyText(text, format, path);
}

/** A policy document as YAML, the way `gate policies show` prints it and `apply -f` reads it back. */
export function policyYaml(doc: unknown): string {
  return stringify(doc, { schema: 'core', lineWidth: 0 });
}
