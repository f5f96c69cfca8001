/**
 * `gatehouse check`: are the Slack tokens accepted? The bot token by `auth.test`, the app token
 * by `apps.connections.open` (the only call an app-level token may make; the URL it returns is
 * not used). Tokens never appear in the messages.
 */
import { WebClient, LogLevel } from '@slack/web-api';
import type { Config } from '../config';

export async function checkSlackTokens(cfg: Config['slack']): Promise<string | null> {
  const opts = { logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...(cfg.apiUrl ? { slackApiUrl: cfg.apiUrl.endsWith('/') ? cfg.apiUrl : `${cfg.apiUrl}/` } : {}) };
  const why = (e: unknown) => ((e as { data?: { error?: string } }).data?.error ?? (e as Error).message ?? String(e)).slice(0, 200);
  try {
    await new WebClient(cfg.botToken!, opts).auth.test();
  } catch (e) {
    return `the bot token was refused: ${why(e)}`;
  }
  try {
    await new WebClient(cfg.appToken!, opts).apps.connections.open({});
  } catch (e) {
    return `the app token was refused: ${why(e)}`;
  }
  return null;
}
