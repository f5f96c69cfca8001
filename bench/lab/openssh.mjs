// The OpenSSH side of the lab: a bench user, a client key, ONE sshd on 127.0.0.1 (its own
// host key, no PAM, key auth only) that plays both the "bastion" and the "target" of
// `ssh -J bastion target`, and a client config defining both hosts. Everything is undone by
// teardown (sshd stopped, the user's leftover processes ended by PID, the user removed).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, killGroup, onTeardown, processesOfUid, run, sleep, startDaemon, tryRun } from './procs.mjs';

export const BENCH_USER = 'ghbench';

/** Creates (or reuses) the bench user; teardown ends its processes and removes it. */
export function createBenchUser() {
  const existing = tryRun('id', ['-u', BENCH_USER]);
  if (existing.code !== 0) run('useradd', ['-m', '-s', '/bin/bash', BENCH_USER]);
  // useradd leaves the account locked; with UsePAM off sshd refuses locked accounts.
  run('usermod', ['-p', '*', BENCH_USER]);
  const uid = Number(run('id', ['-u', BENCH_USER]).trim());
  onTeardown(`user ${BENCH_USER}`, async () => {
    // Every process of this uid was started by the lab (sshd sessions, agent-run commands).
    for (let i = 0; i < 20; i++) {
      const pids = processesOfUid(uid);
      if (pids.length === 0) break;
      for (const pid of pids) killGroup(pid, i < 10 ? 'SIGTERM' : 'SIGKILL');
      await sleep(200);
    }
    const r = tryRun('userdel', ['-r', BENCH_USER]);
    // userdel -r warns when the mail spool does not exist; only a real failure matters.
    if (r.code !== 0 && tryRun('id', ['-u', BENCH_USER]).code === 0) throw new Error(`userdel: ${r.stderr.trim()}`);
  });
  return { name: BENCH_USER, uid, created: existing.code !== 0 };
}

/**
 * Starts sshd in `dir` (which must be readable by the bench user: AuthorizedKeysFile is read
 * with the user's privileges). Returns the client config path and ssh's version line.
 */
export async function startOpenSsh(dir) {
  chmodSync(dir, 0o755);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gatehouse-bench-client', '-f', join(dir, 'id_ed25519')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gatehouse-bench-host', '-f', join(dir, 'ssh_host_ed25519_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_ed25519.pub')), { mode: 0o644 });
  chmodSync(join(dir, 'authorized_keys'), 0o644);

  // sshd's privilege separation directory; created only if this machine has none, and then
  // removed again at the end.
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 });
    onTeardown('/run/sshd', () => rmdirSync('/run/sshd'));
  }

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${BENCH_USER}`,
      'StrictModes no',
      'AllowTcpForwarding yes',
      'PrintMotd no',
      'PrintLastLog no',
      'MaxStartups 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  run('/usr/sbin/sshd', ['-t', '-f', config]);
  // Not -q: with -D -e, sshd prints "Server listening on …" at LogLevel INFO only, so we
  // instead poll the port below.
  const sshd = startDaemon('sshd', '/usr/sbin/sshd', ['-D', '-e', '-f', config]);

  const clientConfig = join(dir, 'ssh_config');
  writeFileSync(
    clientConfig,
    [
      'Host bastion target',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${BENCH_USER}`,
      `  IdentityFile ${join(dir, 'id_ed25519')}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );

  // Ready when a real login through the jump works.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = tryRun('ssh', ['-F', clientConfig, '-J', 'bastion', 'target', 'echo ok'], { timeout: 10_000 });
    if (r.code === 0 && r.stdout.trim() === 'ok') break;
    if (sshd.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`sshd on 127.0.0.1:${port} does not accept the bench login: ${r.stderr.trim()}\n${sshd.lines.join('\n')}`);
    }
    await sleep(200);
  }
  const version = tryRun('ssh', ['-V']);
  return { port, clientConfig, sshd, version: (version.stderr || version.stdout).trim() };
}
