import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { json, localTime, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import { readFirstLine, readSecret } from '../../services/prompt';
import type { UsersArgs } from './users.command';

export async function usersHandler(deps: Deps, args: UsersArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  switch (args.sub) {
    case 'ls': {
      const users = (await api.users()).sort((a, b) => a.email.localeCompare(b.email));
      if (args.json) {
        deps.stdout.write(json(users));
        return 0;
      }
      deps.stdout.write(
        table(
          ['EMAIL', 'ROLE', 'GROUPS', 'TOTP', 'PASSWORD', 'CREATED'],
          users.map((u) => [u.email, u.role, u.groups.join(','), u.totpEnabled ? 'on' : 'off', u.mustChangePassword ? 'one-time' : 'set', localTime(u.createdAt)]),
        ),
      );
      return 0;
    }
    case 'add': {
      let password: string | undefined;
      if (args.passwordStdin) {
        // On a terminal, ask without echo rather than show the password as it is typed.
        password = deps.stdin.isTTY ? await readSecret(deps.stdin, deps.stderr, `Password for ${args.email}: `) : await readFirstLine(deps.stdin);
        if (!password) throw new CliError('the password on stdin is empty');
      }
      const res = await api.createUser({
        email: args.email,
        ...(args.role ? { role: args.role } : {}),
        ...(args.groups.length ? { groups: args.groups } : {}),
        ...(password !== undefined ? { password } : {}),
      });
      if (args.json) {
        deps.stdout.write(json(res));
        return 0;
      }
      const groups = res.user.groups.length ? ` in ${res.user.groups.join(', ')}` : '';
      deps.stdout.write(`Created user ${res.user.email} (${res.user.role})${groups}.\n`);
      if (res.oneTimePassword) deps.stdout.write(`one-time password: ${res.oneTimePassword} (shown once; it must be changed at the first login)\n`);
      return 0;
    }
    case 'rm':
      await api.deleteUser(args.email);
      deps.stdout.write(`Deleted user ${args.email}.\n`);
      return 0;
    case 'reset-mfa':
      await api.resetMfa(args.email);
      deps.stdout.write(`TOTP of ${args.email} is off: they log in with their password and may enrol again.\n`);
      return 0;
    case 'set-role': {
      const user = await api.setUserRole(args.email, args.role);
      deps.stdout.write(`${user.email} is now ${user.role === 'admin' ? 'an admin' : 'a user'}.\n`);
      return 0;
    }
  }
}
