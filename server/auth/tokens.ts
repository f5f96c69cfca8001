/** Random bearer tokens; only their SHA-256 is stored, so a database leak reveals no session. */
import { createHash, randomBytes } from 'node:crypto';

export const newToken = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');
