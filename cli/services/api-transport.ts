/**
 * How `gate` talks to the service: every request goes to one origin with the stored bearer token
 * and, when the login pinned a certificate, trusts only that certificate (server-tls.ts); replies
 * are bounded in size and time. Failures become CliErrors with one line a user can act on: the
 * service's own safe message for HTTP errors, and a short diagnosis for network and TLS
 * failures. The endpoints themselves are api-client.ts.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type { ErrorBody, ErrorCode } from '../../protocol/errors';
import { CliError } from '../cli-errors';
import { pinnedTlsOptions, type TlsPin } from './server-tls';

export interface Endpoint {
  /** `https://host:port` or `http://host:port`. */
  origin: string;
  pin: TlsPin | null;
}

/** An HTTP error reply of the service. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

const NOT_LOGGED_IN = 'not logged in: the session has expired or was ended; run gate login';

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line for a failure to talk to the service at all (network, TLS). */
export function describeNetworkError(endpoint: Endpoint, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (endpoint.pin && (TLS_VERIFY_CODES.has(code) || /is not the pinned/.test(err.message))) {
    return `the certificate of ${endpoint.origin} is not the pinned ${endpoint.pin.fingerprint}; if the service's certificate was replaced, run gate login --ca-fingerprint with the new one`;
  }
  if (TLS_VERIFY_CODES.has(code)) {
    return `cannot verify the certificate of ${endpoint.origin} (${err.message}); for a self-signed certificate run gate login --ca-fingerprint sha256:HEX as printed by gatehouse serve`;
  }
  return `cannot reach ${endpoint.origin}: ${err.message}`;
}

/**
 * Client frames must be masked (RFC 6455) so that a browser's bytes cannot poison a plaintext
 * proxy's cache. Over TLS no intermediary sees the bytes, and ws's JS masking loop was half the
 * CPU of a tunnel (bench/RESULTS.md): an all-zero key leaves the payload as is, and ws skips the
 * work on both ends. Used only on wss:.
 */
export const ZERO_MASK = (mask: Buffer): Buffer => mask.fill(0);

export class ApiTransport {
  constructor(
    readonly endpoint: Endpoint,
    private readonly token: string | null,
  ) {}

  /** Opens any websocket of the service (terminal, tunnel) with this login and TLS pinning. */
  openSocket(wsPath: string): WebSocket {
    const url = new URL(wsPath, this.endpoint.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new WebSocket(url, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      ...(this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {}),
      ...(url.protocol === 'wss:' ? { generateMask: ZERO_MASK } : {}),
      handshakeTimeout: REQUEST_TIMEOUT_MS,
      maxPayload: 4 * 1024 * 1024,
    });
  }

  protected async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || res.text === '') return undefined as T;
      try {
        return JSON.parse(res.text) as T;
      } catch {
        throw new ApiError(res.status, null, `${method} ${path}: the service sent a reply that is not JSON`);
      }
    }
    throw this.failure(method, path, res.status, res.text);
  }

  /** The error for a refused call: the API's own code and message when the body is one of ours. */
  protected failure(method: string, path: string, status: number, text: string): ApiError {
    let err: ErrorBody['error'] | null = null;
    try {
      err = (JSON.parse(text) as ErrorBody).error ?? null;
    } catch {
      // not one of our error bodies (a proxy in between?): described by its status below
    }
    if (status === 401 && err?.code === 'UNAUTHENTICATED') return new ApiError(401, err.code, NOT_LOGGED_IN);
    if (err?.code === 'PASSWORD_CHANGE_REQUIRED') {
      return new ApiError(status, err.code, 'the password must be changed first: log in once on a terminal or in the web UI');
    }
    if (err && typeof err.message === 'string') return new ApiError(status, err.code ?? null, err.message);
    return new ApiError(status, null, `${method} ${path}: HTTP ${status}`);
  }

  /** A failure to talk to the service at all, described for the user. */
  networkError(e: Error): CliError {
    return new CliError(describeNetworkError(this.endpoint, e), { cause: e });
  }

  /** A JSON call's reply, read whole. */
  private async send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await this.request(method, path, body);
    return { status: res.statusCode ?? 0, text: await this.readBody(res, method, path) };
  }

  /** A reply's body as text, bounded by MAX_RESPONSE_BYTES. */
  protected async readBody(res: IncomingMessage, method: string, path: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res) {
        size += (c as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy();
          throw new CliError(`${method} ${path}: reply larger than ${MAX_RESPONSE_BYTES} bytes`);
        }
        chunks.push(c as Buffer);
      }
    } catch (e) {
      throw e instanceof CliError ? e : this.networkError(e as Error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One request with this login and TLS pinning; resolves with the reply's head, its body unread. */
  protected request(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const url = new URL(path, this.endpoint.origin);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const options: RequestOptions = { method, headers, timeout: REQUEST_TIMEOUT_MS };
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = secure
        ? httpsRequest(url, { ...options, ...(this.endpoint.pin ? pinnedTlsOptions(this.endpoint.pin) : {}) }, resolve)
        : httpRequest(url, options, resolve);
      req.on('timeout', () => req.destroy(new Error(`no reply within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (e) => reject(this.networkError(e)));
      req.end(payload);
    });
  }
}
