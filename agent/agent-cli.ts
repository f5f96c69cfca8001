/**
 * Argument parsing for `gatehouse agent` (a small hand parser: the agent has few flags and no
 * dependencies to spare). Pure: main decides what to print and how to exit.
 */
export const AGENT_VERSION = '0.1.0';

export const AGENT_USAGE = `usage: gatehouse agent --stdio [--name NAME]
       gatehouse agent --server URL --name NAME [--registration-key ID:SECRET] [--environment ENV]
                       [--state-dir D] [--ca-fingerprint sha256:HEX]

  --stdio    speak the agent link on stdin/stdout (the embedded agent of the bastion's
             own "local" target; started by the service, not by hand)
  --server URL              the Gatehouse service (https://HOST:PORT); the agent dials
                            wss://HOST:PORT/ws/agent and reconnects forever
  --name NAME               this target's name (default: the name it registered with)
  --registration-key ID:SECRET
                            needed on the first run only: registers the agent's identity
  --environment ENV         the environment to register in (default: default)
  --state-dir D             identity and pinned certificate (default /var/lib/gatehouse-agent)
  --ca-fingerprint sha256:HEX
                            pin the service's certificate (as gatehouse serve prints it);
                            without it the system CAs are trusted
  --help     show this help`;

export type AgentArgs =
  | { mode: 'help' }
  | { mode: 'stdio'; name: string }
  | { mode: 'server'; server: string; name?: string; registrationKey?: string; environment?: string; stateDir?: string; caFingerprint?: string }
  | { mode: 'usage-error'; message: string };

const VALUE_FLAGS = {
  '--server': 'server',
  '--name': 'name',
  '--registration-key': 'registrationKey',
  '--environment': 'environment',
  '--state-dir': 'stateDir',
  '--ca-fingerprint': 'caFingerprint',
} as const;
type ValueKey = (typeof VALUE_FLAGS)[keyof typeof VALUE_FLAGS];

/** Parses the arguments after `agent`. Accepts `--flag value` and `--flag=value`. */
export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  const values: Partial<Record<ValueKey, string>> = {};
  let stdio = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { mode: 'help' };
    if (arg === '--stdio') {
      stdio = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (Object.hasOwn(VALUE_FLAGS, flag)) {
      const key = VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS];
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return { mode: 'usage-error', message: `${flag} needs a value` };
      values[key] = value;
      continue;
    }
    return { mode: 'usage-error', message: arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument ${arg}` };
  }
  if (stdio && values.server) return { mode: 'usage-error', message: '--stdio and --server exclude each other' };
  if (stdio) return { mode: 'stdio', name: values.name ?? 'local' };
  if (values.server) return { mode: 'server', ...values, server: values.server };
  return { mode: 'usage-error', message: 'one of --stdio or --server is required' };
}
