/**
 * Reloading a page's list (connections, requests): one load at a time, and a reload asked for
 * meanwhile runs once more when the current one is done, so a click during a poll is never
 * lost and two answers never race. A 401 means the session ended: back to the login page,
 * returning here afterwards; any other failure is shown and the next reload tries again.
 */
import { ApiError, errorMessage } from '../api-client';
import type { errorLine } from '../forms';
import { navigate } from '../router';
import { forgetSession } from '../session';
import { setReturnTo } from './login-page';

export function listReloader<T>(o: {
  fetch(): Promise<T>;
  show(value: T): void;
  error: ReturnType<typeof errorLine>;
  signal: AbortSignal;
  /** This page's route, to come back to after logging in again. */
  returnTo: string;
  /** What failed to load, for the message: "the list", "the requests". */
  what: string;
}): () => Promise<void> {
  let loading: Promise<void> | null = null;
  let again = false;
  return () => {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        do {
          again = false;
          const value = await o.fetch();
          if (o.signal.aborted) return;
          o.show(value);
          o.error.show(null);
        } while (again && !o.signal.aborted);
      } catch (err) {
        if (o.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) {
          forgetSession();
          setReturnTo(o.returnTo);
          navigate('/login');
          return;
        }
        o.error.show(`Could not refresh ${o.what}: ${errorMessage(err)}`);
      } finally {
        loading = null;
      }
    })();
    return loading;
  };
}

/** Calls `load` every `ms` while the tab is visible, and at once when it becomes visible again; stops with the page. */
export function refreshWhileVisible(load: () => unknown, ms: number, signal: AbortSignal): void {
  const tick = () => {
    if (document.visibilityState === 'visible') void load();
  };
  const timer = window.setInterval(tick, ms);
  document.addEventListener('visibilitychange', tick);
  signal.addEventListener('abort', () => {
    window.clearInterval(timer);
    document.removeEventListener('visibilitychange', tick);
  });
}
