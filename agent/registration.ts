/**
 * The agent's one HTTP call: `POST /api/v1/agents/register` with the registration key, which
 * hands the service the agent's public key. Over the same trust as the websocket (pinned
 * certificate or system CAs).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AgentRegistrationRequest, AgentRegistrationResponse } from '../protocol/api-types';
import type { ServerEndpoint, TrustOptions } from './server-endpoint';

const MAX_REPLY = 64 * 1024;
const TIMEOUT_MS = 20_000;

export class RegistrationError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when the service could not be reached. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }

  /** A refusal that trying again will not change (bad key, name taken, bad request). */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export function registerAgent(
  e: ServerEndpoint,
  trust: TrustOptions,
  key: string,
  body: AgentRegistrationRequest,
): Promise<AgentRegistrationResponse & { created: boolean }> {
  const payload = JSON.stringify(body);
  const url = new URL('/api/v1/agents/register', e.origin);
  const request = e.secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-api-key': key },
        timeout: TIMEOUT_MS,
        ...(e.secure ? trust : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY) req.destroy(new Error('reply too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let json: any = null;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // Not our service, or a proxy's error page: reported by status below.
          }
          if ((status === 200 || status === 201) && typeof json?.targetId === 'string') {
            resolve({ targetId: json.targetId, name: json.name, created: status === 201 });
          } else {
            const msg = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${status}`;
            reject(new RegistrationError(msg, status));
          }
        });
        res.on('error', (err) => reject(new RegistrationError(`cannot reach ${e.origin}: ${err.message}`, 0)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no reply within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', (err) => reject(new RegistrationError(`cannot reach ${e.origin}: ${err.message}`, 0)));
    req.end(payload);
  });
}
