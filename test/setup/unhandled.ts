/**
 * Names the test behind an unhandled rejection. Vitest reports a rejection whose reason is not
 * an object (`reject()`, `reject(code)`) with no file and no stack, which leaves nothing to go
 * on; this turns every unhandled rejection into an uncaught Error that carries the file, the
 * test and the reason, and Vitest still fails the run with it.
 *
 * GATEHOUSE_TRACE_PROMISES=1 also records where each promise was created (slow; for hunting).
 */
import { promiseHooks } from 'node:v8';
import { expect } from 'vitest';

const origins = new WeakMap<Promise<unknown>, string>();
if (process.env.GATEHOUSE_TRACE_PROMISES) {
  promiseHooks.onInit((p) => origins.set(p, new Error('created').stack ?? ''));
}

process.on('unhandledRejection', (reason, promise) => {
  const { testPath, currentTestName } = expect.getState();
  const where = `${testPath ?? '?'} › ${currentTestName ?? '(between tests)'}`;
  if (reason instanceof Error && !origins.has(promise)) {
    reason.message = `${reason.message} [unhandled rejection in ${where}]`;
    throw reason;
  }
  const e = new Error(`unhandled rejection in ${where}: ${reason instanceof Error ? reason.stack : `${typeof reason} ${String(reason)}`}`);
  const origin = origins.get(promise);
  if (origin) e.stack = `${e.message}\n-- the promise was created at:\n${origin}`;
  throw e;
});
