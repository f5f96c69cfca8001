/**
 * The two ways a `gate` verb fails. `main.ts` turns them into the exit codes of SPEC §2:
 * a UsageError is exit 2 (the command line itself is wrong), a CliError is exit 1 (a reported
 * failure: server said no, network, files). Both carry a message that is shown as one line
 * `gate: MESSAGE`; anything else that escapes a handler is a bug and is shown the same way.
 */
export class UsageError extends Error {
  /** The verb whose help the user should read, when known. */
  readonly verb: string | null;
  constructor(message: string, verb: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.verb = verb;
  }
}

export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
