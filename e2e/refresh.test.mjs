// Browser end-to-end test of the refresh journey: the real `spendlens serve` binary
// with a fresh SQLite database, the built SPA, and headless Chromium (see support.mjs).
//
// Elements are found the way a person (or a screen reader) finds them: by role and
// accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP,
  PHONE,
  UNDER_A_POPUP,
  assertAccessible,
  assertFitsWidth,
  assertOnScreen,
  assertTouchTargets,
  isFocused,
  openPage as openContextPage,
  screenshot,
  waitFor,
  serverAndBrowser,
} from './support.mjs';

const REFRESH_TIMEOUT_MS = 30_000;
const REFRESH_IN_PROGRESS = /Refreshing…|Refresh queued/;

let server;
let baseUrl;
let browser;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '1500' }, (started) => ({ server, baseUrl, browser } = started));

describe('company list', () => {
  // The same journey on a desktop and on a phone, where the list is a list of cards.
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const phone = size === 'phone';
    const shot = (name) => (phone ? `phone-${name}` : name);
    const title = 'Refresh data re-fetches in the background and the row shows the new time';
    test(phone ? `${title} (phone, ${viewport.width}×${viewport.height})` : title, { timeout: 120_000 }, async () => {
      const { page, problems } = await openContextPage(browser, { viewport });
      await page.goto(`${baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();

      // A company whose data is Available and not already refreshing.
      const available = page
        .getByRole('row')
        .filter({ has: page.getByText('Available', { exact: true }) })
        .filter({ hasNotText: REFRESH_IN_PROGRESS });
      // The phone's run takes the second: the first was refreshed a moment ago, and its
      // time, shown to the minute, may not move.
      const chosen = available.nth(phone ? 1 : 0);
      await chosen.waitFor();
      const label = await chosen
        .getByRole('button', { name: /^Actions for / })
        .getAttribute('aria-label');
      const name = label.replace(/^Actions for /, '');
      const actions = page.getByRole('button', { name: `Actions for ${name}`, exact: true });
      const row = page.getByRole('row').filter({ has: actions });
      assert.equal(await row.count(), 1, `exactly one row for ${name}`);

      await assertFitsWidth(page, 'the company list');
      await assertAccessible(page, 'the company list');
      if (phone) {
        // Fingertip-sized: the tick box, the download and the ⋮ button.
        await assertTouchTargets(row.getByRole('button'), `${name}'s buttons`);
        await assertTouchTargets(row.getByRole('checkbox'), `${name}'s tick box`);
      }

      const updatedAt = row.getByTestId('status-updated-at');
      const before = { text: await updatedAt.textContent(), at: Date.parse(await updatedAt.getAttribute('datetime')) };
      assert.ok(before.text.trim().length > 0, 'the row shows when its status last changed');
      assert.ok(Number.isFinite(before.at), 'the time carries a machine-readable datetime');

      // Keyboard: the menu opens with its first item focused; Escape closes it and
      // gives focus back to the ⋮ button.
      const menu = page.getByRole('menu', { name: `Actions for ${name}` });
      await actions.focus();
      await page.keyboard.press('Enter');
      await menu.waitFor();
      assert.equal(await actions.getAttribute('aria-expanded'), 'true');
      const refreshItem = menu.getByRole('menuitem', { name: 'Refresh data' });
      await waitFor(() => isFocused(refreshItem), 'Refresh data is focused when the menu opens');
      await assertOnScreen(page, menu, 'the ⋮ menu');
      await assertAccessible(page, 'the ⋮ menu');
      if (phone) {
        await assertTouchTargets(menu.getByRole('menuitem'), 'the ⋮ menu\u2019s items');
      }
      const requestItem = menu.getByRole('menuitem', { name: 'Request information' });
      assert.deepEqual(
        await menu.getByRole('menuitem').allTextContents(),
        ['Refresh data', 'Request information', 'Copy link', 'Edit company details', 'Delete company'],
        'the menu lists its actions in order',
      );
      await page.keyboard.press('ArrowDown');
      assert.ok(await isFocused(requestItem), 'ArrowDown moves to the next item');
      const deleteItem = menu.getByRole('menuitem', { name: 'Delete company' });
      await page.keyboard.press('End');
      assert.ok(await isFocused(deleteItem), 'End moves to the last item');
      await page.keyboard.press('ArrowDown');
      assert.ok(await isFocused(refreshItem), 'ArrowDown on the last item wraps to the first');
      await page.keyboard.press('ArrowUp');
      assert.ok(await isFocused(deleteItem), 'ArrowUp on the first item wraps to the last');
      await page.keyboard.press('Home');
      assert.ok(await isFocused(refreshItem), 'Home moves to the first item');
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });
      assert.ok(await isFocused(actions), 'focus returns to the ⋮ button after Escape');
      assert.equal(await actions.getAttribute('aria-expanded'), 'false');

      // A click outside closes it too.
      await actions.click();
      await menu.waitFor();
      await page.getByRole('heading', { level: 1, name: 'Companies' }).click();
      await menu.waitFor({ state: 'detached' });

      // ⋮ → Refresh data.
      await actions.click();
      await menu.getByRole('menuitem', { name: 'Refresh data' }).click();
      await page.getByRole('status').filter({ hasText: `Refresh initiated for ${name}` }).waitFor();
      await row.getByText(REFRESH_IN_PROGRESS).waitFor({ timeout: 5_000 });
      await screenshot(page, shot('refreshing'));

      // The poller redraws the row when the background refresh completes.
      await row.getByText(REFRESH_IN_PROGRESS).waitFor({ state: 'detached', timeout: REFRESH_TIMEOUT_MS });
      await row.getByText('Available', { exact: true }).waitFor();
      const afterAt = Date.parse(await updatedAt.getAttribute('datetime'));
      const afterText = await updatedAt.textContent();
      assert.ok(afterAt > before.at, `status_updated_at moved forward (${new Date(before.at).toISOString()} → ${new Date(afterAt).toISOString()})`);
      assert.notEqual(afterText, before.text, 'the displayed date and time changed');

      await assertFitsWidth(page, 'the company list after the refresh');
      await screenshot(page, shot('refresh'), { fullPage: true });

      // The download button lists each report with its own update time.
      await row.getByRole('button', { name: `Reports for ${name}` }).click();
      const reports = page.getByRole('group', { name: `Reports for ${name}` });
      await reports.getByRole('link').first().waitFor();
      const links = await reports.getByRole('link').all();
      assert.ok(links.length > 0, 'an available company has reports');
      for (const link of links) {
        const href = await link.getAttribute('href');
        assert.match(href, /\/api\/v1\/companies\/.+\/reports\/[a-z_]+\?format=xlsx$/);
        assert.match(await link.textContent(), /Updated /);
        // Each link downloads an Excel workbook, with the signed-in session.
        const answer = await page.evaluate(async (url) => {
          const r = await fetch(url);
          return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition') };
        }, href);
        assert.equal(answer.status, 200, href);
        assert.equal(answer.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', href);
        assert.match(answer.disposition, /attachment; filename=".+\.xlsx"/, href);
      }
      await assertOnScreen(page, reports, 'the reports panel');
      await assertAccessible(page, 'the reports panel', { disable: [UNDER_A_POPUP] });
      await screenshot(page, shot('reports'), { fullPage: true });
      await page.keyboard.press('Escape');
      await reports.waitFor({ state: 'detached' });

      assert.deepEqual(problems, [], 'no console errors or page errors');
    });
  }

  test('a deep link to an unknown page shows Page not found', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage();
    await page.goto(`${baseUrl}/some/unknown/page`);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Go to companies' }).click();
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});

async function openPage() {
  return openContextPage(browser);
}
