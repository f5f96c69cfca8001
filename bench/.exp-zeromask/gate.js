#!/usr/bin/env node

// bin/gate.ts
await import("./chunks/main-JF7FYPPI.js");
//# sourceMappingURL=gate.js.map
