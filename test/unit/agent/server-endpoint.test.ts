import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseServerUrl, wsUrlOf } from '../../../agent/server-endpoint';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../agent/remote-agent';
import { ensureStateDir, loadOrCreateIdentity, loadServerState, saveServerState, StateError } from '../../../agent/agent-state';

describe('parseServerUrl', () => {
  it.each([
    ['https://bastion.example:8443', 'https://bastion.example:8443', 'wss://bastion.example:8443/ws/agent'],
    ['wss://bastion.example:8443/ws/agent', 'https://bastion.example:8443', 'wss://bastion.example:8443/ws/agent'],
    ['https://bastion.example', 'https://bastion.example', 'wss://bastion.example/ws/agent'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080', 'ws://127.0.0.1:8080/ws/agent'],
    ['ws://[::1]:9000', 'http://[::1]:9000', 'ws://[::1]:9000/ws/agent'],
  ])('%s → %s', (input, origin, ws) => {
    const e = parseServerUrl(input);
    if ('error' in e) throw new Error(e.error);
    expect(e.origin).toBe(origin);
    expect(wsUrlOf(e)).toBe(ws);
  });

  it.each([
    ['bastion:8443', /must be/],
    ['ftp://bastion', /https/],
    ['http://bastion.example:8080', /only for a service on a loopback address/],
  ])('refuses %s', (input, pattern) => {
    const e = parseServerUrl(input);
    expect('error' in e && e.error).toMatch(pattern);
  });
});

describe('backoffDelay', () => {
  it('starts at 0.5 s, doubles, jitters ±20 % and never exceeds 30 s', () => {
    expect(backoffDelay(0, () => 0.5)).toBe(500);
    expect(backoffDelay(1, () => 0.5)).toBe(1000);
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(0, () => 1)).toBe(600);
    for (const n of [6, 7, 10, 100, 10_000]) {
      expect(backoffDelay(n, () => 1)).toBe(DEFAULT_BACKOFF.capMs);
      expect(backoffDelay(n, () => 0)).toBe(24_000);
    }
  });
});

describe('agent state dir', () => {
  it('creates a private dir and an Ed25519 identity once, then reuses it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-agent-state-'));
    try {
      const dir = join(root, 'state');
      await ensureStateDir(dir);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      const first = await loadOrCreateIdentity(dir);
      expect(first.created).toBe(true);
      expect((await stat(join(dir, 'identity.pem'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(dir, 'identity.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const again = await loadOrCreateIdentity(dir);
      expect(again.created).toBe(false);
      expect(again.identity.publicKeyPem).toBe(first.identity.publicKeyPem);
      const sig = Buffer.from(again.identity.sign('hello'), 'base64url');
      expect(verify(null, Buffer.from('hello'), createPublicKey(first.identity.publicKeyPem), sig)).toBe(true);

      expect(await loadServerState(dir)).toBeNull();
      const state = { server: 'https://b:1', name: 'web-1', targetId: 't', environment: null, fingerprint: null, certPem: null, registeredAt: 'now' };
      await saveServerState(dir, state);
      expect((await stat(join(dir, 'server.json'))).mode & 0o777).toBe(0o600);
      expect(await loadServerState(dir)).toEqual(state);

      // A state dir left open to others is tightened; a broken server.json is a clear error.
      await chmod(dir, 0o755);
      await ensureStateDir(dir);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await writeFile(join(dir, 'server.json'), '{"server": 1}');
      await expect(loadServerState(dir)).rejects.toBeInstanceOf(StateError);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
