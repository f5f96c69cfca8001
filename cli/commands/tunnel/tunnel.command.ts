import { parseCommandLine, type CommandDef } from '../command';
import { UsageError } from '../../cli-errors';

export interface TunnelArgs {
  target: string;
  targetPort: number;
  localPort: number;
  bind: string;
}

function port(name: string, v: string | undefined, dflt: number | null): number {
  if (v === undefined) {
    if (dflt === null) throw new UsageError(`tunnel needs --${name} P`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || (name === 'target-port' && n === 0)) throw new UsageError(`--${name} must be a port number, not ${v}`);
  return n;
}

export const tunnelCommand: CommandDef<TunnelArgs> = {
  name: 'tunnel',
  summary: 'forward a local TCP port to a port on a target (through its agent)',
  help: `usage: gate tunnel TARGET --target-port P [--local-port P] [--bind 127.0.0.1]

Listens on a local port and carries each TCP connection to 127.0.0.1:P as seen from TARGET
(the target host itself, through its agent), like ssh -L. Needs the tunnel action on TARGET.
Each connection is logged on the service (gate logs connections); the bytes are not recorded.
Prints one line "gate: tunnel listening on HOST:PORT -> TARGET:P" when ready; Ctrl-C stops.

options:
  --target-port P   the port on the target (required)
  --local-port P    the local port (default: any free port, printed)
  --bind ADDR       the local address (default 127.0.0.1)
`,
  parse(argv) {
    const p = parseCommandLine('tunnel', argv, {
      'target-port': { type: 'string' },
      'local-port': { type: 'string' },
      bind: { type: 'string' },
    } as const);
    if (p.positionals.length !== 1 || p.rest !== null) throw new UsageError('usage: gate tunnel TARGET --target-port P [--local-port P] [--bind 127.0.0.1]');
    return {
      target: p.positionals[0]!,
      targetPort: port('target-port', p.values['target-port'], null),
      localPort: port('local-port', p.values['local-port'], 0),
      bind: p.values.bind ?? '127.0.0.1',
    };
  },
};
