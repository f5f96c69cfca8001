// Instrumentation for bench/command-log.mjs: wraps sqlite3's Database methods (the same module
// instance the bundled store uses) to time the synchronous part of the writer's statements on the
// event loop and log transaction boundaries, and times large JSON.stringify calls made inside a
// transaction (the writer building its JSON parameter). Marks and transactions are kept in
// arrays the bench reads and clears per phase.
import { performance } from 'node:perf_hooks';

export const marks = []; // {t, kind, dur?, info}
export const mark = (kind, info, dur = 0, t = performance.now()) => {
  marks.push({ t, kind, dur, info });
};
export const txns = []; // writer transactions: {start, end, rows, syncMs}

/** The writer's open transaction (BEGIN IMMEDIATE seen, COMMIT not yet), if any. */
let openTx = null;

export function instrumentSqlite(sqlite3) {
  // The writer builds each INSERT's JSON parameter (JSON.stringify of thousands of rows) on the
  // event loop before calling run(): count that too, for large outputs inside a transaction.
  const stringify = JSON.stringify;
  JSON.stringify = function (...a) {
    if (!openTx) return stringify.apply(this, a);
    const t0 = performance.now();
    const out = stringify.apply(this, a);
    if (typeof out === 'string' && out.length > 16 * 1024) {
      const dur = performance.now() - t0;
      openTx.syncMs += dur;
      mark('json-stringify', `${Math.round(out.length / 1024)} KiB`, dur, t0);
    }
    return out;
  };
  const P = sqlite3.Database.prototype;
  const state = new WeakMap();
  const origRun = P.run;
  const origExec = P.exec;
  const origAll = P.all;
  P.run = function (sql, params, cb) {
    const st = state.get(this);
    const tx = st?.tx;
    if (!tx || typeof sql !== 'string' || !sql.startsWith('INSERT') || typeof cb !== 'function') return origRun.call(this, sql, params, cb);
    const wrapped = function (...a) {
      tx.rows += this?.changes ?? 0; // rows inserted (the FTS trigger's rows are not counted in changes)
      return cb.apply(this, a);
    };
    const t0 = performance.now();
    const out = origRun.call(this, sql, params, wrapped);
    const dur = performance.now() - t0;
    tx.syncMs += dur;
    const n = Array.isArray(params) ? params.length : 0;
    const bytes = Array.isArray(params) && typeof params[0] === 'string' && n === 1 ? ` (${Math.round(params[0].length / 1024)} KiB)` : '';
    mark('insert-call', `${n} params${bytes}, ${Math.round(sql.length / 1024)} KiB SQL`, dur, t0);
    return out;
  };
  P.exec = function (sql, cb) {
    const t0 = performance.now();
    let st = state.get(this);
    if (!st) state.set(this, (st = { tx: null }));
    if (sql === 'BEGIN IMMEDIATE') openTx = st.tx = { start: t0, end: NaN, rows: 0, syncMs: 0 };
    if (sql === 'COMMIT' && st.tx) {
      const tx = st.tx;
      st.tx = null;
      openTx = null;
      const wrapped = function (...a) {
        tx.end = performance.now();
        txns.push(tx);
        mark('commit', `${tx.rows} rows, txn ${Math.round(tx.end - tx.start)} ms`, 0, tx.end);
        return cb.apply(this, a);
      };
      return origExec.call(this, sql, wrapped);
    }
    return origExec.call(this, sql, cb);
  };
  P.all = function (sql, params, cb) {
    if (typeof cb !== 'function') return origAll.apply(this, arguments);
    const wrapped = function (err, rows) {
      mark('all-callback', `${rows?.length ?? 0} rows`);
      return cb.call(this, err, rows);
    };
    return origAll.call(this, sql, params, wrapped);
  };
}
