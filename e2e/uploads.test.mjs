// Browser end-to-end tests of the upload fallback (issue #21): the customer whose
// software isn't listed downloads the template, uploads a file with a mistake and is
// shown where it is, then uploads the workbook; the RM sees the company Available and
// "Uploaded", with "Request a new upload" in place of "Refresh data"; a user uploads the
// three CSV files on a customer's behalf from the company page. The real server with a
// fresh SQLite database, the built SPA, headless Chromium (see support.mjs).
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

/** A file of the template, as the API serves it to anyone. */
async function templateFile(name) {
  const answer = await fetch(`${baseUrl}/api/v1/upload-template/${name}`);
  assert.equal(answer.status, 200, name);
  return Buffer.from(await answer.arrayBuffer());
}

async function newCompany(name) {
  const created = await server.api('POST', '/api/v1/companies', {
    name,
    contact_name: 'Robin Hale',
    contact_email: 'robin.hale@upload.example',
    data_types: ['spend_detail'],
  });
  assert.equal(created.status, 201, created.text);
  return created.json;
}

async function createLink(companyId) {
  const answer = await server.api('POST', `/api/v1/companies/${companyId}/information-requests`, { delivery: 'link' });
  assert.equal(answer.status, 201, answer.text);
  return answer.json.link;
}

/** The three CSV files, the bills' first date made impossible (the 45th). */
async function csvFilesWithABadDate() {
  const files = [];
  for (const name of ['suppliers.csv', 'bills.csv', 'bill_payments.csv']) {
    let text = (await templateFile(name)).toString('utf8');
    if (name === 'bills.csv') {
      const [header, first, ...rest] = text.split('\n');
      const broken = first.replace(/\d{2}\/\d{2}\/\d{4}|\d{4}-\d{2}-\d{2}/, '45/01/2026');
      assert.notEqual(broken, first, `the example bill has a date: ${first}`);
      text = [header, broken, ...rest].join('\n');
    }
    files.push({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  }
  return files;
}

async function companyRow(page, name) {
  const actions = page.getByRole('button', { name: `Actions for ${name}`, exact: true });
  await actions.waitFor();
  const row = page.getByRole('row').filter({ has: actions });
  return { actions, row };
}

describe('the upload fallback', () => {
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`the customer uploads the template instead of connecting (${size})`, { timeout: 120_000 }, async () => {
      const company = await newCompany(`Upload Journey ${size} Ltd`);
      const link = await createLink(company.id);

      const { page: customer, problems, expectFailedRequest } = await openPage(browser, { ...CUSTOMER, viewport });
      expectFailedRequest(422, '/upload');
      await customer.goto(link);
      await customer.getByRole('heading', { level: 1 }).waitFor();
      await customer.getByText("My software isn't listed").click();
      const upload = customer.getByRole('button', { name: 'Upload', exact: true });
      await upload.waitFor();
      // The template's files are links to the API's template.
      const workbookLink = customer.getByRole('link', { name: 'Template workbook (.xlsx)' });
      assert.match(await workbookLink.getAttribute('href'), /\/api\/v1\/upload-template\/spendlens-template\.xlsx\?dates=day_first$/);
      await assertFitsWidth(customer, `the consent page with the upload form (${size})`);
      await assertAccessible(customer, `the consent page with the upload form (${size})`);

      // A file with a mistake: told where, and nothing is stored.
      await customer.getByLabel(/Upload the filled-in workbook/).setInputFiles(await csvFilesWithABadDate());
      await upload.click();
      const alert = customer.getByRole('alert').filter({ hasText: 'Nothing was stored' });
      await alert.waitFor();
      const listed = await alert.textContent();
      assert.match(listed, /bills\.csv, row 2, Issue date:/, listed);
      await assertAccessible(customer, `the upload's problems (${size})`);
      await screenshot(customer, `${size}-upload-problems`);
      const unchanged = await server.api('GET', `/api/v1/companies/${company.id}`);
      assert.equal(unchanged.json.status, 'requested', 'nothing was stored');

      // The workbook, filled in: thank you.
      await customer.getByLabel(/Upload the filled-in workbook/).setInputFiles({
        name: 'my-books.xlsx',
        mimeType: XLSX,
        buffer: await templateFile('spendlens-template.xlsx'),
      });
      await upload.click();
      await customer.getByRole('heading', { name: 'Thank you' }).waitFor();
      await customer.getByText('can now see the data you uploaded').waitFor();
      await screenshot(customer, `${size}-upload-done`);
      assert.deepEqual(problems, [], 'no console errors or failed requests but the 422');

      // The RM: Available, "Uploaded", and a new upload instead of a refresh.
      const { page: rm } = await openPage(browser, { viewport });
      await rm.goto(`${baseUrl}/`);
      const { actions, row } = await companyRow(rm, company.name);
      await row.getByText('Available', { exact: true }).waitFor();
      await row.getByText('Uploaded', { exact: true }).waitFor();
      await actions.click();
      const menu = rm.getByRole('menu', { name: `Actions for ${company.name}` });
      await menu.getByRole('menuitem', { name: 'Request a new upload' }).waitFor();
      assert.equal(await menu.getByRole('menuitem', { name: 'Refresh data' }).count(), 0);
      await rm.keyboard.press('Escape');
      await rm.close();
      await customer.close();
    });
  }

  test('a user uploads the CSV files on the customer\u2019s behalf from the company page', { timeout: 120_000 }, async () => {
    const company = await newCompany('Behalf Upload Ltd');
    const { page } = await openPage(browser, { viewport: DESKTOP });
    await page.goto(`${baseUrl}/companies/${company.id}`);
    await page.getByRole('heading', { name: company.name, level: 1 }).waitFor();
    await page.getByText("Upload the customer's data from the template").click();
    const files = [];
    for (const name of ['suppliers.csv', 'bills.csv', 'bill_payments.csv']) {
      files.push({ name, mimeType: 'text/csv', buffer: await templateFile(name) });
    }
    await page.getByLabel(/Upload the filled-in workbook/).setInputFiles(files);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `Data uploaded for ${company.name}` }).waitFor();
    await page.getByText(/Uploaded by .+ from suppliers\.csv, bills\.csv, bill_payments\.csv/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Refresh data' }).count(), 0, 'nothing to refresh');
    await page.getByRole('button', { name: 'Request a new upload' }).waitFor();
    await assertAccessible(page, 'a company page with uploaded data');
    await page.close();
  });
});
