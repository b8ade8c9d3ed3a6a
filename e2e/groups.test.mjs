// Browser end-to-end test of client groups (issue #21): a customer connects two sandbox
// entities of one group through one link and uploads the template for a third; the RM
// sees the group's rolled-up status, expands it, refreshes the group and watches both
// connected entities refresh while the uploaded one is named as not refreshable; the
// consolidated workbook downloads from the group's reports. The real server with a
// fresh SQLite database, the built SPA, headless Chromium (see support.mjs). The
// workbook's figures are checked with calamine in the API tests (groups.rs).
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP,
  PHONE,
  assertAccessible,
  assertFitsWidth,
  openPage,
  screenshot,
  serverAndBrowser,
} from './support.mjs';

const CUSTOMER = { signedIn: false };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let server;
let baseUrl;
let browser;

serverAndBrowser({}, async (started) => {
  ({ server, baseUrl, browser } = started);
});

async function grantSandbox(page) {
  const sandbox = page.getByRole('radio', { name: /Sandbox/ });
  await sandbox.check();
  await page.getByRole('button', { name: 'Grant access' }).click();
  await page.getByRole('heading', { level: 1, name: 'Thank you' }).waitFor();
}

async function addEntity(page, name) {
  await page.getByLabel('Company name').fill(name);
  await page.getByRole('button', { name: 'Connect another company' }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`${name}'s accounting data`) }).waitFor();
}

describe('client groups', () => {
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`a group connected entity after entity through one link, rolled up, expanded and refreshed as one (${size})`, { timeout: 180_000 }, async () => {
    const prefix = size === 'desktop' ? 'Kestrel' : 'Osprey';
    const GROUP = `${prefix} Group`;
    const TRADING = `${prefix} Trading Ltd`;
    const SERVICES = `${prefix} Services Ltd`;
    const created = await server.api('POST', '/api/v1/companies', {
      name: GROUP,
      contact_name: 'Ada Kestrel',
      contact_email: 'ada@kestrel.example',
      data_types: ['financials', 'spend_detail'],
    });
    assert.equal(created.status, 201, created.text);
    const group = created.json;
    const request = await server.api('POST', `/api/v1/companies/${group.id}/information-requests`, { delivery: 'link' });
    assert.equal(request.status, 201, request.text);

    // The customer: the group's own books, then Trading, through the same request.
    const { page: customer, problems } = await openPage(browser, { ...CUSTOMER, viewport });
    await customer.goto(request.json.link);
    await customer.getByRole('heading', { level: 1 }).waitFor();
    await grantSandbox(customer);
    await customer.getByRole('heading', { name: 'Another company in your group?' }).waitFor();
    await assertAccessible(customer, 'the thank-you page with "another company"');
    await addEntity(customer, TRADING);
    await customer.getByText(`One of the companies of ${GROUP}`).waitFor();
    const companies = customer.getByRole('list').filter({ hasText: GROUP });
    await companies.getByText(/Connected: Sandbox/).waitFor();
    await assertAccessible(customer, 'the consent page of a group\u2019s second entity');
    await assertFitsWidth(customer, 'the consent page of a group\u2019s second entity');
    await screenshot(customer, `${size}-group-second-entity-consent`, { fullPage: true });
    await grantSandbox(customer);

    // A third entity whose software isn't listed: the template.
    await addEntity(customer, SERVICES);
    await customer.getByText("My software isn't listed").click();
    const template = Buffer.from(await (await fetch(`${baseUrl}/api/v1/upload-template/spendlens-template.xlsx`)).arrayBuffer());
    await customer.getByLabel(/Upload the filled-in workbook/).setInputFiles({ name: 'services.xlsx', mimeType: XLSX, buffer: template });
    await customer.getByRole('button', { name: 'Upload', exact: true }).click();
    await customer.getByText('can now see the data you uploaded').waitFor();
    assert.deepEqual(problems, [], 'no console errors or failed requests on the customer\u2019s pages');
    await customer.close();

    // The RM: one row for the group, all three Available once the first fetches finish.
    const { page: rm, problems: rmProblems } = await openPage(browser, { viewport });
    await rm.goto(`${baseUrl}/`);
    const actions = rm.getByRole('button', { name: `Actions for ${GROUP}`, exact: true });
    await actions.waitFor();
    const row = rm.getByRole('row').filter({ has: actions });
    const toggle = row.getByRole('button', { name: 'Group of 3 entities' });
    for (let attempt = 0; attempt < 60; attempt += 1) {
      if ((await row.getByText('all 3 entities').count()) > 0) break;
      await rm.waitForTimeout(1000);
      await rm.reload();
      await actions.waitFor();
    }
    await row.getByText('all 3 entities').waitFor();
    await row.getByText('Available', { exact: true }).waitFor();
    assert.equal(await rm.getByRole('link', { name: TRADING }).count(), 0, 'entities are listed under their group');

    // Expanded in place: its own books, then each entity with its own ⋮.
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await rm.getByRole('link', { name: `${GROUP} (own books)` }).waitFor();
    await rm.getByRole('link', { name: TRADING }).waitFor();
    const servicesActions = rm.getByRole('button', { name: `Actions for ${SERVICES}`, exact: true });
    const servicesRow = rm.getByRole('row').filter({ has: servicesActions });
    await servicesRow.getByText('Uploaded', { exact: true }).waitFor();
    await servicesActions.click();
    const servicesMenu = rm.getByRole('menu', { name: `Actions for ${SERVICES}` });
    await servicesMenu.getByRole('menuitem', { name: 'Request a new upload' }).waitFor();
    assert.equal(await servicesMenu.getByRole('menuitem', { name: 'Refresh data' }).count(), 0);
    await rm.keyboard.press('Escape');
    await assertAccessible(rm, `the company list with a group expanded (${size})`);
    await assertFitsWidth(rm, `the company list with a group expanded (${size})`);
    await screenshot(rm, `${size}-group-expanded`, { fullPage: true });

    // ⋮ → Refresh data on the group: both connected entities, the uploaded one named.
    await actions.click();
    await rm.getByRole('menu', { name: `Actions for ${GROUP}` }).getByRole('menuitem', { name: 'Refresh data' }).click();
    await rm.getByText(`Refresh initiated for ${GROUP}: 2 entities; not refreshable (uploaded): ${SERVICES}`).waitFor();
    await rm.getByText(`Refresh of ${GROUP} finished: 2 of 2 refreshed`).waitFor({ timeout: 60_000 });
    await row.getByText('all 3 entities').waitFor();
    const refreshes = await server.api('GET', `/api/v1/companies/${group.id}/refreshes`);
    assert.equal(refreshes.json[0].trigger, 'bulk', 'the group refresh is a batch');

    // The consolidated workbook, from the group's reports.
    await row.getByRole('button', { name: `Reports for ${GROUP}` }).click();
    const consolidated = rm.getByRole('link', { name: /Consolidated spend and AP ageing/ });
    const href = await consolidated.getAttribute('href');
    assert.equal(href, `/api/v1/companies/${group.id}/consolidated-report?format=xlsx`);
    const download = await server.api('GET', href);
    assert.equal(download.status, 200);
    await rm.keyboard.press('Escape');
    assert.deepEqual(rmProblems, [], 'no console errors or failed requests in the portal');
    await rm.close();
  });
  }
});
