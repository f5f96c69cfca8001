import { describe, expect, it } from 'vitest';
import { parseAgentArgs } from '../../../agent/agent-cli';

describe('parseAgentArgs', () => {
  it('parses the stdio mode', () => {
    expect(parseAgentArgs(['--stdio'])).toEqual({ mode: 'stdio', name: 'local' });
    expect(parseAgentArgs(['--stdio', '--name', 'bastion'])).toEqual({ mode: 'stdio', name: 'bastion' });
    expect(parseAgentArgs(['--name=bastion', '--stdio'])).toEqual({ mode: 'stdio', name: 'bastion' });
  });

  it('parses the server mode flags', () => {
    expect(parseAgentArgs(['--server', 'wss://gh:8443', '--name', 'web-1', '--registration-key=k:s', '--environment', 'prod', '--state-dir', '/s', '--ca-fingerprint', 'sha256:ab'])).toEqual({
      mode: 'server', server: 'wss://gh:8443', name: 'web-1', registrationKey: 'k:s', environment: 'prod', stateDir: '/s', caFingerprint: 'sha256:ab',
    });
  });

  it('returns help before anything else', () => {
    expect(parseAgentArgs(['--bogus', '--help'])).toEqual({ mode: 'usage-error', message: 'unknown option --bogus' });
    expect(parseAgentArgs(['--stdio', '-h'])).toEqual({ mode: 'help' });
  });

  it.each([
    [[], /one of --stdio or --server/],
    [['--stdio', '--server', 'x'], /exclude each other/],
    [['--name'], /--name needs a value/],
    [['--server='], /--server needs a value/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['serve'], /unexpected argument serve/],
  ])('reports usage errors for %j', (argv, message) => {
    const r = parseAgentArgs(argv);
    expect(r.mode).toBe('usage-error');
    if (r.mode === 'usage-error') expect(r.message).toMatch(message);
  });
});
