/**
 * Certificate pins as `gatehouse serve` prints them and `gate`/`gatehouse agent` take them
 * (`--ca-fingerprint sha256:HEX`): `sha256:` + lowercase hex of the DER certificate's SHA-256.
 * Pure; the TLS handshakes that fetch and check certificates live with each client.
 */

/** `sha256:HEX` in any case, with or without colons → canonical form; null if malformed. */
export function normalizeFingerprint(text: string): string | null {
  const m = /^sha256:([0-9a-f:]+)$/i.exec(text.trim());
  if (!m) return null;
  const hex = m[1]!.replaceAll(':', '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : null;
}
