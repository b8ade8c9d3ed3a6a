// Every page and dialog at a desktop's, a tablet's and a phone's size: the page never
// scrolls sideways (`document.documentElement.scrollWidth <= innerWidth`), popups and
// dialogs fit the screen, axe-core finds no violation of WCAG 2.2 A/AA or its best
// practices, and on a phone the company list is a list of cards whose controls are
// fingertip-sized (44 × 44 px). Signed out (sign-in, forgot password, the customer's
// consent page, an invalid link) and signed in (the company list with its menus and
// dialogs, the bell, the account menu, a company page, the admin pages and their
// dialogs, Page not found). The real server with a fresh SQLite database, the built
// SPA, headless Chromium (see support.mjs).
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP,
  PHONE,
  TABLET,
  UNDER_A_POPUP,
  assertAccessible,
  assertFitsWidth,
  assertOnScreen,
  assertTouchTargets,
  openPage,
  screenshot,
  serverAndBrowser,
  waitFor,
} from './support.mjs';

const SIZES = [
  ['phone', PHONE],
  ['tablet', TABLET],
  ['desktop', DESKTOP],
];

let server;
let baseUrl;
let browser;
/** One company in each state the pages show differently. */
let available;
let failing;
let notRequested;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '300' }, async (started) => {
  ({ server, baseUrl, browser } = started);
  const pick = async (status) => {
    const list = await server.api('GET', `/api/v1/companies?status=${status}&sort=name`);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.items.length > 0, `the demo portfolio has a company in ${status}`);
    return list.json.items[0];
  };
  available = await pick('available');
  failing = await pick('error');
  notRequested = await pick('not_requested');
  // A refresh, so the company page has a history table to lay out.
  const refresh = await server.api('POST', `/api/v1/companies/${available.id}/refresh`);
  assert.ok(refresh.status < 300, refresh.text);
});

/** Fits the width, passes axe, and (on a phone) leaves a screenshot to look at. */
async function check(page, size, what, options) {
  await assertFitsWidth(page, what);
  await assertAccessible(page, what, options);
  if (size === 'phone') {
    await screenshot(page, `phone-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
  }
}

describe('layout and accessibility', () => {
  for (const [size, viewport] of SIZES) {
    test(`signed out, at ${size} size (${viewport.width}×${viewport.height})`, { timeout: 90_000 }, async () => {
      const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false, viewport });
      // Nobody is signed in: the session answers 401.
      expectFailedRequest(401, '/api/v1/session');
      await page.goto(`${baseUrl}/sign-in`);
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await check(page, size, 'sign-in page');

      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Sign in' }).waitFor();
      await check(page, size, 'forgot password page');

      // The customer's consent page, from a fresh link.
      const link = await server.api('POST', `/api/v1/companies/${notRequested.id}/information-requests`, { delivery: 'link' });
      assert.equal(link.status, 201, link.text);
      await page.goto(link.json.link);
      await page.getByRole('button', { name: 'Grant access' }).waitFor();
      await check(page, size, 'consent page');
      if (size === 'phone') {
        await assertTouchTargets(page.getByRole('button'), 'the consent page\u2019s buttons');
      }

      expectFailedRequest(404, '/api/v1/consent/');
      await page.goto(`${baseUrl}/connect/not-a-real-token`);
      await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();
      await check(page, size, 'invalid consent link');

      assert.deepEqual(problems, [], 'no console errors or page errors');
      await context.close();
    });

    test(`signed in, at ${size} size (${viewport.width}×${viewport.height})`, { timeout: 180_000 }, async () => {
      const { context, page, problems } = await openPage(browser, { viewport });
      await page.goto(`${baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
      const actions = page.getByRole('button', { name: `Actions for ${available.name}`, exact: true });
      await actions.waitFor();
      await page.getByRole('list', { name: 'Companies per status' }).waitFor();
      await check(page, size, 'company list');

      // The top bar spans the page.
      const banner = await page.getByRole('banner').boundingBox();
      const pageWidth = await page.evaluate(() => document.documentElement.clientWidth);
      assert.equal(Math.round(banner.width), pageWidth, 'the top bar is as wide as the page');

      const row = page.getByRole('row').filter({ has: actions });
      if (size === 'phone') {
        // A card: as wide as the list, name, status and buttons all on the screen.
        await assertOnScreen(page, row, 'a company card');
        for (const [part, locator] of [
          ['the name', row.getByRole('link', { name: available.name, exact: true })],
          ['the status', row.getByText('Available', { exact: true })],
          ['the time of the status', row.getByTestId('status-updated-at')],
          ['the download button', row.getByRole('button', { name: `Reports for ${available.name}` })],
          ['the ⋮ button', actions],
        ]) {
          assert.ok(await locator.isVisible(), `${part} is shown on the card`);
          await assertOnScreen(page, locator, `${part} on the card`);
        }
        await assertTouchTargets(row.getByRole('button'), 'the card\u2019s buttons');
        await assertTouchTargets(row.getByRole('checkbox'), 'the card\u2019s tick box');
        await assertTouchTargets(row.getByRole('link', { name: available.name, exact: true }), 'the card\u2019s company link');
        await assertTouchTargets(page.getByRole('banner').getByRole('button'), 'the top bar\u2019s buttons');

        // The error's message with what to do is on its card too.
        const failingRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: failing.name, exact: true }) });
        if ((await failingRow.count()) === 1) {
          await failingRow.getByText(failing.error.message).waitFor();
          await assertOnScreen(page, failingRow.getByText(failing.error.message), 'the error on its card');
        }
        await screenshot(page, 'phone-company-list-full', { fullPage: true });
      }

      // The ⋮ menu.
      await actions.click();
      const menu = page.getByRole('menu', { name: `Actions for ${available.name}` });
      await menu.waitFor();
      await assertOnScreen(page, menu, 'the ⋮ menu');
      await check(page, size, 'the actions menu');
      if (size === 'phone') {
        await assertTouchTargets(menu.getByRole('menuitem'), 'the ⋮ menu\u2019s items');
      }
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });

      // The reports panel.
      await row.getByRole('button', { name: `Reports for ${available.name}` }).click();
      const reports = page.getByRole('group', { name: `Reports for ${available.name}` });
      await reports.getByRole('link').first().waitFor();
      await assertOnScreen(page, reports, 'the reports panel');
      await check(page, size, 'the reports panel', { disable: [UNDER_A_POPUP] });
      await page.keyboard.press('Escape');
      await reports.waitFor({ state: 'detached' });

      // Add company.
      await page.getByRole('button', { name: 'Add company', exact: true }).click();
      const add = page.getByRole('dialog', { name: 'Add company' });
      await add.waitFor();
      await assertOnScreen(page, add, 'the Add company dialog');
      await check(page, size, 'the add company dialog');
      await page.keyboard.press('Escape');
      await add.waitFor({ state: 'detached' });

      // Request information.
      await page.getByRole('button', { name: `Actions for ${notRequested.name}`, exact: true }).click();
      await page.getByRole('menu', { name: `Actions for ${notRequested.name}` }).getByRole('menuitem', { name: 'Request information' }).click();
      const request = page.getByRole('dialog', { name: `Request information from ${notRequested.name}` });
      await request.getByRole('region', { name: 'Email message' }).waitFor();
      await waitFor(() => request.getByRole('button', { name: 'Send request' }).isEnabled(), 'the email is ready');
      await assertOnScreen(page, request, 'the Request information dialog');
      await check(page, size, 'the request information dialog');
      await request.getByRole('button', { name: 'Cancel' }).click();
      await request.waitFor({ state: 'detached' });

      // A confirmation: Delete company, cancelled.
      await actions.click();
      await menu.getByRole('menuitem', { name: 'Delete company' }).click();
      const confirm = page.getByRole('dialog', { name: `Delete ${available.name}?` });
      await confirm.waitFor();
      await assertOnScreen(page, confirm, 'the delete confirmation');
      await check(page, size, 'the delete confirmation');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });

      // The bell's panel and the account menu.
      await page.getByRole('button', { name: /^Notifications/ }).click();
      const bell = page.getByRole('region', { name: 'Notifications' });
      await bell.waitFor();
      await bell.getByText(/Loading…/).waitFor({ state: 'detached' });
      await assertOnScreen(page, bell, 'the notifications panel');
      await check(page, size, 'the notifications panel');
      await page.keyboard.press('Escape');
      await bell.waitFor({ state: 'detached' });

      await page.getByRole('button', { name: /: account$/ }).click();
      const account = page.getByRole('menu', { name: /: account$/ });
      await account.waitFor();
      await assertOnScreen(page, account, 'the account menu');
      await check(page, size, 'the account menu');
      await page.keyboard.press('Escape');
      await account.waitFor({ state: 'detached' });

      // A company page, with its charts; and one in Error.
      await page.goto(`${baseUrl}/companies/${available.id}`);
      await page.getByRole('heading', { level: 1, name: available.name }).waitFor();
      await page.getByRole('img', { name: /Profit and loss/ }).waitFor();
      await page.getByRole('table', { name: 'Refresh history' }).waitFor();
      await check(page, size, 'company page');
      if (size === 'phone') {
        await screenshot(page, 'phone-company-page-full', { fullPage: true });
      }
      await page.goto(`${baseUrl}/companies/${failing.id}`);
      await page.getByRole('heading', { level: 1, name: failing.name }).waitFor();
      await page.getByText(/^What to do: /).waitFor();
      await check(page, size, 'company page in error');

      // The admin pages and their dialogs.
      await page.goto(`${baseUrl}/admin/users`);
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      await page.getByRole('combobox', { name: /^Role of / }).first().waitFor();
      await check(page, size, 'admin users page');
      await page.getByRole('button', { name: 'Invite user' }).click();
      const invite = page.getByRole('dialog', { name: 'Invite a user' });
      await invite.waitFor();
      await assertOnScreen(page, invite, 'the invitation dialog');
      await check(page, size, 'the invite user dialog');
      await invite.getByRole('button', { name: 'Cancel' }).click();
      await invite.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: /^Deactivate / }).first().click();
      const deactivate = page.getByRole('dialog', { name: /^Deactivate .+\?$/ });
      await deactivate.waitFor();
      await assertOnScreen(page, deactivate, 'the deactivation confirmation');
      await check(page, size, 'the deactivate confirmation');
      await deactivate.getByRole('button', { name: 'Cancel' }).click();
      await deactivate.waitFor({ state: 'detached' });

      await page.goto(`${baseUrl}/admin/api-keys`);
      await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
      await page.getByRole('row').filter({ hasText: 'e2e' }).waitFor();
      await check(page, size, 'admin API keys page');
      // The key made for this run: asked about, not revoked.
      await page.getByRole('button', { name: 'Revoke e2e' }).click();
      const revoke = page.getByRole('dialog', { name: 'Revoke e2e?' });
      await revoke.waitFor();
      await check(page, size, 'the revoke confirmation');
      await revoke.getByRole('button', { name: 'Cancel' }).click();
      await revoke.waitFor({ state: 'detached' });

      await page.goto(`${baseUrl}/admin/audit`);
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await page.getByRole('table', { name: 'Audit log' }).or(page.getByText('No entries match these filters.')).waitFor();
      await check(page, size, 'admin audit log');

      await page.goto(`${baseUrl}/no/such/page`);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      await check(page, size, 'page not found');

      assert.deepEqual(problems, [], 'no console errors or page errors');
      await context.close();
    });
  }
});
