import type { Role } from '../../../protocol/api-types';
import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type UsersArgs =
  | { sub: 'ls'; json: boolean }
  | { sub: 'add'; email: string; role: Role | null; groups: string[]; passwordStdin: boolean; json: boolean }
  | { sub: 'rm' | 'reset-mfa'; email: string }
  | { sub: 'set-role'; email: string; role: Role };

const SUBS = ['ls', 'add', 'rm', 'reset-mfa', 'set-role'] as const;

function role(text: string, where: string): Role {
  if (text !== 'admin' && text !== 'user') throw new UsageError(`the role is admin or user, not ${JSON.stringify(text)}`, where);
  return text;
}

const { help, subcommands } = subcommandHelp('users', 'Gatehouse accounts (admins only).', [
  {
    name: 'ls',
    usage: 'gate users ls [--json]',
    summary: 'list users with role, groups and whether TOTP is on',
    details: `Lists every user: email, role, groups, TOTP (on/off), whether the password is still a
one-time password, and when the account was created.

options:
  --json    print the UserDetails objects of the API`,
  },
  {
    name: 'add',
    usage: 'gate users add EMAIL [--role admin|user] [--group G]... [--password-stdin] [--json]',
    summary: 'create a user; prints the one-time password when the service made one',
    details: `Creates a user. Without --password-stdin the service generates a one-time password,
printed here once; the user must change it at the first login.

options:
  --role admin|user     default user
  --group G             put the user in group G (repeatable)
  --password-stdin      set the password from the first line of stdin
  --json                print the CreateUserResponse of the API ({user, oneTimePassword?})`,
  },
  {
    name: 'rm',
    usage: 'gate users rm EMAIL',
    summary: 'delete a user (closes their connections, removes them from policies)',
    details: `Deletes the user. Their open connections are closed and they are removed from every
policy and group. You cannot delete yourself or the last admin.`,
  },
  {
    name: 'reset-mfa',
    usage: 'gate users reset-mfa EMAIL',
    summary: 'turn off a user\'s TOTP (they log in with the password alone, then enrol again)',
    details: `Turns off the user's TOTP, for a user who lost their authenticator: they log in with
their password alone and can enrol a new authenticator.`,
  },
  {
    name: 'set-role',
    usage: 'gate users set-role EMAIL admin|user',
    summary: 'make a user an admin, or an admin a user',
    details: `Changes the user's role. The last admin cannot stop being one.`,
  },
]);

export const usersCommand: CommandDef<UsersArgs> = {
  name: 'users',
  summary: 'admin: list, add and remove users; reset TOTP; change roles',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('users', argv, SUBS);
    const where = `users ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true };
      }
      case 'add': {
        const p = parseCommandLine(where, rest, {
          role: { type: 'string' },
          group: { type: 'string', multiple: true },
          'password-stdin': { type: 'boolean' },
          json: { type: 'boolean' },
        } as const);
        const [email] = exactWords(where, p, ['EMAIL']);
        const v = p.values;
        return {
          sub,
          email: email!,
          role: v.role === undefined ? null : role(v.role, where),
          groups: v.group ?? [],
          passwordStdin: v['password-stdin'] === true,
          json: v.json === true,
        };
      }
      case 'rm':
      case 'reset-mfa': {
        const [email] = exactWords(where, parseCommandLine(where, rest, {}), ['EMAIL']);
        return { sub, email: email! };
      }
      case 'set-role': {
        const [email, r] = exactWords(where, parseCommandLine(where, rest, {}), ['EMAIL', 'ROLE']);
        return { sub, email: email!, role: role(r!, where) };
      }
    }
  },
};
