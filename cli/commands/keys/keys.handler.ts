import type { Deps } from '../../deps';
import { json, localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { KeysArgs } from './keys.command';

export async function keysHandler(deps: Deps, args: KeysArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const keys = (await api.apiKeys()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      writeList(deps, keys, {
        json: args.json,
        empty: 'No API keys.',
        header: ['ID', 'NAME', 'KIND', 'CREATED', 'CREATED BY', 'LAST USED'],
        rows: (ks) => ks.map((k) => [k.id, k.name, k.registration ? 'registration' : 'api', localTime(k.createdAt), k.createdBy ?? '', k.lastUsedAt ? localTime(k.lastUsedAt) : 'never']),
      });
      return 0;
    }
    case 'create': {
      const key = await api.createApiKey({ name: args.name, ...(args.registration ? { registration: true } : {}) });
      if (args.json) {
        deps.stdout.write(json(key));
        return 0;
      }
      // The same lines as `gatehouse keys create`, so one habit serves both.
      deps.stdout.write(`id:     ${key.id}\nsecret: ${key.secret}\n`);
      deps.stdout.write(`use:    X-API-KEY: ${key.id}:${key.secret}${key.registration ? '   (registration key: it can only register agents)' : ''}\n`);
      deps.stdout.write('The secret is shown only now.\n');
      return 0;
    }
    case 'rm':
      await api.deleteApiKey(args.id);
      deps.stdout.write(`Deleted API key ${args.id}.\n`);
      return 0;
  }
}
