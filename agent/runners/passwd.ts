/**
 * User lookup through NSS (`getent passwd`), so LDAP/SSSD users resolve exactly as they do for
 * login(1). The name is validated before it reaches the command line, and the command runs
 * without a shell, so a target-user name can never inject anything.
 */
import { execFile } from 'node:child_process';
import { TARGET_USER_RE } from '../../protocol/agent-frames';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

const GETENT = '/usr/bin/getent';

/** Parses one `passwd` line (name:pw:uid:gid:gecos:home:shell); null when malformed. */
export function parsePasswdLine(line: string): PasswdEntry | null {
  const f = line.replace(/\r?\n$/, '').split(':');
  if (f.length !== 7) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0 || f[2] === '' || f[3] === '') return null;
  return { name: f[0]!, uid, gid, home: f[5] || '/', shell: f[6] || '/bin/sh' };
}

/**
 * Resolves a user by name. Resolves null when the name is invalid or unknown (getent exits 2);
 * rejects only when getent itself cannot run.
 */
export function lookupUser(name: string): Promise<PasswdEntry | null> {
  if (!TARGET_USER_RE.test(name)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    execFile(GETENT, ['passwd', '--', name], { timeout: 10_000, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) {
        // Exit status 2: "One or more supplied key could not be found in the database."
        if ((err as { code?: unknown }).code === 2) return resolve(null);
        return reject(new Error(`getent passwd failed: ${err.message.split('\n')[0]}`));
      }
      const entry = parsePasswdLine(stdout.split('\n')[0] ?? '');
      // A numeric name could match a uid in some NSS modules; only an exact name match counts.
      resolve(entry && entry.name === name ? entry : null);
    });
  });
}
