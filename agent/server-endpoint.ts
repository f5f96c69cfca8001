/**
 * Where the agent dials, and whom it trusts there (SPEC §1: agents pin the service's
 * fingerprint with --ca-fingerprint, or trust the system CAs).
 *
 * - `--server` may be https:// or wss:// (the same service), or http:// / ws:// for a service
 *   on a loopback address (plain HTTP is accepted only there, as by the service itself).
 * - With a pin, the certificate is fetched once over a bare TLS handshake that verifies and
 *   sends nothing, kept only if its SHA-256 equals the pin, and from then on every connection
 *   trusts exactly that certificate and checks its fingerprint instead of the host name (the
 *   address the agent was given need not be in a self-signed certificate).
 *
 * The agent's own small copy of what `gate` does (cli/services/server-tls.ts): agent/ may not
 * import cli/; the pure part (normalizeFingerprint) is shared through protocol/.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { normalizeFingerprint } from '../protocol/tls-pin';

export interface ServerEndpoint {
  /** `https://host:port` or `http://host:port`. */
  origin: string;
  secure: boolean;
  host: string;
  port: number;
}

export interface TlsPin {
  fingerprint: string;
  certPem: string;
}

/** Options for node:https and ws: a pinned certificate, or nothing (system CAs). */
export interface TrustOptions {
  ca?: string[];
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Parses --server; an error message (a usage error) when it cannot be used. */
export function parseServerUrl(text: string): ServerEndpoint | { error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: `--server must be a URL like https://bastion.example:8443, not ${JSON.stringify(text)}` };
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && url.protocol !== 'http:' && url.protocol !== 'ws:') return { error: `--server must be an https:// (or wss://) URL, not ${url.protocol}` };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!secure && !isLoopbackHost(host)) return { error: `plain ${url.protocol.slice(0, -1)}:// is accepted only for a service on a loopback address; use https://` };
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  return { origin: `${secure ? 'https' : 'http'}://${url.host}`, secure, host, port };
}

export function wsUrlOf(e: ServerEndpoint): string {
  return `${e.secure ? 'wss' : 'ws'}${e.origin.slice(e.secure ? 5 : 4)}/ws/agent`;
}

export function fingerprintOfDer(der: Uint8Array): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export function trustOptions(pin: TlsPin | null): TrustOptions {
  if (!pin) return {};
  return {
    ca: [pin.certPem],
    checkServerIdentity(_host, cert) {
      const seen = cert.raw ? fingerprintOfDer(cert.raw) : 'unknown';
      if (seen === pin.fingerprint) return undefined;
      return new Error(`the service's certificate ${seen} is not the pinned ${pin.fingerprint}`);
    },
  };
}

export { normalizeFingerprint };

/** Fetches the certificate the service presents, without trusting or sending anything. */
export function fetchServerCertificate(e: ServerEndpoint, timeoutMs = 10_000): Promise<TlsPin> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: e.host, port: e.port, ...(isIP(e.host) ? {} : { servername: e.host }), rejectUnauthorized: false });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`cannot reach ${e.origin}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail('timed out during the TLS handshake'));
    socket.once('error', (err) => fail(err.message));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) return reject(new Error(`${e.origin} presented no certificate`));
      resolve({ fingerprint: fingerprintOfDer(cert.raw), certPem: new X509Certificate(cert.raw).toString() });
    });
  });
}
