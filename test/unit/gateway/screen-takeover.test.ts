/**
 * The screen for re-attach outlives a failed command detector: the connection keeps its own
 * from the detector's last screen on. A real LiveConnection and a real detector; the channel
 * and the clients are in-memory stand-ins (no target is needed to show this).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScreenKeeper } from '../../../gateway/screen-keeper';
import { LiveConnection } from '../../../gateway/live-connection';
import type { Permit } from '../../../protocol/permit';
import { createCommandDetector } from '../../../recorder/command-detector';
import { renderTerminal } from '../../helpers/terminal-render';
import { FakeClient, fakeChannel } from '../../helpers/live-connection-stand-ins';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('re-attach after the command detector failed', () => {
  let conn: LiveConnection | null = null;
  afterEach(async () => {
    conn?.close('test over', 'test');
    await conn?.closed;
    conn = null;
  });

  it('redraws the screen from before and after the failure, and logs the takeover', async () => {
    const logs: string[] = [];
    const { channel, output } = fakeChannel();
    conn = new LiveConnection(
      {
        id: 'c1',
        permit: {} as Permit,
        target: { id: 't1', name: 'web-1', kind: 'local' },
        request: { kind: 'shell', targetUser: 'root', size: { cols: 40, rows: 8 }, term: 'xterm' },
      },
      {
        openTaps: async (_spec, ctx) => [
          createCommandDetector({
            cols: ctx.size.cols,
            rows: ctx.size.rows,
            markerNonce: null,
            onCommand: () => {
              throw new Error('store is gone');
            },
            onCommandExit: () => undefined,
          }),
        ],
        onState: () => undefined,
        log: (m) => logs.push(m),
      },
      async () => channel,
      60_000,
    );
    const first = new FakeClient('first');
    await conn.attach(first, 'alice');
    output('$ ');
    await tick();
    await conn.input(first, Buffer.from('ls\r'));
    output('ls\r\nbefore-failure\r\n$ ');
    await tick();
    expect(logs.some((l) => l.includes('tap commands failed: store is gone'))).toBe(true);
    expect(logs.some((l) => l.includes('now kept by the connection'))).toBe(true);
    output('after-failure\r\n$ ');
    await tick();
    conn.detach(first, 'alice', 'gone');

    const second = new FakeClient('second');
    await conn.attach(second, 'alice');
    expect(second.controls[0]).toMatchObject({ type: 'attached', redraw: true });
    const { viewport: screen } = await renderTerminal(Buffer.concat(second.out).toString('utf8'), 40, 8);
    expect(screen.slice(0, 5)).toEqual(['$ ls', 'before-failure', '$ after-failure', '$ ', '']);
  });
});

describe('screen keeper taking over from a screen', () => {
  it('puts events that came before the screen on top of it, in order', async () => {
    let give!: (s: string) => void;
    const keeper = createScreenKeeper(20, 4, new Promise<string>((r) => (give = r)));
    keeper.onEvent({ kind: 'o', t: 0, data: Buffer.from('DEF\r\n') });
    keeper.onEvent({ kind: 'r', t: 0, cols: 10, rows: 4 });
    const snap = keeper.snapshot();
    give('ABC');
    expect((await renderTerminal(await snap, 10, 4)).viewport).toEqual(['ABCDEF', '', '', '']);
    await keeper.close();
  });

  it('starts blank when the screen cannot be had', async () => {
    const keeper = createScreenKeeper(20, 4, Promise.reject(new Error('no screen')));
    keeper.onEvent({ kind: 'o', t: 0, data: Buffer.from('only this') });
    expect((await renderTerminal(await keeper.snapshot(), 20, 4)).viewport).toEqual(['only this', '', '', '']);
    expect(keeper.failure).toBeNull();
    await keeper.close();
  });
});
