import { UsageError } from '../../cli-errors';
import { normalizeFingerprint } from '../../services/server-tls';
import { noPositionals, parseCommandLine, type CommandDef } from '../command';

export interface LoginArgs {
  /** Origin of the service; null: the one of the previous login. */
  server: string | null;
  user: string | null;
  passwordStdin: boolean;
  /** Canonical `sha256:hex`, or null to trust the system CAs. */
  caFingerprint: string | null;
  /** The current TOTP code, for accounts with TOTP on (asked on a terminal when needed). */
  totp: string | null;
}

const options = {
  server: { type: 'string' },
  user: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'ca-fingerprint': { type: 'string' },
  totp: { type: 'string' },
} as const;

/** A TOTP code as people type it (`123 456` too) → its 6 digits; null when it is not one. */
export function parseTotpCode(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** `https://host:port[/]` → `https://host:port`; only http(s) origins, nothing else in the URL. */
export function parseServerUrl(text: string, verb = 'login'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be a URL like https://bastion.example.com:8443, not ${JSON.stringify(text)}`, verb);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--server must be an https:// (or loopback http://) URL, not ${url.protocol}`, verb);
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new UsageError('--server takes the address of the service only (scheme, host and port)', verb);
  }
  return url.origin;
}

export const loginCommand: CommandDef<LoginArgs> = {
  name: 'login',
  summary: 'log in to a Gatehouse service and remember it',
  help: `usage: gate login --server URL [--user EMAIL] [--password-stdin] [--totp CODE] [--ca-fingerprint sha256:HEX]

Logs in and stores the server, its pinned certificate and the session token in the client
config directory ($GATE_CONFIG_DIR, else $XDG_CONFIG_HOME/gatehouse, else ~/.config/gatehouse).

options:
  --server URL              the service, e.g. https://bastion.example.com:8443 (default: the last one)
  --user EMAIL              your account (asked on a terminal when omitted)
  --password-stdin          read the password from the first line of stdin instead of asking
  --totp CODE               the current code of your authenticator app, when your account has TOTP
                            on (asked on a terminal when omitted)
  --ca-fingerprint sha256:HEX
                            trust exactly the certificate with this SHA-256 fingerprint, as printed by
                            gatehouse serve (for self-signed certificates); without it the system CAs
                            are used
  --debug                   show stack traces on errors

A one-time password must be changed at the first login; gate asks for a new one on a terminal.
`,
  parse(argv) {
    const p = parseCommandLine('login', argv, options);
    noPositionals('login', p);
    const v = p.values;
    let caFingerprint: string | null = null;
    if (v['ca-fingerprint'] !== undefined) {
      caFingerprint = normalizeFingerprint(v['ca-fingerprint']);
      if (!caFingerprint) throw new UsageError('--ca-fingerprint must be sha256: followed by 64 hex digits', 'login');
    }
    const server = v.server !== undefined ? parseServerUrl(v.server) : null;
    if (server?.startsWith('http:') && caFingerprint) throw new UsageError('--ca-fingerprint needs an https:// server', 'login');
    let totp: string | null = null;
    if (v.totp !== undefined) {
      totp = parseTotpCode(v.totp);
      if (!totp) throw new UsageError('--totp takes the 6-digit code of your authenticator app', 'login');
    }
    return { server, user: v.user ?? null, passwordStdin: v['password-stdin'] === true, caFingerprint, totp };
  },
};
