/** The stored login as a ready API client, or the "not logged in" error every verb shares. */
import { CliError } from '../cli-errors';
import type { Deps } from '../deps';
import { ApiClient } from './api-client';
import type { Endpoint } from './api-transport';
import type { ClientConfig } from './client-config';

export interface Login {
  config: ClientConfig;
  api: ApiClient;
}

export function endpointOf(config: ClientConfig): Endpoint {
  return {
    origin: config.server,
    pin: config.fingerprint && config.certPem ? { fingerprint: config.fingerprint, certPem: config.certPem } : null,
  };
}

export async function requireLogin(deps: Pick<Deps, 'store'>): Promise<Login> {
  const [config, token] = await Promise.all([deps.store.readConfig(), deps.store.readToken()]);
  if (!config || !token) throw new CliError('not logged in: run gate login --server URL');
  return { config, api: new ApiClient(endpointOf(config), token) };
}
