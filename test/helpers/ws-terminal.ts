/**
 * A terminal client over the real websocket: collects output as text, sends input and
 * controls, and waits for text to appear.
 */
import WebSocket from 'ws';

export interface WsTerminal {
  ws: WebSocket;
  output(): string;
  controls: any[];
  send(text: string): void;
  resize(cols: number, rows: number): void;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function openTerminal(url: string, headers: Record<string, string>, options: WebSocket.ClientOptions = {}): Promise<WsTerminal> {
  const ws = new WebSocket(url, { ...options, headers });
  let out = '';
  const controls: any[] = [];
  const waiters: (() => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      waiters.splice(0).forEach((w) => w());
    }),
  );
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) out += data.toString('utf8');
    else controls.push(JSON.parse(data.toString('utf8')));
    waiters.splice(0).forEach((w) => w());
  });
  const term: WsTerminal = {
    ws,
    output: () => out,
    controls,
    send: (text) => ws.send(Buffer.from(text), { binary: true }),
    resize: (cols, rows) => ws.send(JSON.stringify({ type: 'resize', cols, rows })),
    closed,
    close: () => ws.close(),
    waitFor(pattern, timeoutMs = 15000) {
      const test = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      return new Promise((resolve, reject) => {
        if (test()) return resolve(out);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got:\n${out.slice(-2000)}`)), timeoutMs);
        const check = () => {
          if (test()) {
            clearTimeout(timer);
            resolve(out);
          } else if (ws.readyState === WebSocket.CLOSED) {
            clearTimeout(timer);
            reject(new Error(`socket closed while waiting for ${pattern}; got:\n${out.slice(-2000)}`));
          } else waiters.push(check);
        };
        waiters.push(check);
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(term));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}
