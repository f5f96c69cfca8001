/**
 * The access decision table (SPEC §3 Policies, §7 deny by default), against the pure decider.
 *
 * Every row names its policies, who asks, for what target, action and target user, and the one
 * answer it must get: `allow` with the permit's target user (and, where it matters, the actions,
 * the granting policies and the input-recording flag), or `deny` with its code (and choices).
 * Policies and subjects are deep-frozen: the decider must not mutate its snapshot.
 */
import { describe, it, expect } from 'vitest';
import { allowedTargetUsers, decide, decideTunnel, recordsInput, stillAllowed } from '../../../../server/access/policy-decider';
import type { Action } from '../../../../protocol/permit';
import type { DenyCode, PolicyDocument, Subject, TargetFacts } from '../../../../server/access/types';

// ---------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------
const user = (id: string, email: string, groups: string[] = []): Subject => ({ userId: id, email, username: email.split('@')[0]!, groups });
const key = (id: string, name: string, groups: string[] = []): Subject => ({ userId: id, email: `apikey:${id}`, username: name, groups, apiKeyId: id });

const alice = user('u-alice', 'alice@example.com', ['ops']);
const aliceUpper = user('u-alice', 'Alice@Example.COM', ['ops']); // same user, email typed differently
const bob = user('u-bob', 'bob@example.com', ['dev']);
const bobInOps = user('u-bob', 'bob@example.com', ['dev', 'ops']);
const carol = user('u-carol', 'carol@example.com');
const dave = user('u-dave', 'dave@example.com', ['ops', 'dba']);
const eve = user('u-eve', 'eve@example.com', ['nobody']);
const aliceNoGroups = user('u-alice', 'alice@example.com', []);
/** A user whose id happens to equal an API key's id: still a user, never matched through apiKeys. */
const k1Lookalike = user('k1', 'kay@example.com');
const ci = key('k1', 'ci-bot');
const deployBot = key('k2', 'deploy-bot');
/** An API key subject that (wrongly) carries groups: a key must still only match through apiKeys. */
const ciWithGroups = key('k1', 'ci-bot', ['ops', 'dev']);
const nameless = { ...user('u-x', 'x@example.com'), username: '' };

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------
const t = (id: string, name: string, environment: string, kind?: TargetFacts['kind']): TargetFacts =>
  kind ? { id, name, environment, kind } : { id, name, environment };
const web1 = t('t-web1', 'web-1', 'prod', 'agent');
const web2 = t('t-web2', 'web-2', 'prod', 'agent');
const db1 = t('t-db1', 'db-1', 'staging', 'ssh');
const local = t('t-local', 'local', 'default', 'local');
const pgMain = t('t-pgmain', 'pg-main', 'prod', 'proxy');
const pgStage = t('t-pgstage', 'pg-stage', 'staging', 'proxy');
const devBox = t('t-dev', 'dev-box', 'dev', 'agent');
/** A target *named* like an environment, living in another environment. */
const namedProd = t('t-namedprod', 'prod', 'lab', 'agent');
/** A target whose kind is not known: treated as a non-proxy target. */
const kindless = t('t-kindless', 'legacy-1', 'prod');
const web1MovedToStaging = { ...web1, environment: 'staging' };

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------
type TA = Extract<PolicyDocument, { kind: 'target_access' }>;
const ta = (name: string, subjects: TA['subjects'], where: { targets?: string[]; environments?: string[] }, actions: Action[], targetUsers: string[]): PolicyDocument => ({
  name,
  kind: 'target_access',
  subjects,
  ...where,
  actions,
  targetUsers,
});
const proxy = (name: string, subjects: TA['subjects'], where: { targets?: string[]; environments?: string[] }, targetUsers: string[]): PolicyDocument => ({
  name,
  kind: 'proxy',
  subjects,
  ...where,
  targetUsers,
});
const rec = (name: string, subjects: TA['subjects'], recordInput: boolean): PolicyDocument => ({ name, kind: 'session_recording', subjects, recordInput });

const P = {
  aliceDeploy: ta('alice-deploy', { users: ['alice@example.com'] }, { targets: ['web-1'] }, ['shell'], ['deploy']),
  aliceDeployUpper: ta('alice-deploy-upper', { users: ['ALICE@EXAMPLE.COM'] }, { targets: ['web-1'] }, ['shell'], ['deploy']),
  opsProd: ta('ops-prod', { groups: ['ops'] }, { environments: ['prod'] }, ['shell', 'copy'], ['{username}']),
  aliceProdShell: ta('alice-prod-shell', { users: ['alice@example.com'] }, { environments: ['prod'] }, ['shell'], ['alice']),
  aliceProdTunnel: ta('alice-prod-tunnel', { users: ['alice@example.com'] }, { environments: ['prod'] }, ['tunnel'], ['{username}']),
  devStaging: ta('dev-staging', { groups: ['dev'] }, { environments: ['staging'] }, ['shell', 'tunnel', 'copy'], ['{username}', 'app']),
  bobDb: ta('bob-db', { users: ['bob@example.com'] }, { targets: ['db-1'] }, ['shell'], ['root', 'postgres', 'app']),
  bobTunnel: ta('bob-tunnel', { users: ['bob@example.com'] }, { targets: ['web-2'] }, ['tunnel'], ['bob']),
  bobCopy: ta('bob-copy', { users: ['bob@example.com'] }, { targets: ['web-2'] }, ['copy'], ['www-data']),
  bobSelfTwice: ta('bob-self-twice', { users: ['bob@example.com'] }, { targets: ['web-1'] }, ['shell'], ['{username}', 'bob']),
  prefixed: ta('prefixed', { groups: ['ops'] }, { targets: ['dev-box'] }, ['shell'], ['dev-{username}']),
  ciWeb: ta('ci-web', { apiKeys: ['k1'] }, { targets: ['web-1'] }, ['shell'], ['ci']),
  ciSelf: ta('ci-self', { apiKeys: ['k1'] }, { environments: ['staging'] }, ['shell', 'tunnel'], ['{username}']),
  keyByName: ta('key-by-name', { apiKeys: ['ci-bot'] }, { targets: ['web-1'] }, ['shell'], ['ci']),
  keyViaUsers: ta('key-via-users', { users: ['apikey:k1', 'APIKEY:K2'] }, { targets: ['web-1'] }, ['shell'], ['ci']),
  keyViaGroups: ta('key-via-groups', { groups: ['ops', 'dev'] }, { targets: ['web-1'] }, ['shell'], ['ci']),
  userViaApiKeys: ta('user-via-apikeys', { apiKeys: ['u-alice', 'alice@example.com', 'alice'] }, { targets: ['web-1'] }, ['shell'], ['deploy']),
  localRoot: ta('local-root', { users: ['carol@example.com'] }, { targets: ['local'] }, ['shell', 'copy'], ['root', 'nobody']),
  namedStaging: ta('named-staging', { users: ['carol@example.com'] }, { targets: ['staging'] }, ['shell'], ['carol']),
  envProdForCarol: ta('env-prod-carol', { users: ['carol@example.com'] }, { environments: ['prod'] }, ['shell'], ['carol']),
  nobodyPolicy: ta('nobody', {}, { targets: ['web-1'] }, ['shell'], ['root']),
  nowhere: ta('nowhere', { users: ['alice@example.com'] }, {}, ['shell'], ['root']),
  noTargetUsers: ta('no-target-users', { users: ['alice@example.com'] }, { targets: ['web-1'] }, ['shell'], []),
  noActions: ta('no-actions', { users: ['alice@example.com'] }, { targets: ['web-1'] }, [], ['root']),
  taOnProxy: ta('ta-on-proxy', { groups: ['dba'] }, { targets: ['pg-main'], environments: ['prod', 'staging'] }, ['shell', 'tunnel', 'copy'], ['postgres']),
  pg: proxy('pg', { groups: ['dba'] }, { targets: ['pg-main'] }, ['postgres']),
  pgStaging: proxy('pg-staging', { users: ['carol@example.com'] }, { environments: ['staging'] }, ['readonly', '{username}']),
  pgKey: proxy('pg-key', { apiKeys: ['k1'] }, { targets: ['pg-main'] }, ['reporter']),
  proxyOnAgent: proxy('proxy-on-agent', { groups: ['ops'] }, { targets: ['web-1'], environments: ['prod'] }, ['root']),
  recOps: rec('rec-ops', { groups: ['ops'] }, true),
  recBobNoInput: rec('rec-bob', { users: ['bob@example.com'] }, false),
  recCi: rec('rec-ci', { apiKeys: ['k1'] }, true),
  recAliceUpper: rec('rec-alice-upper', { users: ['ALICE@example.com'] }, true),
  recEverybodyNamed: rec('rec-everybody', { users: ['carol@example.com'], groups: ['dev'] }, true),
} satisfies Record<string, PolicyDocument>;

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------
type Want =
  | { effect: 'allow'; targetUser: string; actions?: Action[]; policies?: string[]; recordInput?: boolean }
  | { effect: 'deny'; code: DenyCode; choices?: string[] };

interface Row {
  name: string;
  policies: PolicyDocument[];
  subject: Subject;
  target: TargetFacts;
  action: Action;
  targetUser: string | null;
  want: Want;
}

const allow = (targetUser: string, more: Omit<Extract<Want, { effect: 'allow' }>, 'effect' | 'targetUser'> = {}): Want => ({ effect: 'allow', targetUser, ...more });
const deny = (code: DenyCode, choices?: string[]): Want => (choices ? { effect: 'deny', code, choices } : { effect: 'deny', code });
const row = (name: string, policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action, targetUser: string | null, want: Want): Row => ({
  name,
  policies,
  subject,
  target,
  action,
  targetUser,
  want,
});

const ALL = Object.values(P);

const rows: Row[] = [
  // --- deny by default ---------------------------------------------------------------------
  row('no policy at all: shell', [], alice, web1, 'shell', 'alice', deny('NO_POLICY')),
  row('no policy at all: tunnel', [], alice, web1, 'tunnel', null, deny('NO_POLICY')),
  row('no policy at all: copy', [], alice, web1, 'copy', 'alice', deny('NO_POLICY')),
  row('no policy at all: API key', [], ci, web1, 'shell', null, deny('NO_POLICY')),
  row('every policy, but none names eve or her group', ALL, eve, web1, 'shell', null, deny('NO_POLICY')),
  row('a policy with no subjects names nobody', [P.nobodyPolicy], alice, web1, 'shell', 'root', deny('NO_POLICY')),
  row('a policy with neither targets nor environments covers nothing', [P.nowhere], alice, web1, 'shell', 'root', deny('NO_POLICY')),
  row('a policy with no target users grants nothing', [P.noTargetUsers], alice, web1, 'shell', null, deny('NO_POLICY')),
  row('a policy with no actions grants nothing', [P.noActions], alice, web1, 'shell', 'root', deny('NO_POLICY')),

  // --- subjects: users by email, case-insensitive ------------------------------------------
  row('user by email', [P.aliceDeploy], alice, web1, 'shell', null, allow('deploy', { actions: ['shell'], policies: ['alice-deploy'] })),
  row('user by email, policy spelled in upper case', [P.aliceDeployUpper], alice, web1, 'shell', 'deploy', allow('deploy', { policies: ['alice-deploy-upper'] })),
  row('user by email, subject spelled in mixed case', [P.aliceDeploy], aliceUpper, web1, 'shell', 'deploy', allow('deploy')),
  row('user list does not name bob', [P.aliceDeploy], bob, web1, 'shell', 'deploy', deny('NO_POLICY')),

  // --- subjects: groups --------------------------------------------------------------------
  row('user by group', [P.opsProd], alice, web1, 'shell', null, allow('alice', { actions: ['shell', 'copy'], policies: ['ops-prod'] })),
  row('group: a member of another group only', [P.opsProd], bob, web1, 'shell', 'bob', deny('NO_POLICY')),
  row('group: membership added', [P.opsProd], bobInOps, web1, 'shell', null, allow('bob')),
  row('group: membership removed', [P.opsProd], aliceNoGroups, web1, 'shell', 'alice', deny('NO_POLICY')),
  row('group: one of several groups matches', [P.devStaging], bobInOps, db1, 'shell', 'bob', allow('bob')),

  // --- subjects: API keys ------------------------------------------------------------------
  row('API key by id', [P.ciWeb], ci, web1, 'shell', null, allow('ci', { actions: ['shell'], policies: ['ci-web'] })),
  row('API key: another key is not named', [P.ciWeb], deployBot, web1, 'shell', 'ci', deny('NO_POLICY')),
  row('API key: a key name in apiKeys is not a key id', [P.keyByName], ci, web1, 'shell', 'ci', deny('NO_POLICY')),
  row('API key never matches through a user list (apikey:ID)', [P.keyViaUsers], ci, web1, 'shell', 'ci', deny('NO_POLICY')),
  row('API key never matches through a user list (upper case)', [P.keyViaUsers], deployBot, web1, 'shell', 'ci', deny('NO_POLICY')),
  row('API key never matches through a group list, even carrying groups', [P.keyViaGroups], ciWithGroups, web1, 'shell', 'ci', deny('NO_POLICY')),
  row('API key carrying groups gets nothing from a group policy', [P.opsProd], ciWithGroups, web1, 'shell', null, deny('NO_POLICY')),
  row('user never matches through apiKeys (id, email, name)', [P.userViaApiKeys], alice, web1, 'shell', 'deploy', deny('NO_POLICY')),
  row('user whose id equals a key id never matches through apiKeys', [P.userViaApiKeys, P.ciWeb], k1Lookalike, web1, 'shell', null, deny('NO_POLICY')),
  row('API key: {username} is the key name', [P.ciSelf], ci, db1, 'shell', null, allow('ci-bot', { actions: ['shell', 'tunnel'], policies: ['ci-self'] })),
  row('API key: the key id is not its target user', [P.ciSelf], ci, db1, 'shell', 'k1', deny('TARGET_USER_NOT_ALLOWED', ['ci-bot'])),

  // --- targets: by name vs by environment ---------------------------------------------------
  row('by name: the named target', [P.aliceDeploy], alice, web1, 'shell', 'deploy', allow('deploy')),
  row('by name: a sibling in the same environment is not covered', [P.aliceDeploy], alice, web2, 'shell', 'deploy', deny('NO_POLICY')),
  row('by environment: first target in it', [P.opsProd], alice, web1, 'shell', 'alice', allow('alice')),
  row('by environment: second target in it', [P.opsProd], alice, web2, 'shell', 'alice', allow('alice')),
  row('by environment: a target in another environment', [P.opsProd], alice, db1, 'shell', 'alice', deny('NO_POLICY')),
  row('by environment: a target *named* like the environment is not in it', [P.opsProd], alice, namedProd, 'shell', 'alice', deny('NO_POLICY')),
  row('by name: a name equal to an environment does not cover that environment', [P.namedStaging], carol, db1, 'shell', 'carol', deny('NO_POLICY')),
  row('by environment: target moved out of it', [P.opsProd], alice, web1MovedToStaging, 'shell', 'alice', deny('NO_POLICY')),
  row('target of unknown kind is a non-proxy target', [P.opsProd], alice, kindless, 'shell', null, allow('alice')),
  row('the local target by name', [P.localRoot], carol, local, 'shell', 'root', allow('root', { actions: ['shell', 'copy'] })),
  row('the local target is not in prod', [P.envProdForCarol], carol, local, 'shell', 'carol', deny('NO_POLICY')),

  // --- actions ------------------------------------------------------------------------------
  row('shell granted', [P.devStaging], bob, db1, 'shell', 'app', allow('app', { actions: ['shell', 'tunnel', 'copy'] })),
  row('tunnel granted', [P.devStaging], bob, db1, 'tunnel', 'app', allow('app', { actions: ['shell', 'tunnel', 'copy'] })),
  row('copy granted', [P.devStaging], bob, db1, 'copy', 'bob', allow('bob', { actions: ['shell', 'tunnel', 'copy'] })),
  row('tunnel not granted by a shell+copy policy', [P.opsProd], alice, web1, 'tunnel', 'alice', deny('NO_POLICY')),
  row('copy granted by a shell+copy policy', [P.opsProd], alice, web1, 'copy', null, allow('alice', { actions: ['shell', 'copy'] })),
  row('tunnel-only policy: tunnel', [P.bobTunnel], bob, web2, 'tunnel', null, allow('bob', { actions: ['tunnel'], policies: ['bob-tunnel'] })),
  row('tunnel-only policy: no shell', [P.bobTunnel], bob, web2, 'shell', 'bob', deny('NO_POLICY')),
  row('tunnel-only policy: no copy', [P.bobTunnel], bob, web2, 'copy', 'bob', deny('NO_POLICY')),
  row('copy-only policy: copy', [P.bobCopy], bob, web2, 'copy', null, allow('www-data', { actions: ['copy'] })),
  row('copy-only policy: no shell', [P.bobCopy], bob, web2, 'shell', 'www-data', deny('NO_POLICY')),
  row('actions of one target user only: tunnel user differs from copy user', [P.bobTunnel, P.bobCopy], bob, web2, 'copy', 'www-data', allow('www-data', { actions: ['copy'], policies: ['bob-copy'] })),
  row('a tunnel-only grant for a user does not let copy use that user', [P.bobTunnel, P.bobCopy], bob, web2, 'copy', 'bob', deny('TARGET_USER_NOT_ALLOWED', ['www-data'])),

  // --- {username} ---------------------------------------------------------------------------
  row('{username} expands to alice for alice', [P.opsProd], alice, web1, 'shell', 'alice', allow('alice')),
  row('{username} expands to bob for bob', [P.opsProd], bobInOps, web1, 'shell', 'bob', allow('bob')),
  row('{username} for bob does not grant alice', [P.opsProd], bobInOps, web1, 'shell', 'alice', deny('TARGET_USER_NOT_ALLOWED', ['bob'])),
  row('{username} is the subject\'s username, not the email', [P.opsProd], { ...alice, username: 'al' }, web1, 'shell', null, allow('al')),
  row('the literal "{username}" is not a target user', [P.opsProd], alice, web1, 'shell', '{username}', deny('TARGET_USER_NOT_ALLOWED', ['alice'])),
  row('{username} inside a pattern', [P.prefixed], alice, devBox, 'shell', null, allow('dev-alice')),
  row('{username} inside a pattern, per subject', [P.prefixed], dave, devBox, 'shell', 'dev-alice', deny('TARGET_USER_NOT_ALLOWED', ['dev-dave'])),
  row('{username} and the same literal name are one choice', [P.bobSelfTwice], bob, web1, 'shell', null, allow('bob', { policies: ['bob-self-twice'] })),
  row('an empty {username} expansion grants nothing', [P.opsProd], { ...nameless, groups: ['ops'] }, web1, 'shell', null, deny('NO_POLICY')),

  // --- several target users ----------------------------------------------------------------
  row('several target users, none chosen', [P.bobDb], bob, db1, 'shell', null, deny('TARGET_USER_AMBIGUOUS', ['app', 'postgres', 'root'])),
  row('several target users, one chosen', [P.bobDb], bob, db1, 'shell', 'postgres', allow('postgres', { actions: ['shell'], policies: ['bob-db'] })),
  row('several target users, another chosen', [P.bobDb], bob, db1, 'shell', 'root', allow('root')),
  row('target user not granted', [P.bobDb], bob, db1, 'shell', 'admin', deny('TARGET_USER_NOT_ALLOWED', ['app', 'postgres', 'root'])),
  row('target users are case-sensitive', [P.bobDb], bob, db1, 'shell', 'Root', deny('TARGET_USER_NOT_ALLOWED')),
  row('an empty target user is not a choice for a shell', [P.bobDb], bob, db1, 'shell', '', deny('TARGET_USER_NOT_ALLOWED')),
  row('{username} plus a literal: ambiguous, choices sorted', [P.devStaging], bob, db1, 'shell', null, deny('TARGET_USER_AMBIGUOUS', ['app', 'bob'])),
  row('target user not granted, single choice', [P.aliceDeploy], alice, web1, 'shell', 'root', deny('TARGET_USER_NOT_ALLOWED', ['deploy'])),

  // --- several policies combining -----------------------------------------------------------
  row('two policies, two target users: ambiguous', [P.aliceDeploy, P.opsProd], alice, web1, 'shell', null, deny('TARGET_USER_AMBIGUOUS', ['alice', 'deploy'])),
  row('two policies: one chosen, permit names only its policy', [P.aliceDeploy, P.opsProd], alice, web1, 'shell', 'deploy', allow('deploy', { actions: ['shell'], policies: ['alice-deploy'] })),
  row('two policies: the other chosen', [P.aliceDeploy, P.opsProd], alice, web1, 'shell', 'alice', allow('alice', { actions: ['shell', 'copy'], policies: ['ops-prod'] })),
  row('two policies grant the same user and action: both named, sorted', [P.opsProd, P.aliceProdShell], alice, web1, 'shell', null, allow('alice', { actions: ['shell', 'copy'], policies: ['alice-prod-shell', 'ops-prod'] })),
  row('actions from several policies add up for the target user', [P.opsProd, P.aliceProdTunnel], alice, web2, 'shell', 'alice', allow('alice', { actions: ['shell', 'tunnel', 'copy'], policies: ['ops-prod'] })),
  row('the tunnel grant of another policy names that policy', [P.opsProd, P.aliceProdTunnel], alice, web2, 'tunnel', 'alice', allow('alice', { actions: ['shell', 'tunnel', 'copy'], policies: ['alice-prod-tunnel'] })),
  row('permit actions are only those for the chosen target user', [P.aliceDeploy, P.opsProd, P.aliceProdTunnel], alice, web1, 'shell', 'deploy', allow('deploy', { actions: ['shell'] })),
  row('the whole policy set, alice on web-1 as deploy', ALL, alice, web1, 'shell', 'deploy', allow('deploy', { policies: ['alice-deploy', 'alice-deploy-upper'], recordInput: true })),
  row('the whole policy set, bob on db-1: choices from two policies', ALL, bob, db1, 'shell', null, deny('TARGET_USER_AMBIGUOUS', ['app', 'bob', 'postgres', 'root'])),
  row('the whole policy set, bob on db-1 as app: two policies', ALL, bob, db1, 'shell', 'app', allow('app', { actions: ['shell', 'tunnel', 'copy'], policies: ['bob-db', 'dev-staging'], recordInput: true })),
  row('the whole policy set, the key on web-1', ALL, ci, web1, 'shell', null, allow('ci', { policies: ['ci-web'], recordInput: true })),

  // --- proxy policies and proxy targets -----------------------------------------------------
  row('proxy policy grants tunnel on its proxy target', [P.pg], dave, pgMain, 'tunnel', null, allow('postgres', { actions: ['tunnel'], policies: ['pg'] })),
  row('proxy policy grants no shell', [P.pg], dave, pgMain, 'shell', 'postgres', deny('NO_POLICY')),
  row('proxy policy grants no copy', [P.pg], dave, pgMain, 'copy', 'postgres', deny('NO_POLICY')),
  row('proxy policy: target user not granted', [P.pg], dave, pgMain, 'tunnel', 'root', deny('TARGET_USER_NOT_ALLOWED', ['postgres'])),
  row('proxy policy: subject not in its group', [P.pg], alice, pgMain, 'tunnel', 'postgres', deny('NO_POLICY')),
  row('proxy policy by environment, several users', [P.pgStaging], carol, pgStage, 'tunnel', null, deny('TARGET_USER_AMBIGUOUS', ['carol', 'readonly'])),
  row('proxy policy by environment, one chosen', [P.pgStaging], carol, pgStage, 'tunnel', 'readonly', allow('readonly', { actions: ['tunnel'] })),
  row('proxy policy by environment: other environment', [P.pgStaging], carol, pgMain, 'tunnel', 'readonly', deny('NO_POLICY')),
  row('proxy policy through an API key', [P.pgKey], ci, pgMain, 'tunnel', null, allow('reporter', { actions: ['tunnel'], policies: ['pg-key'] })),
  row('proxy policy grants nothing on a non-proxy target in its environment', [P.pgStaging], carol, db1, 'tunnel', 'readonly', deny('NO_POLICY')),
  row('proxy policy grants nothing on an agent target it names', [P.proxyOnAgent], alice, web1, 'tunnel', 'root', deny('NO_POLICY')),
  row('proxy policy grants no shell on an agent target it names', [P.proxyOnAgent], alice, web1, 'shell', 'root', deny('NO_POLICY')),
  row('target access grants no tunnel on a proxy target', [P.taOnProxy], dave, pgMain, 'tunnel', 'postgres', deny('NO_POLICY')),
  row('target access grants no shell on a proxy target', [P.taOnProxy], dave, pgMain, 'shell', 'postgres', deny('NO_POLICY')),
  row('target access grants nothing on a proxy target through its environment', [P.taOnProxy], dave, pgStage, 'copy', 'postgres', deny('NO_POLICY')),
  row('target access + proxy on a proxy target: only tunnel, only the proxy policy', [P.taOnProxy, P.pg], dave, pgMain, 'tunnel', 'postgres', allow('postgres', { actions: ['tunnel'], policies: ['pg'] })),
  row('a group environment policy does not reach the proxy target in that environment', [P.opsProd], alice, pgMain, 'shell', 'alice', deny('NO_POLICY')),

  // --- session recording --------------------------------------------------------------------
  row('a recording policy alone grants nothing', [P.recOps], alice, web1, 'shell', 'alice', deny('NO_POLICY')),
  row('a recording policy alone grants nothing to a key', [P.recCi], ci, web1, 'shell', null, deny('NO_POLICY')),
  row('recording input for its group', [P.opsProd, P.recOps], alice, web1, 'shell', null, allow('alice', { recordInput: true, policies: ['ops-prod'] })),
  row('no input recording without a recording policy', [P.opsProd], alice, web1, 'shell', null, allow('alice', { recordInput: false })),
  row('no input recording for someone else\'s recording policy', [P.bobDb, P.recOps], bob, db1, 'shell', 'root', allow('root', { recordInput: false })),
  row('a recording policy without recordInput', [P.bobDb, P.recBobNoInput], bob, db1, 'shell', 'root', allow('root', { recordInput: false, policies: ['bob-db'] })),
  row('recording input for an API key', [P.ciWeb, P.recCi], ci, web1, 'shell', null, allow('ci', { recordInput: true, policies: ['ci-web'] })),
  row('recording input, email case-insensitive', [P.aliceDeploy, P.recAliceUpper], aliceUpper, web1, 'shell', null, allow('deploy', { recordInput: true })),
  row('recording input also on proxy tunnels', [P.pgStaging, P.recEverybodyNamed], carol, pgStage, 'tunnel', 'carol', allow('carol', { recordInput: true, policies: ['pg-staging'] })),
  row('a key does not get input recording through a group recording policy', [P.ciWeb, P.recOps], ciWithGroups, web1, 'shell', null, allow('ci', { recordInput: false })),
];

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
};
deepFreeze(rows);

describe('access decision table: decide()', () => {
  it('has at least 60 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const d = decide(r.policies, { subject: r.subject, target: r.target, action: r.action, targetUser: r.targetUser });
    // Pure: the same question gets the same answer.
    expect(decide(r.policies, { subject: r.subject, target: r.target, action: r.action, targetUser: r.targetUser })).toEqual(d);
    const w = r.want;
    if (w.effect === 'deny') {
      expect(d, JSON.stringify(d)).toMatchObject({ effect: 'deny', code: w.code });
      if (d.effect !== 'deny') return;
      expect(d.reason).toBeTruthy();
      if (w.choices) expect(d.choices).toEqual(w.choices);
      if (w.code === 'TARGET_USER_AMBIGUOUS') {
        expect(d.choices).toEqual([...(d.choices ?? [])].sort());
        for (const c of d.choices ?? []) expect(d.reason).toContain(c);
      }
      return;
    }
    expect(d.effect, JSON.stringify(d)).toBe('allow');
    if (d.effect !== 'allow') return;
    const p = d.permit;
    expect(p.targetUser).toBe(w.targetUser);
    expect(p).toMatchObject({
      userId: r.subject.userId,
      email: r.subject.email,
      targetId: r.target.id,
      targetName: r.target.name,
      environment: r.target.environment,
      notAfter: null,
    });
    // The requested action is always among the permit's actions, in the canonical order.
    expect(p.actions).toContain(r.action);
    expect(p.actions).toEqual((['shell', 'tunnel', 'copy'] as Action[]).filter((a) => p.actions.includes(a)));
    if (w.actions) expect(p.actions).toEqual(w.actions);
    if (w.policies) expect(p.policies).toEqual(w.policies);
    expect(p.policies.length).toBeGreaterThan(0);
    // Only granting policies are named: never a session-recording policy.
    const recNames = r.policies.filter((x) => x.kind === 'session_recording').map((x) => x.name);
    for (const n of p.policies) expect(recNames).not.toContain(n);
    expect(p.recordInput).toBe(w.recordInput ?? false);
    // The permit survives serialization (it is stored with the connection row).
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});

// ---------------------------------------------------------------------------------------------
// decideTunnel: a TCP tunnel carries no login; target user '' and no ambiguity
// ---------------------------------------------------------------------------------------------
interface TunnelRow {
  name: string;
  policies: PolicyDocument[];
  subject: Subject;
  target: TargetFacts;
  want: { effect: 'allow'; policies: string[]; recordInput?: boolean } | { effect: 'deny'; code: DenyCode };
}
const tunnelRows: TunnelRow[] = deepFreeze([
  { name: 'no policy', policies: [], subject: bob, target: web2, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'tunnel-only policy', policies: [P.bobTunnel], subject: bob, target: web2, want: { effect: 'allow', policies: ['bob-tunnel'] } },
  { name: 'shell+copy policy grants no tunnel', policies: [P.opsProd], subject: alice, target: web1, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'copy-only policy grants no tunnel', policies: [P.bobCopy], subject: bob, target: web2, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'several target users are not ambiguous for a tunnel', policies: [P.devStaging], subject: bob, target: db1, want: { effect: 'allow', policies: ['dev-staging'] } },
  { name: 'several granting policies, named once each, sorted', policies: [P.devStaging, P.ciSelf, P.bobSelfTwice], subject: bobInOps, target: db1, want: { effect: 'allow', policies: ['dev-staging'] } },
  { name: 'two policies granting tunnel both named', policies: [P.opsProd, P.aliceProdTunnel, { ...P.aliceProdTunnel, name: 'a-second-tunnel' }], subject: alice, target: web2, want: { effect: 'allow', policies: ['a-second-tunnel', 'alice-prod-tunnel'] } },
  { name: 'API key with a tunnel grant', policies: [P.ciSelf], subject: ci, target: db1, want: { effect: 'allow', policies: ['ci-self'] } },
  { name: 'API key never through users', policies: [P.keyViaUsers, { ...P.bobTunnel, subjects: { users: ['apikey:k1'] } }], subject: ci, target: web2, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'proxy policy on a proxy target', policies: [P.pg], subject: dave, target: pgMain, want: { effect: 'allow', policies: ['pg'] } },
  { name: 'target access on a proxy target', policies: [P.taOnProxy], subject: dave, target: pgMain, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'proxy policy on an agent target', policies: [P.proxyOnAgent], subject: alice, target: web1, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'recording policy alone', policies: [P.recOps], subject: alice, target: web1, want: { effect: 'deny', code: 'NO_POLICY' } },
  { name: 'recording input is carried', policies: [P.pgStaging, P.recEverybodyNamed], subject: carol, target: pgStage, want: { effect: 'allow', policies: ['pg-staging'], recordInput: true } },
]);

describe('access decision table: decideTunnel()', () => {
  it.each(tunnelRows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const d = decideTunnel(r.policies, { subject: r.subject, target: r.target });
    if (r.want.effect === 'deny') {
      expect(d).toMatchObject({ effect: 'deny', code: r.want.code });
      return;
    }
    expect(d.effect, JSON.stringify(d)).toBe('allow');
    if (d.effect !== 'allow') return;
    expect(d.permit.targetUser).toBe('');
    expect(d.permit.actions).toEqual(['tunnel']);
    expect(d.permit.policies).toEqual(r.want.policies);
    expect(d.permit.recordInput).toBe(r.want.recordInput ?? false);
    expect(d.permit).toMatchObject({ userId: r.subject.userId, targetId: r.target.id, notAfter: null });
  });
});

// ---------------------------------------------------------------------------------------------
// stillAllowed: re-deciding a live connection after a change
// ---------------------------------------------------------------------------------------------
interface StillRow {
  name: string;
  policies: PolicyDocument[];
  subject: Subject;
  target: TargetFacts;
  action: Action;
  targetUser: string;
  want: boolean;
}
const opsProdDeployOnly = ta('ops-prod', { groups: ['ops'] }, { environments: ['prod'] }, ['shell', 'copy'], ['deploy']);
const opsProdShellOnly = ta('ops-prod', { groups: ['ops'] }, { environments: ['prod'] }, ['shell'], ['{username}']);
const stillRows: StillRow[] = deepFreeze([
  { name: 'unchanged', policies: [P.opsProd], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: true },
  { name: 'policy deleted', policies: [], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: false },
  { name: 'user removed from the group', policies: [P.opsProd], subject: aliceNoGroups, target: web1, action: 'shell', targetUser: 'alice', want: false },
  { name: 'target moved to another environment', policies: [P.opsProd], subject: alice, target: web1MovedToStaging, action: 'shell', targetUser: 'alice', want: false },
  { name: 'target user removed from the policy', policies: [opsProdDeployOnly], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: false },
  { name: 'the connection\'s action removed from the policy', policies: [opsProdShellOnly], subject: alice, target: web1, action: 'copy', targetUser: 'alice', want: false },
  { name: 'another action removed, this one kept', policies: [opsProdShellOnly], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: true },
  { name: 'granting policy deleted but another still grants', policies: [P.aliceProdShell], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: true },
  { name: 'a recording policy keeps nothing alive', policies: [P.recOps], subject: alice, target: web1, action: 'shell', targetUser: 'alice', want: false },
  { name: 'user dropped from a policy user list', policies: [{ ...P.aliceDeploy, subjects: { users: ['carol@example.com'] } }], subject: alice, target: web1, action: 'shell', targetUser: 'deploy', want: false },
  { name: 'API key dropped from the policy', policies: [{ ...P.ciWeb, subjects: { apiKeys: [] } }], subject: ci, target: web1, action: 'shell', targetUser: 'ci', want: false },
  { name: 'TCP tunnel (target user \'\'), still granted', policies: [P.bobTunnel], subject: bob, target: web2, action: 'tunnel', targetUser: '', want: true },
  { name: 'TCP tunnel (target user \'\'), grant gone', policies: [P.bobCopy], subject: bob, target: web2, action: 'tunnel', targetUser: '', want: false },
  { name: 'TCP tunnel to a proxy target, still granted', policies: [P.pg], subject: dave, target: pgMain, action: 'tunnel', targetUser: '', want: true },
  { name: 'TCP tunnel to a proxy target, subject left the group', policies: [P.pg], subject: alice, target: pgMain, action: 'tunnel', targetUser: '', want: false },
]);

describe('access decision table: stillAllowed()', () => {
  it.each(stillRows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    expect(stillAllowed(r.policies, r.subject, r.target, r.action, r.targetUser)).toBe(r.want);
  });
});

// ---------------------------------------------------------------------------------------------
// recordsInput and allowedTargetUsers
// ---------------------------------------------------------------------------------------------
describe('access decision table: recordsInput()', () => {
  it.each([
    ['no policies', [], alice, false],
    ['group recording policy, member', [P.recOps], alice, true],
    ['group recording policy, non-member', [P.recOps], bob, false],
    ['recordInput false', [P.recBobNoInput], bob, false],
    ['user list, case-insensitive', [P.recAliceUpper], aliceUpper, true],
    ['API key by id', [P.recCi], ci, true],
    ['API key with groups, group policy', [P.recOps], ciWithGroups, false],
    ['a target-access policy is not a recording policy', [P.opsProd], alice, false],
  ] as [string, PolicyDocument[], Subject, boolean][])('%s', (_n, policies, subject, want) => {
    expect(recordsInput(policies, subject)).toBe(want);
  });
});

describe('access decision table: allowedTargetUsers()', () => {
  it('maps each target user to the policies granting it, per action', () => {
    const policies = [P.aliceDeploy, P.opsProd, P.aliceProdShell, P.aliceProdTunnel, P.recOps];
    expect(Object.fromEntries(allowedTargetUsers(policies, alice, web1, 'shell'))).toEqual({
      deploy: ['alice-deploy'],
      alice: ['ops-prod', 'alice-prod-shell'],
    });
    expect(Object.fromEntries(allowedTargetUsers(policies, alice, web1, 'tunnel'))).toEqual({ alice: ['alice-prod-tunnel'] });
    expect(Object.fromEntries(allowedTargetUsers(policies, alice, web1, 'copy'))).toEqual({ alice: ['ops-prod'] });
    expect(allowedTargetUsers(policies, alice, db1, 'shell').size).toBe(0);
    expect(allowedTargetUsers(policies, bob, web1, 'shell').size).toBe(0);
  });

  it('expands {username} per subject', () => {
    expect([...allowedTargetUsers([P.opsProd], alice, web1, 'shell').keys()]).toEqual(['alice']);
    expect([...allowedTargetUsers([P.opsProd], dave, web1, 'shell').keys()]).toEqual(['dave']);
    expect([...allowedTargetUsers([P.ciSelf], ci, db1, 'shell').keys()]).toEqual(['ci-bot']);
  });
});
