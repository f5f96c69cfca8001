/**
 * TLS material: a real certificate from config, or a self-signed one made on first start in
 * `DATA/tls/` with the system's `openssl` (EC P-256; SAN localhost, 127.0.0.1, ::1 and the host
 * name). Agents and `gate` pin its SHA-256 fingerprint, printed at every start.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GatehouseError } from '../protocol/errors';

const run = promisify(execFile);

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** `sha256:` + lowercase hex of the DER certificate's SHA-256. */
  fingerprint: string;
  selfSigned: boolean;
}

export function fingerprintOf(certPem: Buffer | string): string {
  return 'sha256:' + new X509Certificate(certPem).fingerprint256.replaceAll(':', '').toLowerCase();
}

export async function loadTls(dataDir: string, cert: string | null, key: string | null): Promise<TlsMaterial> {
  let certPath = cert;
  let keyPath = key;
  const selfSigned = certPath === null;
  if (certPath === null || keyPath === null) {
    const dir = join(dataDir, 'tls');
    certPath = join(dir, 'cert.pem');
    keyPath = join(dir, 'key.pem');
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const host = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'gatehouse';
      try {
        await run('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', keyPath, '-out', certPath, '-days', '825', '-subj', `/CN=${host}`,
          '-addext', `subjectAltName=DNS:localhost,DNS:${host},IP:127.0.0.1,IP:::1`,
        ]);
      } catch (e) {
        throw new GatehouseError('INTERNAL', `could not create a self-signed certificate with openssl: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  let certPem: Buffer;
  let keyPem: Buffer;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath), readFile(keyPath)]);
  } catch (e) {
    throw new GatehouseError('BAD_REQUEST', `config: cannot read TLS files: ${(e as Error).message}`);
  }
  return { cert: certPem, key: keyPem, fingerprint: fingerprintOf(certPem), selfSigned };
}
