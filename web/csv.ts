/**
 * CSV export built in the browser from the rows a page shows (RFC 4180: comma-separated, CRLF
 * line ends, a field quoted when it holds a comma, quote, CR or LF, quotes doubled inside).
 *
 * Log fields come from users (reasons, target names), so a field that a spreadsheet would run
 * as a formula (starting with = + - @, tab or CR) gets a leading apostrophe, as OWASP advises
 * for CSV exports: the file stays readable and opening it cannot execute anything.
 */
export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Saves `text` as a file through a temporary object URL (no server round trip). */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Some browsers read the blob after click() returns; FileSaver.js waits too before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** `2024-05-01T12:00:00.000Z` → `20240501-120000` (UTC), for file names. */
export function fileStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
