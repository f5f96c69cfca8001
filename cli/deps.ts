/**
 * What handlers are given instead of reaching for globals: the process's streams, its
 * environment, the config store and signal subscription. main.ts builds the real ones; a test
 * can build others.
 */
import type { ClientConfigStore } from './services/client-config';

export interface Deps {
  env: Readonly<Record<string, string | undefined>>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  store: ClientConfigStore;
  /** Subscribes to a process signal; returns the unsubscribe function. */
  onSignal(signal: NodeJS.Signals, fn: () => void): () => void;
}
