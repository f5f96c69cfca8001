import { describe, it, expect } from 'vitest';
import { decide } from '../../../../server/access/policy-decider';
import type { PolicyDocument, AccessRequest } from '../../../../server/access/types';

const alice = { userId: 'u1', email: 'alice@example.com', username: 'alice', groups: ['ops'] };
const bob = { userId: 'u2', email: 'bob@example.com', username: 'bob', groups: [] as string[] };
const web1 = { id: 't1', name: 'web-1', environment: 'prod' };
const db1 = { id: 't2', name: 'db-1', environment: 'staging' };

const policies: PolicyDocument[] = [
  { name: 'ops-shell', kind: 'target_access', subjects: { groups: ['ops'] }, environments: ['prod'], actions: ['shell'], targetUsers: ['{username}', 'deploy'] },
  { name: 'bob-db', kind: 'target_access', subjects: { users: ['BOB@example.com'] }, targets: ['db-1'], actions: ['shell', 'copy'], targetUsers: ['postgres'] },
  { name: 'rec', kind: 'session_recording', subjects: { users: ['bob@example.com'] }, recordInput: true },
];

const req = (r: Partial<AccessRequest>): AccessRequest => ({ subject: alice, target: web1, action: 'shell', targetUser: null, ...r });

describe('policy decider', () => {
  const cases: [string, AccessRequest, string, string?][] = [
    ['group + environment + {username}', req({ targetUser: 'alice' }), 'allow', 'alice'],
    ['group + environment, second target user', req({ targetUser: 'deploy' }), 'allow', 'deploy'],
    ['target user not granted', req({ targetUser: 'root' }), 'TARGET_USER_NOT_ALLOWED'],
    ['several target users, none chosen', req({}), 'TARGET_USER_AMBIGUOUS'],
    ['action not granted', req({ action: 'tunnel', targetUser: 'alice' }), 'NO_POLICY'],
    ['other environment', req({ target: db1, targetUser: 'alice' }), 'NO_POLICY'],
    ['user subject, case-insensitive email, by target name', req({ subject: bob, target: db1 }), 'allow', 'postgres'],
    ['user subject, copy action', req({ subject: bob, target: db1, action: 'copy', targetUser: 'postgres' }), 'allow', 'postgres'],
    ['no policy for this user', req({ subject: bob, target: web1, targetUser: 'bob' }), 'NO_POLICY'],
    ['{username} expands per user only', req({ subject: { ...bob, groups: ['ops'] }, targetUser: 'alice' }), 'TARGET_USER_NOT_ALLOWED'],
  ];
  for (const [name, r, want, user] of cases) {
    it(name, () => {
      const d = decide(policies, r);
      if (want === 'allow') {
        expect(d.effect).toBe('allow');
        if (d.effect === 'allow') expect(d.permit.targetUser).toBe(user);
      } else {
        expect(d.effect).toBe('deny');
        if (d.effect === 'deny') expect(d.code).toBe(want);
      }
    });
  }

  it('denies everything without policies', () => {
    expect(decide([], req({ targetUser: 'alice' })).effect).toBe('deny');
  });

  it('puts actions, recording mode and granting policies in the permit', () => {
    const d = decide(policies, req({ subject: bob, target: db1 }));
    expect(d.effect).toBe('allow');
    if (d.effect !== 'allow') return;
    expect(d.permit.actions).toEqual(['shell', 'copy']);
    expect(d.permit.recordInput).toBe(true);
    expect(d.permit.policies).toEqual(['bob-db']);
    const a = decide(policies, req({ targetUser: 'alice' }));
    expect(a.effect === 'allow' && a.permit.recordInput).toBe(false);
  });
});
