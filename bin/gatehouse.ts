export {};
// Entry of the `gatehouse` binary: `agent` runs the target-side daemon, every other verb is the
// appliance. Kept apart so that neither side imports the other.
const verb = process.argv[2];
if (verb === 'agent') {
  await import('../agent/main');
} else {
  await import('../server/main');
}
