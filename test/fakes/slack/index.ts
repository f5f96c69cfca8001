/**
 * The fake Slack for tests (the only fake in the suite: Slack is the one thing outside the machine).
 *
 *   const slack = await startFakeSlack();
 *   const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, logger: quietLogger() });
 *   const sm = new SocketModeClient({ appToken: slack.appToken, logger: quietLogger(),
 *     clientPingTimeout: 500, clientOptions: { slackApiUrl: slack.apiUrl } });
 *   …
 *   await slack.close();
 */
import { LogLevel, type Logger } from '@slack/web-api';

export { FakeSlack, startFakeSlack } from './fake-slack';
export { ClientRefusedSubmission } from './view-state';
export type * from './types';

/**
 * A logger for the SDK clients that prints nothing; warnings and errors are kept in `lines`
 * (pass your own array) so a test can still look at them.
 */
export function quietLogger(lines: string[] = []): Logger & { lines: string[] } {
  const keep = (level: string) => (...msg: unknown[]) => {
    lines.push(`${level} ${msg.map(String).join(' ')}`);
  };
  return {
    lines,
    debug() {},
    info() {},
    warn: keep('warn'),
    error: keep('error'),
    setLevel() {},
    getLevel: () => LogLevel.ERROR,
    setName() {},
  };
}
