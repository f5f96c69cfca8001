/**
 * `gate`, the command-line client. Only this file exits. The connect/attach/tunnel verbs arrive
 * with the agent work (issue 3); until then `gate` says so instead of pretending.
 */
const USAGE = `usage: gate <command> [options]

This version of gate has no commands yet: the client (login, ls, connect, attach, lc, close,
logs, recordings, requests) is being built. Use the web UI printed by \`gatehouse serve\`.
`;

function main(argv: string[]): number {
  const verb = argv[0];
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb === '--version') {
    process.stdout.write('gate 0.1.0\n');
    return 0;
  }
  process.stderr.write(`gate: unknown command ${verb}\n${USAGE}`);
  return 2;
}

process.exit(main(process.argv.slice(2)));
