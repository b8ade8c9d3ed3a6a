// The bell: a refresh the signed-in person started ends → the bell counts it unread,
// lists it with a link to the company, and "Mark all as read" clears the count.
// The real server with a fresh SQLite database, the built SPA, headless Chromium.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, openPage, screenshot, serverAndBrowser } from './support.mjs';

let server;
let baseUrl;
let browser;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '300' }, (started) => ({ server, baseUrl, browser } = started));

describe('notifications', () => {
  test('a finished refresh rings the bell until it is marked read', { timeout: 90_000 }, async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    const bell = page.getByRole('button', { name: /^Notifications/ });
    await bell.waitFor();
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications', 'nothing unread on a fresh start');

    // ⋮ → Refresh data on an available company.
    const available = page
      .getByRole('row')
      .filter({ has: page.getByText('Available', { exact: true }) });
    const label = await available.first().getByRole('button', { name: /^Actions for / }).getAttribute('aria-label');
    const name = label.replace(/^Actions for /, '');
    await page.getByRole('button', { name: label, exact: true }).click();
    await page.getByRole('menu', { name: label }).getByRole('menuitem', { name: 'Refresh data' }).click();
    await page.getByRole('status').filter({ hasText: `Refresh initiated for ${name}` }).waitFor();

    // The bell counts it once the refresh has ended (it polls every few seconds).
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor({ timeout: 30_000 });
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await panel.waitFor();
    const link = panel.getByRole('link', { name: `Refresh of ${name} completed` });
    await link.waitFor();
    await assertAccessible(page, 'notifications');
    await screenshot(page, 'notifications', { fullPage: true });

    await panel.getByRole('button', { name: 'Mark all as read' }).click();
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    assert.ok(await panel.getByRole('button', { name: 'Mark all as read' }).isDisabled());

    // Escape closes the panel; the link leads to the company's page.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await bell.click();
    await panel.getByRole('link', { name: `Refresh of ${name} completed` }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});
