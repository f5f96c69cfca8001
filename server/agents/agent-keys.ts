/**
 * Agent identities: each agent holds an Ed25519 key pair; the bastion stores the public key
 * (SPKI PEM) at registration and checks, at every connect, the agent's signature over a fresh
 * challenge (protocol/agent-frames.ts). No shared secret ever crosses the link after
 * registration.
 */
import { createPublicKey, verify } from 'node:crypto';
import { agentAuthMessage } from '../../protocol/agent-frames';

/** An Ed25519 SPKI PEM in canonical form (so the same key always compares equal), or null. */
export function canonicalAgentKey(pem: string): string | null {
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') return null;
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return null;
  }
}

/** True when `signature` (base64url) is the key's signature over the challenge for `name`. */
export function verifyAgentSignature(publicKeyPem: string, challenge: string, name: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(agentAuthMessage(challenge, name), 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
