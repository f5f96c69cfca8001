/**
 * The admin tables' action runner: disable the control, call the API, say what happened (or the
 * server's message), then reload the list so the table shows the server's truth, not a guess.
 */
import { errorMessage } from './api-client';

interface Line {
  show(msg: string | null): void;
}

export type Act = (control: HTMLButtonElement | HTMLSelectElement | HTMLInputElement, done: string, work: () => Promise<unknown>) => Promise<boolean>;

export function rowActions(opts: { error: Line; status: Line; signal: AbortSignal; reload: () => Promise<void> }): Act {
  const { error, status, signal, reload } = opts;
  return async (control, done, work) => {
    error.show(null);
    status.show(null);
    control.disabled = true;
    let ok = false;
    try {
      await work();
      ok = true;
      if (!signal.aborted) status.show(done);
    } catch (err) {
      if (!signal.aborted) error.show(errorMessage(err));
    }
    try {
      await reload();
    } catch (err) {
      if (!signal.aborted) error.show(`Could not reload the list: ${errorMessage(err)}`);
    }
    // The reload usually replaces the control; when it failed, the old one must work again.
    control.disabled = false;
    return ok;
  };
}
