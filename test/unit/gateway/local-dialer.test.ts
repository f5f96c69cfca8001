import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDialer, type LocalDialer } from '../../../gateway/local/local-dialer';
import type { OpenRequest, TargetRef } from '../../../gateway/types';

const target: TargetRef = { id: 't', name: 'local', kind: 'local' };
const request: OpenRequest = { kind: 'exec', targetUser: 'root', command: 'true' };
const dialers: LocalDialer[] = [];
afterEach(async () => {
  await Promise.all(dialers.splice(0).map((d) => d.close()));
});

/** A dialer whose "agent" is a node one-liner, to exercise failure paths without a real agent. */
function fake(script: string) {
  const err: string[] = [];
  const log: string[] = [];
  const d = createLocalDialer({ agentCommand: [process.execPath, '-e', script], stderr: { write: (s: string) => err.push(s) }, log: (l) => log.push(l) });
  dialers.push(d);
  return { d, err, log, open: () => d.open(target, request, new AbortController().signal) };
}

describe('createLocalDialer failure paths', () => {
  it('is a dialer for local targets', () => {
    expect(fake('').d.targetKind).toBe('local');
  });

  it('reports an agent that cannot be started', async () => {
    const d = createLocalDialer({ agentCommand: ['/nonexistent/gatehouse-agent'], log: () => {} });
    dialers.push(d);
    await expect(d.open(target, request, new AbortController().signal)).rejects.toMatchObject({
      code: 'TARGET_UNAVAILABLE', message: expect.stringMatching(/cannot start the local agent: .*ENOENT/),
    });
  });

  it('forwards the agent stderr with a prefix and reports its exit status', async () => {
    const f = fake("process.stderr.write('line one\\nline two\\npartial'); process.exitCode = 3");
    await expect(f.open()).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE', message: expect.stringContaining('local agent exited with code 3') });
    expect(f.err.join('')).toBe('[local agent] line one\n[local agent] line two\n[local agent] partial\n');
    expect(f.log).toEqual(['local agent exited with code 3']);
  });

  it('ends the link on garbage from the agent, logs why, and stops the agent', async () => {
    const f = fake("process.stderr.write(`pid=${process.pid}\\n`); process.stdout.write('garbage!'); setInterval(() => {}, 1000)");
    await expect(f.open()).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE', message: expect.stringContaining('protocol error') });
    expect(f.log.join('\n')).toMatch(/local agent: protocol error: frame of \d+ bytes exceeds/);
    for (let i = 0; i < 100 && !/pid=\d+\n/.test(f.err.join('')); i++) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(/pid=(\d+)/.exec(f.err.join(''))![1]);
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });

  it('respawns after the agent died and refuses opens once closed', async () => {
    const f = fake('process.exit(1)');
    await expect(f.open()).rejects.toThrow(/exited with code 1/);
    await expect(f.open()).rejects.toThrow(/exited with code 1/);
    expect(f.log).toEqual(['local agent exited with code 1', 'local agent exited with code 1']);
    await f.d.close();
    await expect(f.open()).rejects.toThrow(/dialer is closed/);
  });
});
