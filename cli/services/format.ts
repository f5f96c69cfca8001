/** Plain-text output: aligned tables and local times, for humans (scripts use --json). */

/** Columns separated by two spaces; the last column is not padded. Empty cells print `-`. */
export function table(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === '' ? '-' : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n').join('');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO UTC time as `YYYY-MM-DD HH:MM:SS` in the local time zone; `-` for null. */
export function localTime(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/**
 * How every listing prints: with --json the API's objects; when nothing is there, `empty` as a
 * note on stderr, so a pipe reads no rows; otherwise a table of `header` and `rows(items)`.
 */
export function writeList<T>(
  out: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } },
  items: T[],
  o: { json: boolean; empty: string; header: string[]; rows: (items: T[]) => string[][] },
): void {
  if (o.json) out.stdout.write(json(items));
  else if (items.length === 0) out.stderr.write(`${o.empty}\n`);
  else out.stdout.write(table(o.header, o.rows(items)));
}

/** Seconds as the durations people type: `7d`, `12h`, `1d12h`, `90m`; `never` for null. */
export function duration(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let left = seconds;
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return parts.join('');
}
