import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { requireLogin } from '../../services/logged-in';
import type { CloseArgs } from './close.command';

export async function closeHandler(deps: Deps, args: CloseArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const ids = args.all ? (await api.connections()).map((c) => c.id) : args.ids;
  if (args.all && ids.length === 0) {
    deps.stderr.write('No open connections.\n');
    return 0;
  }
  const failed: string[] = [];
  for (const id of ids) {
    try {
      await api.closeConnection(id);
      deps.stdout.write(`Closed ${id}\n`);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      // Report each failure and go on: one bad id must not keep the others open.
      deps.stderr.write(`gate: ${id}: ${e.message}\n`);
      failed.push(id);
    }
  }
  return failed.length ? 1 : 0;
}
