// Statistics and markdown for the bench: medians, per-round ratios, the table in the shape of
// /work/shared/research/baselines.md, and the RESULTS.md section between markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const min = (xs) => Math.min(...xs.filter(Number.isFinite));
export const max = (xs) => Math.max(...xs.filter(Number.isFinite));

/** MB/s with about three significant digits. */
export function fmtRate(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
export const fmtSec = (x) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)} s` : 'n/a');
export const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
export const fmtMiB = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a');
export const fmtMB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1)} MB` : 'n/a');

const cell = (s) => String(s).replace(/\|/g, '\\|');

/**
 * rows: [{what, path, command, samples: [{round, mbps, wall}], ratios?: number[]}]
 * The gatehouse row carries the per-round ratios (gatehouse ÷ jump of the same round).
 */
export function resultsTable(rows) {
  const out = [
    '| What | Path | Command | Median | Min–max | Ratio gatehouse ÷ jump | Total wall (median) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const rates = r.samples.map((s) => s.mbps);
    const walls = r.samples.map((s) => s.wall);
    const ok = rates.filter(Number.isFinite).length;
    const failed = r.samples.length - ok;
    const ratio = r.ratios ? `${fmtRatio(median(r.ratios))} (${fmtRatio(min(r.ratios))}–${fmtRatio(max(r.ratios))})` : '1.00× (reference)';
    out.push(
      `| ${cell(r.what)} | ${r.path} | \`${cell(r.command)}\` | ${ok ? `${fmtRate(median(rates))} MB/s` : 'failed'} | ${ok ? `${fmtRate(min(rates))}–${fmtRate(max(rates))}` : '—'}${failed ? ` (${failed} failed)` : ''} | ${ratio} | ${fmtSec(median(walls))} |`,
    );
  }
  return out.join('\n');
}

/** Replaces the text between the markers in `file` (or appends the section) with `body`. */
export function writeSection(file, begin, end, body, title) {
  const section = `${begin}\n${body.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `${title}\n`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + section + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}
