#!/usr/bin/env node

// protocol/tls-pin.ts
function normalizeFingerprint(text) {
  const m = /^sha256:([0-9a-f:]+)$/i.exec(text.trim());
  if (!m) return null;
  const hex = m[1].replaceAll(":", "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : null;
}

export {
  normalizeFingerprint
};
//# sourceMappingURL=chunk-ZDDZ32MX.js.map
