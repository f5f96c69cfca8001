/**
 * Certificate pinning for a service with a self-signed certificate (SPEC §1, §2.2 `gate login
 * --ca-fingerprint`). The pin is `sha256:` + lowercase hex of the DER certificate, as
 * `gatehouse serve` prints it.
 *
 * At login the certificate is fetched once over a bare TLS handshake that verifies nothing and
 * sends nothing, and kept only if its fingerprint equals the pin. From then on every request
 * trusts exactly that certificate (`ca: [pem]`) and, instead of matching the host name (the
 * address the user typed need not be in the certificate), checks the fingerprint again.
 */
import { connect, type PeerCertificate } from 'node:tls';
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CliError } from '../cli-errors';

export interface TlsPin {
  fingerprint: string;
  certPem: string;
}

/** TLS options for node:https and ws that trust only the pinned certificate. */
export interface PinnedTlsOptions {
  ca: string[];
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

// Shared with the agent, which pins the service's certificate the same way.
export { normalizeFingerprint } from '../../protocol/tls-pin';

export function fingerprintOfDer(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export function pinnedTlsOptions(pin: TlsPin): PinnedTlsOptions {
  return {
    ca: [pin.certPem],
    checkServerIdentity(_host, cert) {
      const seen = cert.raw ? fingerprintOfDer(cert.raw) : 'unknown';
      if (seen === pin.fingerprint) return undefined;
      return new Error(`the server's certificate ${seen} is not the pinned ${pin.fingerprint}`);
    },
  };
}

/** Host name for node's net/tls from a URL (`[::1]` → `::1`). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
}

/** Fetches the certificate the server presents, without trusting or sending anything. */
export function fetchServerCertificate(url: URL, timeoutMs = 10_000): Promise<TlsPin> {
  const host = hostOf(url);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: portOf(url),
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    });
    const fail = (why: string) => {
      socket.destroy();
      reject(new CliError(`cannot reach ${url.origin}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail('timed out during the TLS handshake'));
    socket.once('error', (e) => fail(e.message));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) {
        reject(new CliError(`${url.origin} presented no certificate`));
        return;
      }
      resolve({ fingerprint: fingerprintOfDer(cert.raw), certPem: new X509Certificate(cert.raw).toString() });
    });
  });
}
