/**
 * First-start initialisation of a data dir and the user-creating verbs shared by `serve`,
 * `init` and `users add`. Idempotent: running it on an initialised data dir changes nothing.
 */
import { userInfo } from 'node:os';
import type { Store } from './store/store';
import type { PolicyDocument } from './access/types';
import { generatePassword, hashPassword, checkNewPassword } from './auth/password';
import { GatehouseError } from '../protocol/errors';
import type { Role } from '../protocol/api-types';

export const BOOTSTRAP_ADMIN = 'admin@localhost';
export const ADMINS_GROUP = 'admins';
export const LOCAL_TARGET = 'local';
export const DEFAULT_ENVIRONMENT = 'default';
export const DEFAULT_POLICY = 'admins-local-shell';

const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * Creates a user. Admins also join the `admins` group, which the default policy names. Returns
 * the one-time password when none was given (the user must change it at first login).
 */
export async function createUser(
  store: Store,
  u: { email: string; role: Role; password?: string; groups?: string[] },
): Promise<{ id: string; oneTimePassword: string | null }> {
  if (!EMAIL_RE.test(u.email)) throw new GatehouseError('BAD_REQUEST', `not an email address: ${u.email}`);
  if (await store.users.byEmail(u.email)) throw new GatehouseError('CONFLICT', `user ${u.email} already exists`);
  if (u.password !== undefined) {
    const err = checkNewPassword(u.password);
    if (err) throw new GatehouseError('BAD_REQUEST', err.replace('the new password', 'the password'));
  }
  const oneTime = u.password === undefined ? generatePassword() : null;
  const row = await store.users.create({
    email: u.email,
    role: u.role,
    passwordHash: await hashPassword(u.password ?? oneTime!),
    mustChangePassword: oneTime !== null,
  });
  const groups = new Set(u.groups ?? []);
  if (u.role === 'admin') groups.add(ADMINS_GROUP);
  for (const g of groups) await store.users.addToGroup(row.id, g);
  return { id: row.id, oneTimePassword: oneTime };
}

/**
 * Makes sure the data dir has the `local` target, the visible and removable default policy
 * letting admins open a shell on it, and, when no admin exists, the bootstrap admin. Returns
 * the bootstrap admin's one-time password when it was just created.
 */
export async function ensureInitialized(store: Store, opts: { runningAsRoot: boolean }): Promise<{ bootstrapPassword: string | null }> {
  await store.targets.ensureEnvironment(DEFAULT_ENVIRONMENT);
  let created = false;
  if (!(await store.targets.byName(LOCAL_TARGET))) {
    await store.targets.create({ name: LOCAL_TARGET, kind: 'local', environment: DEFAULT_ENVIRONMENT });
    created = true;
  }
  if (created) {
    // The service can open shells as other users only when it runs as root.
    const targetUser = opts.runningAsRoot ? 'root' : userInfo().username;
    const policy: PolicyDocument = {
      name: DEFAULT_POLICY,
      kind: 'target_access',
      subjects: { groups: [ADMINS_GROUP] },
      targets: [LOCAL_TARGET],
      actions: ['shell', 'tunnel', 'copy'],
      targetUsers: [targetUser],
    };
    await store.policies.put(policy);
  }
  if ((await store.users.countAdmins()) > 0) return { bootstrapPassword: null };
  const { oneTimePassword } = await createUser(store, { email: BOOTSTRAP_ADMIN, role: 'admin' });
  return { bootstrapPassword: oneTimePassword };
}
