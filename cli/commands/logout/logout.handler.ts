import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { ApiClient } from '../../services/api-client';
import { ApiError } from '../../services/api-transport';
import { endpointOf } from '../../services/logged-in';
import type { LogoutArgs } from './logout.command';

export async function logoutHandler(deps: Deps, _args: LogoutArgs): Promise<number> {
  const [config, token] = await Promise.all([deps.store.readConfig().catch(() => null), deps.store.readToken()]);
  if (!token) {
    deps.stdout.write('Not logged in.\n');
    return 0;
  }
  let failure: Error | null = null;
  if (config) {
    try {
      await new ApiClient(endpointOf(config), token).logout();
    } catch (e) {
      // A session the service no longer knows is as ended as it gets.
      if (!(e instanceof ApiError && e.status === 401)) failure = e as Error;
    }
  }
  // Forget the token even when the service could not be told: it must not be used again.
  await deps.store.removeToken();
  if (failure) throw new CliError(`the local token was removed, but the session could not be ended on the service: ${failure.message}`, { cause: failure });
  deps.stdout.write(`Logged out${config ? ` of ${config.server}` : ''}.\n`);
  return 0;
}
