/**
 * The admin Slack page in the browser, end to end with real parts only: the built service
 * (`dist/gatehouse.js`), headless Chromium and the web app.
 *
 * A service without Slack shows "Off" and how to turn it on. A service configured with Slack
 * (through the GATEHOUSE_SLACK_* environment) whose Slack API is a loopback port nobody listens
 * on shows "Not connected" with the reason, the configured slash command and audit channel (a
 * channel name with markup in it shows as text), never the tokens, and re-reads the state by
 * itself while the tab is open.
 */
import { deadPort } from '../helpers/dead-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SlackStatus } from '../../protocol/api-types';
import { changePassword, launchBrowser, logIn, type BrowserSession } from '../helpers/browser';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';

const ADMIN = 'admin@localhost';
const ADMIN_PASSWORD = 'correct-horse-battery-staple';
const BOT_TOKEN = 'xoxb-test-bot-secret';
const APP_TOKEN = 'xapp-test-app-secret';
/** Markup in a configured name must reach the page as text, not as elements. */
const CHANNEL = 'ops-<b id="injected">log</b>';
const COMMAND = '/bastion';

const servers: ServerProcess[] = [];
const browsers: BrowserSession[] = [];

beforeAll(() => buildDist(), 180_000);

afterAll(async () => {
  const errors = browsers.flatMap((b) => b.errors).filter((e) => !/status of 4\d\d/.test(e));
  if (errors.length) console.log('browser errors:\n' + errors.join('\n'));
  await Promise.all(browsers.map((b) => b.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

/** A fresh service and an admin logged in (bootstrap password retired), on the Slack tab. */
async function adminOnSlackTab(env?: Record<string, string>): Promise<{ server: ServerProcess; page: Page }> {
  const server = await startServer(env ? { env } : {});
  servers.push(server);
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = browser.page;
  expect(server.password, server.stdout.join('\n')).toBeTruthy();
  await page.goto(server.url);
  await logIn(page, ADMIN, server.password!);
  await page.waitForURL(/#\/password$/);
  await changePassword(page, server.password!, ADMIN_PASSWORD);
  return { server, page };
}

async function openSlackTab(page: Page): Promise<void> {
  await page.click('.topbar nav a[href="#/admin/users"]');
  await page.waitForURL(/#\/admin\/users$/);
  await page.click('.tabs a[href="#/admin/slack"]');
  await page.waitForURL(/#\/admin\/slack$/);
  await page.locator('#slack-state').waitFor();
  expect(await page.getAttribute('.tabs a[href="#/admin/slack"]', 'aria-current')).toBe('page');
  expect(await page.textContent('#slack-title')).toBe('Slack');
}

describe('browser admin Slack page (built service + Chromium)', () => {
  it('a service without Slack: the tab shows Off and how to turn it on', async () => {
    const { server, page } = await adminOnSlackTab();
    const api = (await (await page.context().request.get(`${server.url}/api/v1/slack`)).json()) as SlackStatus;
    expect(api.configured).toBe(false);

    await openSlackTab(page);
    expect(await page.getAttribute('#slack-status', 'data-state')).toBe('off');
    expect((await page.textContent('#slack-state'))?.trim()).toBe('Off');
    const howto = (await page.textContent('#slack-howto'))!;
    for (const want of ['slack.bot_token', 'slack.app_token', '/etc/gatehouse/gatehouse.toml', 'GATEHOUSE_SLACK_BOT_TOKEN', 'GATEHOUSE_SLACK_APP_TOKEN', 'Socket Mode', 'no public URL', 'gatehouse check', '/gatehouse']) {
      expect(howto).toContain(want);
    }
    expect(await page.locator('#slack-error').count()).toBe(0);
    await page.screenshot({ path: '/tmp/gatehouse-e2e-slack-off.png', fullPage: true });
  });

  it('a service with Slack configured but unreachable: Not connected, the error, command and channel; refreshed by itself', async () => {
    const { server, page } = await adminOnSlackTab({
      GATEHOUSE_SLACK_BOT_TOKEN: BOT_TOKEN,
      GATEHOUSE_SLACK_APP_TOKEN: APP_TOKEN,
      GATEHOUSE_SLACK_API_URL: `http://127.0.0.1:${await deadPort()}/api/`,
      GATEHOUSE_SLACK_COMMAND: COMMAND,
      GATEHOUSE_SLACK_AUDIT_CHANNEL: CHANNEL,
    });
    // The first attempt has failed (and said why) before the page is opened, so the first render has the error.
    const status = async () => (await (await page.context().request.get(`${server.url}/api/v1/slack`)).json()) as SlackStatus;
    await expect.poll(async () => (await status()).lastError, { timeout: 20_000 }).toBeTruthy();
    const api = await status();
    expect(api).toMatchObject({ configured: true, connected: false, command: COMMAND, auditChannel: CHANNEL, auditChannelId: null });

    await openSlackTab(page);
    expect(await page.getAttribute('#slack-status', 'data-state')).toBe('disconnected');
    expect((await page.textContent('#slack-state'))?.trim()).toBe('Not connected');
    const error = (await page.textContent('#slack-error'))!;
    expect(error).toMatch(/^Last error: \S/);
    expect(error).toMatch(/ECONNREFUSED|connect|request/i);
    expect(await page.textContent('#slack-command')).toBe(COMMAND);
    expect(await page.textContent('#slack-channel')).toBe(`#${CHANNEL}`);
    expect(await page.textContent('#slack-channel-id')).toBe('(not created yet)');
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('#slack-howto').count()).toBe(0);
    const text = (await page.textContent('main'))!;
    expect(text).not.toContain('Off');
    expect(text).not.toMatch(/xoxb-|xapp-/);
    await page.screenshot({ path: '/tmp/gatehouse-e2e-slack-unreachable.png', fullPage: true });

    // Open tab: the page asks again within ~10 s, without a reload.
    const before = await page.textContent('#slack-updated');
    const again = await page.waitForResponse((r) => r.url().endsWith('/api/v1/slack') && r.request().method() === 'GET', { timeout: 15_000 });
    expect(again.status()).toBe(200);
    await expect.poll(() => page.textContent('#slack-updated'), { timeout: 2_000 }).not.toBe(before);
    expect((await page.textContent('#slack-state'))?.trim()).toBe('Not connected');

    // Leaving the tab stops the refresh.
    await page.click('.tabs a[href="#/admin/users"]');
    await page.waitForURL(/#\/admin\/users$/);
    let asked = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/slack')) asked++;
    });
    await page.waitForTimeout(11_000);
    expect(asked).toBe(0);
  }, 90_000);
});
