/**
 * JIT precedence (SPEC §3): manual beats auto, then the shorter duration wins; a JIT policy
 * grants nothing by itself; an approved grant's permit carries its expiry, and standing
 * access keeps a permit open-ended. Includes the four policy documents of SPEC §3.
 */
import { describe, it, expect } from 'vitest';
import { decide, governingJit, requestableOn } from '../../../../server/access/policy-decider';
import { durationSeconds } from '../../../../server/jit/durations';
import type { PolicyDocument, Subject } from '../../../../server/access/types';

const dev: Subject = { userId: 'u1', email: 'dana@example.com', username: 'dana', groups: ['dev'] };
const web = { id: 't1', name: 'web-1', environment: 'prod', kind: 'agent' as const };
const jit = (name: string, approval: 'auto' | 'manual', duration: string, extra: Partial<Extract<PolicyDocument, { kind: 'just_in_time' }>> = {}): PolicyDocument => ({
  name, kind: 'just_in_time', subjects: { groups: ['dev'] }, environments: ['prod'], actions: ['shell'], targetUsers: ['{username}'], approval, duration, ...extra,
});
const governs = (ps: PolicyDocument[], targetUser = 'dana') => governingJit(ps, dev, web, 'shell', targetUser, durationSeconds)?.policy ?? null;

describe('JIT precedence', () => {
  it.each([
    ['manual beats auto, even when longer', [jit('a-auto-15m', 'auto', '15m'), jit('b-manual-2h', 'manual', '2h')], 'b-manual-2h'],
    ['between manuals the shorter wins', [jit('m-1h', 'manual', '1h'), jit('m-30m', 'manual', '30m')], 'm-30m'],
    ['between autos the shorter wins', [jit('x-2h', 'auto', '2h'), jit('y-45m', 'auto', '45m')], 'y-45m'],
    ['four policies: manual and shortest', [jit('p1', 'auto', '10m'), jit('p2', 'auto', '1h'), jit('p3', 'manual', '4h'), jit('p4', 'manual', '1h30m')], 'p4'],
    ['equal terms: the name decides, not storage order', [jit('zeta', 'manual', '1h'), jit('alpha', 'manual', '1h')], 'alpha'],
    ['a policy for another group does not count', [jit('other', 'manual', '5m', { subjects: { groups: ['ops'] } }), jit('mine', 'auto', '1h')], 'mine'],
    ['a policy for another action does not count', [jit('tun', 'manual', '5m', { actions: ['tunnel'] }), jit('mine', 'auto', '1h')], 'mine'],
    ['a policy for another target user does not count', [jit('deploy', 'manual', '5m', { targetUsers: ['deploy'] }), jit('mine', 'auto', '1h')], 'mine'],
    ['no JIT policy: nothing to request', [{ name: 'ops', kind: 'target_access', subjects: { groups: ['dev'] }, environments: ['prod'], actions: ['shell'], targetUsers: ['dana'] } as PolicyDocument], null],
  ])('%s', (_name, policies, want) => {
    expect(governs(policies as PolicyDocument[])).toBe(want);
  });

  it('the four documents of SPEC §3: dev may request a 30 min manual shell on prod, approved by sre', () => {
    const spec: PolicyDocument[] = [
      { name: 'ops-shell', kind: 'target_access', subjects: { users: ['alice@example.com'], groups: ['ops'], apiKeys: [] }, targets: ['web-1'], environments: ['prod'], actions: ['shell', 'tunnel', 'copy'], targetUsers: ['{username}', 'deploy'] },
      { name: 'pg', kind: 'proxy', subjects: { groups: ['dba'] }, targets: ['pg-main'], targetUsers: ['postgres'] },
      { name: 'rec-input', kind: 'session_recording', subjects: { groups: ['contractors'] }, recordInput: true },
      jit('jit-prod', 'manual', '30m', { approvers: { users: [], groups: ['sre'] } }),
    ];
    expect(decide(spec, { subject: dev, target: web, action: 'shell', targetUser: 'dana' }).effect).toBe('deny');
    expect(governingJit(spec, dev, web, 'shell', 'dana', durationSeconds)).toEqual({ policy: 'jit-prod', approval: 'manual', maxDurationSeconds: 1800, approvers: { users: [], groups: ['sre'] } });
    expect(requestableOn(spec, dev, web, durationSeconds).map((r) => `${r.action}:${r.targetUser}`)).toEqual(['shell:dana']);
  });

  it('a JIT grant allows until it expires, with notAfter; standing access stays open-ended', () => {
    const grant: PolicyDocument = { name: 'JIT-abcdefgh', kind: 'target_access', subjects: { users: ['dana@example.com'] }, targets: ['web-1'], actions: ['shell'], targetUsers: ['dana'], expiresAt: '2030-01-01T00:00:00.000Z', request: 'req_x' };
    const before = decide([grant], { subject: dev, target: web, action: 'shell', targetUser: 'dana', now: Date.parse('2029-12-31T23:59:00Z') });
    expect(before.effect === 'allow' && before.permit.notAfter).toBe('2030-01-01T00:00:00.000Z');
    expect(decide([grant], { subject: dev, target: web, action: 'shell', targetUser: 'dana', now: Date.parse('2030-01-01T00:00:00Z') }).effect).toBe('deny');
    const standing: PolicyDocument = { name: 'ops', kind: 'target_access', subjects: { groups: ['dev'] }, targets: ['web-1'], actions: ['shell'], targetUsers: ['dana'] };
    const both = decide([grant, standing], { subject: dev, target: web, action: 'shell', targetUser: 'dana', now: Date.parse('2029-12-31T23:59:00Z') });
    expect(both.effect === 'allow' && both.permit.notAfter).toBe(null);
  });
});
