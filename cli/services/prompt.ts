/**
 * Questions asked on the user's terminal: a secret without echo, a line, a numbered choice.
 * Prompts go to stderr so stdout stays clean for output a script may read.
 */
import { createInterface } from 'node:readline';
import { CliError } from '../cli-errors';

const MAX_LINE = 4096;

/** Reads a secret from a tty in raw mode, echoing nothing. Ctrl-C aborts; Ctrl-U clears. */
export function readSecret(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new CliError('interrupted'));
        if (ch === '\u0004' && value === '') return finish(new CliError('no input'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ' && value.length < MAX_LINE) value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Reads one line from a tty with normal line editing. */
export function readLine(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.on('SIGINT', () => {
      rl.close();
      output.write('\n');
      reject(new CliError('interrupted'));
    });
    rl.on('close', () => {
      if (!answered) reject(new CliError('no input'));
    });
    rl.question(prompt, (answer) => {
      answered = true;
      rl.close();
      resolve(answer.trim());
    });
  });
}

/** Reads the first line of a non-interactive stdin (for --password-stdin), without its newline. */
export function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | null) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', done);
      input.pause();
      if (err) reject(err);
      else resolve(text.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        text = text.slice(0, nl);
        done(null);
      } else if (text.length > MAX_LINE) done(new CliError('the first line of stdin is too long for a password'));
    };
    const onEnd = () => done(null);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', done);
    input.resume();
  });
}

/** Asks the user to pick one of `choices` by number or by name; three tries. */
export async function choose(input: NodeJS.ReadStream, output: NodeJS.WritableStream, title: string, choices: string[]): Promise<string> {
  output.write(`${title}\n`);
  choices.forEach((c, i) => output.write(`  ${i + 1}) ${c}\n`));
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await readLine(input, output, `Choose 1-${choices.length}: `);
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!;
    if (choices.includes(answer)) return answer;
    output.write(`"${answer}" is not one of the choices\n`);
  }
  throw new CliError('no choice made');
}
