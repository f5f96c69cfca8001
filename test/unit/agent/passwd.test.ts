import { describe, expect, it } from 'vitest';
import { lookupUser, parsePasswdLine } from '../../../agent/runners/passwd';
import { buildLaunch, resolveUser } from '../../../agent/runners/runner';

describe('passwd', () => {
  it('parses passwd lines', () => {
    expect(parsePasswdLine('alice:x:1001:1002:Alice,,,:/home/alice:/bin/zsh\n')).toEqual({ name: 'alice', uid: 1001, gid: 1002, home: '/home/alice', shell: '/bin/zsh' });
    expect(parsePasswdLine('svc:x:5:5::/:')).toEqual({ name: 'svc', uid: 5, gid: 5, home: '/', shell: '/bin/sh' });
    expect(parsePasswdLine('broken:x:1:1')).toBeNull();
    expect(parsePasswdLine('bad:x::1:g:/h:/bin/sh')).toBeNull();
    expect(parsePasswdLine('bad:x:-1:1:g:/h:/bin/sh')).toBeNull();
  });

  it('looks users up through getent', async () => {
    expect(await lookupUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0 });
    expect(await lookupUser('gh-no-such-user-x')).toBeNull();
    // Invalid names never reach getent (they would be options or NSS oddities).
    expect(await lookupUser('--help')).toBeNull();
    expect(await lookupUser('0')).toBeNull();
  });

  it('refuses other users when the agent is not root', async () => {
    expect(await resolveUser('root', { uid: 4242 })).toMatchObject({ ok: false, code: 'NOT_PERMITTED' });
    expect(await resolveUser('gh-no-such-user-x', { uid: 0 })).toEqual({ ok: false, code: 'TARGET_USER_UNKNOWN', message: 'no user "gh-no-such-user-x" on this host' });
    expect(await resolveUser('root', { uid: 0 })).toMatchObject({ ok: true, user: { uid: 0 } });
  });
});

describe('buildLaunch', () => {
  const user = { name: 'alice', uid: 1001, gid: 1002, home: '/nonexistent-home-x', shell: '/bin/bash' };

  it('goes through setpriv with the user groups and a reset environment as root', async () => {
    const l = await buildLaunch(user, { uid: 0 }, ['/bin/bash', '-l'], { TERM: 'xterm', LANG: 'C.UTF-8' });
    expect(l.file).toBe('/usr/bin/setpriv');
    expect(l.args).toEqual(['--reuid', '1001', '--regid', '1002', '--init-groups', '--reset-env', '--', '/usr/bin/env', 'TERM=xterm', 'LANG=C.UTF-8', '/bin/bash', '-l']);
    expect(l.env).toEqual({ TERM: 'xterm' });
    // A missing home falls back to /.
    expect(l.cwd).toBe('/');
  });

  it('builds the environment by hand when not root', async () => {
    const l = await buildLaunch({ ...user, home: '/tmp' }, { uid: 1001 }, ['/bin/bash', '-c', 'id'], { LANG: 'C.UTF-8' });
    expect(l.file).toBe('/bin/bash');
    expect(l.args).toEqual(['-c', 'id']);
    expect(l.env).toEqual({ HOME: '/tmp', USER: 'alice', LOGNAME: 'alice', SHELL: '/bin/bash', PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' });
    expect(l.cwd).toBe('/tmp');
  });
});
