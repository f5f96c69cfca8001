#!/usr/bin/env node

// bin/gatehouse.ts
var verb = process.argv[2];
if (verb === "agent") {
  await import("./chunks/main-MFCV4P25.js");
} else {
  await import("./chunks/main-OV775WND.js");
}
//# sourceMappingURL=gatehouse.js.map
