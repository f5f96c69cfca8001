import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseDuration } from '../../../server/config';

const base = { env: {}, flags: {}, configFile: '/nonexistent-never-read' };
const noFile = { env: {}, flags: {} };

function withFile(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
  const f = join(dir, 'gatehouse.toml');
  writeFileSync(f, toml);
  return f;
}

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ ...noFile, configFile: withFile('') });
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(c.sshListen).toEqual({ host: '0.0.0.0', port: 2222 });
    expect(c.dataDir).toBe('/var/lib/gatehouse');
    expect(c.tls.enabled).toBe(true);
    expect(c.sessions.idleRetentionSeconds).toBe(7 * 86400);
    expect(c.agents).toEqual({ heartbeatSeconds: 10, offlineAfterSeconds: 30 });
    expect(c.slack.command).toBe('/gatehouse');
    expect(c.slack.auditChannel).toBe('gatehouse-jit-log');
    expect(c.eventLoop).toEqual({ priority: 'realtime', maxBusy: 0.6 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('layers defaults → file → env → flags', () => {
    const f = withFile('listen = "127.0.0.1:9000"\ndata_dir = "/srv/gh"\n[sessions]\nidle_retention = "2d"\n');
    const fromFile = loadConfig({ ...noFile, configFile: f });
    expect(fromFile.listen.port).toBe(9000);
    expect(fromFile.sessions.idleRetentionSeconds).toBe(2 * 86400);
    const fromEnv = loadConfig({ configFile: f, env: { GATEHOUSE_LISTEN: '127.0.0.1:9100', GATEHOUSE_SESSIONS_IDLE_RETENTION: '1h' }, flags: {} });
    expect(fromEnv.listen.port).toBe(9100);
    expect(fromEnv.sessions.idleRetentionSeconds).toBe(3600);
    expect(fromEnv.dataDir).toBe('/srv/gh');
    const fromFlag = loadConfig({ configFile: f, env: { GATEHOUSE_LISTEN: '127.0.0.1:9100' }, flags: { listen: '127.0.0.1:0' } });
    expect(fromFlag.listen.port).toBe(0);
  });

  it('rejects bad values with one line naming the key and its source', () => {
    expect(() => loadConfig({ ...base, configFile: withFile('listen = "nope"') })).toThrow(/config: listen \(from .*gatehouse\.toml\) must be HOST:PORT/);
    expect(() => loadConfig({ ...base, configFile: withFile('colour = "blue"') })).toThrow(/config: colour .* is not a known key/);
    expect(() => loadConfig({ ...base, configFile: withFile(''), env: { GATEHOUSE_SESSIONS_IDLE_RETENTION: 'forever' } })).toThrow(
      /config: sessions\.idle_retention \(from GATEHOUSE_SESSIONS_IDLE_RETENTION\) must be a duration/,
    );
    expect(() => loadConfig({ ...base, configFile: withFile('[slack]\nbot_token = "abc"') })).toThrow(/slack\.bot_token .* must start with xoxb-/);
    expect(() => loadConfig({ ...base, configFile: withFile('listen = [1') })).toThrow(/config: cannot read/);
  });

  it('accepts plain HTTP only on loopback', () => {
    expect(loadConfig({ ...base, configFile: withFile(''), flags: { listen: '127.0.0.1:0', 'tls.enabled': false } }).tls.enabled).toBe(false);
    expect(() => loadConfig({ ...base, configFile: withFile(''), flags: { listen: '0.0.0.0:8080', 'tls.enabled': false } })).toThrow(
      /tls\.enabled .* only on a loopback listen address/,
    );
  });

  it('takes the event loop settings from file and env, and rejects what they cannot be', () => {
    const f = withFile('[event_loop]\npriority = "normal"\nmax_busy = 0.75\n');
    expect(loadConfig({ ...noFile, configFile: f }).eventLoop).toEqual({ priority: 'normal', maxBusy: 0.75 });
    expect(loadConfig({ ...base, configFile: withFile(''), env: { GATEHOUSE_EVENT_LOOP_MAX_BUSY: '1' } }).eventLoop.maxBusy).toBe(1);
    expect(() => loadConfig({ ...base, configFile: withFile('[event_loop]\npriority = "fast"') })).toThrow(
      /config: event_loop\.priority \(from .*gatehouse\.toml\) must be one of realtime, normal, got "fast"/,
    );
    for (const v of ['1.5', '0.1', 'lots', '', '-0.5']) {
      expect(() => loadConfig({ ...base, configFile: withFile(''), env: { GATEHOUSE_EVENT_LOOP_MAX_BUSY: v } })).toThrow(
        /config: event_loop\.max_busy \(from GATEHOUSE_EVENT_LOOP_MAX_BUSY\) must be a number between 0\.2 and 1/,
      );
    }
    expect(() => loadConfig({ ...base, configFile: withFile('[event_loop]\nmax_busy = true') })).toThrow(/event_loop\.max_busy .* must be a number/);
  });

  it('parses ssh_listen off and durations', () => {
    expect(loadConfig({ ...base, configFile: withFile(''), flags: { ssh_listen: 'off' } }).sshListen).toBeNull();
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('7d')).toBe(604800);
    expect(parseDuration('')).toBeNull();
    expect(parseDuration('5 minutes')).toBeNull();
  });
});
