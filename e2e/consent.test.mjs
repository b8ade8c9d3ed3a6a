// Browser end-to-end tests of the information request and the customer's consent
// journey: the RM's ⋮ → Copy link and ⋮ → Request information, and the customer's
// /connect/{token} page (grant, exit, used, replaced and invalid links), against the
// real `spendlens serve` binary with a fresh SQLite database (see support.mjs).
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DESKTOP,
  PHONE,
  assertAccessible,
  assertFitsWidth,
  assertTouchTargets,
  holdsFocus,
  isFocused,
  openPage,
  screenshot,
  waitFor,
  serverAndBrowser,
} from './support.mjs';

const ORGANIZATION = 'Demo Bank';
/** The customer's page needs no sign-in: their browser has no session. */
const CUSTOMER = { signedIn: false };
const FIRST_FETCH_TIMEOUT_MS = 30_000;

let server;
let baseUrl;
let browser;
/** The demo companies nobody has asked for information yet, by name; each test takes one. */
let notRequested;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '300' }, async (started) => {
  ({ server, baseUrl, browser } = started);
  const list = await server.api('GET', '/api/v1/companies?status=not_requested&sort=name');
  assert.equal(list.status, 200, list.text);
  notRequested = list.json.items;
  assert.ok(notRequested.length >= 4, `the demo portfolio has at least four companies not requested (${notRequested.length})`);
});

/** Fits the width and passes axe. */
async function checkPage(page, what) {
  await assertFitsWidth(page, what);
  await assertAccessible(page, what);
}

describe('information requests and consent', () => {
  // The whole journey on a desktop and on a phone (RM and customer alike).
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const phone = size === 'phone';
    const shot = (name) => (phone ? `phone-${name}` : name);
    const title = 'Copy link, then the customer grants access and the first fetch runs by itself';
    test(phone ? `${title} (phone, ${viewport.width}×${viewport.height})` : title, { timeout: 120_000 }, async () => {
      // The demo's four companies not requested go to this file's desktop tests; the
      // phone's journey gets one of its own.
      const company = phone ? await newCompany('Phone Journey Foods Ltd') : notRequested[0];
      const { page, problems } = await openPage(browser, {
        permissions: ['clipboard-read', 'clipboard-write'],
        viewport,
      });
      await page.goto(`${baseUrl}/`);
      const { actions, row } = await companyRow(page, company.name);
      await row.getByText('Not requested', { exact: true }).waitFor();
      await checkPage(page, 'the company list');

      // RM: ⋮ → Copy link.
      await actions.click();
      await page.getByRole('menu', { name: `Actions for ${company.name}` }).getByRole('menuitem', { name: 'Copy link' }).click();
      await page.getByRole('status').filter({ hasText: `Link copied for ${company.name}` }).waitFor();
      await row.getByText('Requested', { exact: true }).waitFor();
      await assertAccessible(page, 'consent-rm-copy-link');
      await screenshot(page, shot('consent-rm-copy-link'));
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.ok(copied.startsWith(`${baseUrl}/connect/`), `the clipboard holds the customer's link (${copied})`);

      // A new link (as the API answers it) replaces the copied one.
      const link = await createLink(company.id);
      assert.notEqual(link, copied, 'each request has its own link');

      // The customer opens the link.
      const customer = await openPage(browser, { ...CUSTOMER, viewport });
      const consent = await server.api('GET', `/api/v1/consent/${tokenOf(link)}`);
      assert.equal(consent.status, 200, consent.text);
      await customer.page.goto(link);
      await customer.page
        .getByRole('heading', { level: 1, name: `${ORGANIZATION} is asking for access to ${company.name}'s accounting data` })
        .waitFor();
      assert.equal(await customer.page.getByRole('link', { name: 'Spendlens' }).count(), 0, 'no portal chrome for the customer');
      assert.equal(await customer.page.getByText('Relationship Manager Portal').count(), 0, 'no portal chrome for the customer');
      await customer.page.getByText(ORGANIZATION, { exact: true }).first().waitFor();
      assert.ok(consent.json.requested_data.length > 0, 'something is requested');
      for (const data of consent.json.requested_data) {
        await customer.page.getByText(data.label, { exact: true }).first().waitFor();
        for (const item of data.contents) {
          await customer.page.getByText(item).first().waitFor();
        }
      }
      await customer.page.getByText(/This link works until/).waitFor();
      const expiry = customer.page.locator('time');
      assert.equal(Date.parse(await expiry.getAttribute('datetime')), Date.parse(consent.json.expires_at), 'the expiry shown is the link\'s');

      const platforms = customer.page.getByRole('radiogroup', { name: 'Accounting platform' });
      const radios = platforms.getByRole('radio');
      assert.equal(await radios.count(), consent.json.platforms.length, 'one radio per platform');
      for (const platform of consent.json.platforms) {
        await platforms.getByRole('radio', { name: platform.name }).waitFor();
      }
      assert.ok(await radios.first().isChecked(), 'the first platform is preselected');
      await customer.page.getByRole('button', { name: 'Exit without granting' }).waitFor();
      await checkPage(customer.page, 'the consent page');
      if (phone) {
        await assertTouchTargets(customer.page.getByRole('button'), 'the consent page\u2019s buttons');
      }
      await assertAccessible(customer.page, 'consent-screen');
      await screenshot(customer.page, shot('consent-screen'), { fullPage: true });

      // The copied link was replaced by the newer one.
      const replaced = await openPage(browser, { ...CUSTOMER, viewport });
      replaced.expectFailedRequest(410, '/api/v1/consent/');
      await replaced.page.goto(copied);
      await replaced.page.getByRole('heading', { level: 1, name: 'This link has been replaced' }).waitFor();
      await replaced.page.getByText(/ask .*for a new (link|one)/i).first().waitFor();
      await checkPage(replaced.page, 'a replaced link');
      await screenshot(replaced.page, shot('consent-replaced'));
      assert.deepEqual(replaced.problems, [], 'no console errors or page errors on the replaced link');
      await replaced.context.close();

      // Grant access.
      await customer.page.getByRole('button', { name: 'Grant access' }).click();
      await customer.page.getByRole('heading', { level: 1, name: 'Thank you' }).waitFor();
      await customer.page.getByText(`${ORGANIZATION} can now see the requested data`, { exact: false }).waitFor();
      await customer.page.getByText(/close this page/).waitFor();
      await checkPage(customer.page, 'the granted outcome');
      await screenshot(customer.page, shot('consent-granted'));

      // The first fetch starts by itself and makes the company Available with reports.
      const available = await waitFor(
        async () => {
          const answer = await server.api('GET', `/api/v1/companies/${company.id}`);
          assert.equal(answer.status, 200, answer.text);
          assert.notEqual(answer.json.status, 'error', `the first fetch failed: ${JSON.stringify(answer.json.error)}`);
          return answer.json.status === 'available' ? answer.json : null;
        },
        `${company.name} is available`,
        FIRST_FETCH_TIMEOUT_MS,
        250,
      );
      assert.ok(available.status_updated_at, 'an available company says when it was updated');
      const reports = await server.api('GET', `/api/v1/companies/${company.id}/reports`);
      assert.equal(reports.status, 200, reports.text);
      assert.ok(reports.json.items.length > 0, 'the first fetch wrote reports');

      // The RM sees it too.
      await page.reload();
      const reloaded = await companyRow(page, company.name);
      await reloaded.row.getByText('Available', { exact: true }).waitFor();

      assert.deepEqual(problems, [], 'no console errors or page errors (RM)');
      assert.deepEqual(customer.problems, [], 'no console errors or page errors (customer)');
      await customer.context.close();
    });
  }

  test('Exit without granting shares nothing, and the link cannot be used again', { timeout: 60_000 }, async () => {
    const company = notRequested[1];
    const link = await createLink(company.id);

    const { page, problems, expectFailedRequest } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: `${ORGANIZATION} is asking for access to ${company.name}'s accounting data` }).waitFor();
    const exit = page.getByRole('button', { name: 'Exit without granting' });

    // Spendlens fails once: the customer is told, stays on the screen, and can try again.
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/consent/*/decline', async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'https://spendlens.dev/problems/unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: 'Spendlens is busy right now.',
        }),
      });
    });
    expectFailedRequest(503, '/decline');
    await exit.click();
    await waitFor(async () => (await exit.isDisabled()) && (await page.getByRole('button', { name: 'Grant access' }).isDisabled()), 'both buttons are disabled while the answer is awaited');
    release();
    await page.getByRole('alert').filter({ hasText: 'Spendlens is busy right now.' }).waitFor();
    await waitFor(() => exit.isEnabled(), 'the buttons are enabled again after the failure');
    await page.unroute('**/api/v1/consent/*/decline');

    await exit.click();
    const heading = page.getByRole('heading', { level: 1, name: 'No data was shared' });
    await heading.waitFor();
    assert.ok(await isFocused(heading), 'the outcome heading takes the focus');
    await assertAccessible(page, 'consent-declined');
    await screenshot(page, 'consent-declined');

    const answer = await server.api('GET', `/api/v1/companies/${company.id}`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.status, 'error');
    assert.equal(answer.json.error?.code, 'customer_declined');

    // The same link again.
    expectFailedRequest(410, '/api/v1/consent/');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'This link has already been used' }).waitFor();
    const used = await server.api('GET', `/api/v1/consent/${tokenOf(link)}`);
    assert.equal(used.status, 410);
    assert.equal(used.json.type, 'https://spendlens.dev/problems/link-used');
    // The problem's detail, less a first sentence that only repeats the heading.
    const detail = (used.json.detail ?? '').replace(/^This link has already been used\.\s*/, '');
    if (detail) {
      await page.getByText(detail).waitFor();
    }
    await page.getByText(/ask .*for a new (link|one)/i).first().waitFor();
    await assertAccessible(page, 'consent-used');
    await screenshot(page, 'consent-used');
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('Request information previews the email, sends it, and the row shows Requested', { timeout: 60_000 }, async () => {
    const company = notRequested[2];
    const preview = await server.api('POST', `/api/v1/companies/${company.id}/information-requests`, { preview: true });
    assert.equal(preview.status, 200, preview.text);

    const { page, problems } = await openPage(browser);
    await page.goto(`${baseUrl}/`);
    const { actions, row } = await companyRow(page, company.name);
    await row.getByText('Not requested', { exact: true }).waitFor();
    const menu = page.getByRole('menu', { name: `Actions for ${company.name}` });
    const dialog = page.getByRole('dialog', { name: `Request information from ${company.name}` });

    // Open, look, and leave with Escape: focus goes back to the ⋮ button.
    await actions.click();
    await menu.getByRole('menuitem', { name: 'Request information' }).click();
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    await waitFor(() => holdsFocus(dialog), 'focus moves into the dialog');
    await dialog.getByText(preview.json.subject, { exact: true }).waitFor();
    await dialog.getByText(company.contact.email, { exact: false }).first().waitFor();
    await dialog.getByRole('region', { name: 'Email message' }).waitFor();
    await assertAccessible(page, 'consent-request-dialog');
    await screenshot(page, 'consent-request-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await waitFor(() => isFocused(actions), 'focus returns to the ⋮ button after Escape');
    await row.getByText('Not requested', { exact: true }).waitFor();

    // Again, and Send request.
    await actions.click();
    await menu.getByRole('menuitem', { name: 'Request information' }).click();
    await dialog.waitFor();
    const send = dialog.getByRole('button', { name: 'Send request' });
    await waitFor(() => send.isEnabled(), 'Send request is enabled once the email is ready');
    await dialog.getByRole('button', { name: 'Cancel' }).waitFor();
    await send.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Information request sent to ${company.contact.email}` }).waitFor();
    await row.getByText('Requested', { exact: true }).waitFor();
    await waitFor(() => isFocused(actions), 'focus returns to the ⋮ button after sending');
    await assertAccessible(page, 'consent-request-sent');
    await screenshot(page, 'consent-request-sent');

    const answer = await server.api('GET', `/api/v1/companies/${company.id}`);
    assert.equal(answer.json.status, 'requested');

    // The embedded default writes the email to ./data/outbox/ in the server's working dir.
    const outbox = path.join(server.workDir, 'data', 'outbox');
    const emails = await waitFor(
      async () => {
        const names = await readdir(outbox).catch(() => []);
        const eml = names.filter((name) => name.endsWith('.eml'));
        return eml.length > 0 ? eml : null;
      },
      'the email is written to the outbox',
      15_000,
      200,
    );
    assert.equal(emails.length, 1, `one email in the outbox (${emails.join(', ')})`);
    const eml = await readFile(path.join(outbox, emails[0]), 'utf8');
    assert.ok(eml.includes(company.contact.email), 'the email is addressed to the contact');

    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('Copy link shows the link when the clipboard refuses it', { timeout: 30_000 }, async () => {
    const company = notRequested[3];
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
    });
    await page.goto(`${baseUrl}/`);
    const { actions, row } = await companyRow(page, company.name);
    await actions.click();
    await page.getByRole('menu', { name: `Actions for ${company.name}` }).getByRole('menuitem', { name: 'Copy link' }).click();
    const message = page.getByRole('status').filter({ hasText: `Link created for ${company.name}` });
    await message.waitFor();
    const text = await message.textContent();
    const shown = /(http:\/\/\S+?\/connect\/[A-Za-z0-9_-]+)/.exec(text)?.[1];
    assert.ok(shown, `the message shows the link (${text})`);
    await row.getByText('Requested', { exact: true }).waitFor();
    const consent = await server.api('GET', `/api/v1/consent/${tokenOf(shown)}`);
    assert.equal(consent.status, 200, `the link shown works (${consent.text})`);
    // It stays until dismissed, so there is time to copy it by hand.
    await page.waitForTimeout(7_000);
    assert.ok(await message.isVisible(), 'the message with the link stays');
    await assertAccessible(page, 'consent-rm-copy-link-fallback');
    await screenshot(page, 'consent-rm-copy-link-fallback');
    await message.getByRole('button', { name: 'Dismiss message' }).click();
    await message.waitFor({ state: 'detached' });
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('an invalid link says so, calmly', { timeout: 30_000 }, async () => {
    const { page, problems, expectFailedRequest } = await openPage(browser, CUSTOMER);
    expectFailedRequest(404, '/api/v1/consent/');
    await page.goto(`${baseUrl}/connect/not-a-real-token`);
    await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();
    await page.getByText(/ask .*for a new (link|one)/i).first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Grant access' }).count(), 0);
    await assertAccessible(page, 'consent-invalid');
    await screenshot(page, 'consent-invalid');

    // An address under /connect/ that is none of the customer's pages: a link cut short
    // or run together, said on the customer's card (not the portal's "page not found").
    await page.goto(`${baseUrl}/connect/not-a-real-token/and/more`);
    await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();
    assert.equal(await page.getByRole('banner').count(), 0, 'no portal top bar for the customer');
    assert.equal(await page.title(), 'This link is not valid');
    await assertAccessible(page, 'consent-incomplete');
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});

/** The list row of `name` and its ⋮ button. */
async function companyRow(page, name) {
  const actions = page.getByRole('button', { name: `Actions for ${name}`, exact: true });
  await actions.waitFor();
  const row = page.getByRole('row').filter({ has: actions });
  assert.equal(await row.count(), 1, `exactly one row for ${name}`);
  return { actions, row };
}

/** A new company, not requested yet, as the API adds it. */
async function newCompany(name) {
  const created = await server.api('POST', '/api/v1/companies', {
    name,
    contact_name: 'Morgan Field',
    contact_email: 'morgan.field@phonejourney.example',
    data_types: ['financials'],
  });
  assert.equal(created.status, 201, created.text);
  return created.json;
}

/** `POST …/information-requests {"delivery":"link"}`: a new customer link for the company. */
async function createLink(companyId) {
  const answer = await server.api('POST', `/api/v1/companies/${companyId}/information-requests`, { delivery: 'link' });
  assert.equal(answer.status, 201, answer.text);
  assert.equal(answer.json.delivery, 'link');
  assert.ok(answer.json.link?.startsWith(`${baseUrl}/connect/`), `the link is under SPENDLENS_PUBLIC_URL (${answer.json.link})`);
  return answer.json.link;
}

function tokenOf(link) {
  return new URL(link).pathname.split('/').pop();
}
