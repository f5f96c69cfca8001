import type { Deps } from '../../deps';
import { json, localTime } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { StatusArgs } from './status.command';

export async function statusHandler(deps: Deps, args: StatusArgs): Promise<number> {
  const { config, api } = await requireLogin(deps);
  const me = await api.me();
  if (args.json) {
    deps.stdout.write(
      json({ server: config.server, fingerprint: config.fingerprint, user: me.user, mustChangePassword: me.mustChangePassword, expiresAt: me.expiresAt }),
    );
    return 0;
  }
  const rows = [
    ['server:', config.server],
    ['certificate:', config.fingerprint ? `pinned ${config.fingerprint}` : config.server.startsWith('https:') ? 'system CAs' : 'none (plain HTTP)'],
    ['user:', me.user.email],
    ['role:', me.user.role],
    ['expires:', localTime(me.expiresAt)],
  ];
  deps.stdout.write(rows.map(([label, value]) => `${label!.padEnd(13)}${value}\n`).join(''));
  return 0;
}
