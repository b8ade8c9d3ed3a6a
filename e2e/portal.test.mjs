// Browser end-to-end tests of the portal's company management: add, edit, the company
// page with its charts and refresh history, sorting and filtering, delete.
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, isFocused, openPage, screenshot, waitFor, serverAndBrowser } from './support.mjs';

const DEMO_AVAILABLE = 'Aldgate Bakery Ltd';
const NEW_COMPANY = 'Zephyr Test Foods Ltd';

let server;
let baseUrl;
let browser;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '300' }, (started) => ({ server, baseUrl, browser } = started));

/** The list row whose company link is named `name`. */
function rowOf(page, name) {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

async function openList(page) {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
  await page.getByRole('link', { name: DEMO_AVAILABLE, exact: true }).waitFor();
}

async function chooseAction(page, name, item) {
  await page.getByRole('button', { name: `Actions for ${name}`, exact: true }).click();
  await page.getByRole('menu', { name: `Actions for ${name}` }).getByRole('menuitem', { name: item }).click();
}

describe('portal', () => {
  test('add a company (a field error first), edit it, delete it', { timeout: 120_000 }, async () => {
    const { page, problems, expectFailedRequest } = await openPage(browser);
    await openList(page);

    // Add company: a bad email is refused beside its field.
    await page.getByRole('button', { name: 'Add company', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add company' });
    await dialog.waitFor();
    await dialog.getByLabel('Company name').fill(NEW_COMPANY);
    await dialog.getByLabel('Description').fill('Wholesale bakery supplies.');
    await dialog.getByLabel('Contact name').fill('Robin Vale');
    const email = dialog.getByLabel('Contact email');
    await email.fill('robin.vale-at-zephyr');
    await dialog.getByRole('checkbox', { name: /Alex Morgan/ }).check();
    assert.ok(await dialog.getByRole('checkbox', { name: 'Financials' }).isChecked(), 'Financials is asked by default');
    assert.ok(await dialog.getByRole('checkbox', { name: 'Spend detail' }).isChecked(), 'Spend detail is asked by default');
    await dialog.getByRole('checkbox', { name: 'Spend detail' }).uncheck();

    expectFailedRequest(422, '/api/v1/companies');
    await dialog.getByRole('button', { name: 'Save without sending' }).click();
    const emailError = dialog.getByText(/must be an email address/);
    await emailError.waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true', 'the refused field is marked invalid');
    const describedBy = await email.getAttribute('aria-describedby');
    assert.ok(describedBy, 'the refused field is described by its message');
    assert.equal(await emailError.getAttribute('id'), describedBy);
    await assertAccessible(page, 'portal-add-error');
    await screenshot(page, 'portal-add-error');

    // Valid now: saved, the dialog closes and the row appears.
    await email.fill('robin.vale@zephyrfoods.example');
    await dialog.getByRole('button', { name: 'Save without sending' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `${NEW_COMPANY} added` }).waitFor();
    const row = rowOf(page, NEW_COMPANY);
    await row.waitFor();
    await row.getByText('Not requested', { exact: true }).waitFor();
    await row.getByText('Robin Vale').waitFor();

    // ⋮ → Edit company details: prefilled; the change shows in the row.
    await chooseAction(page, NEW_COMPANY, 'Edit company details');
    const edit = page.getByRole('dialog', { name: `Edit ${NEW_COMPANY}` });
    await edit.waitFor();
    assert.equal(await edit.getByLabel('Company name').inputValue(), NEW_COMPANY);
    assert.equal(await edit.getByLabel('Contact email').inputValue(), 'robin.vale@zephyrfoods.example');
    assert.ok(await edit.getByRole('checkbox', { name: /Alex Morgan/ }).isChecked(), 'the assignee is kept');
    assert.ok(!(await edit.getByRole('checkbox', { name: 'Spend detail' }).isChecked()), 'the data requested is kept');
    await edit.getByLabel('Contact name').fill('Jordan Lee');
    await assertAccessible(page, 'portal-edit');
    await screenshot(page, 'portal-edit');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `${NEW_COMPANY} updated` }).waitFor();
    await rowOf(page, NEW_COMPANY).getByText('Jordan Lee').waitFor();

    // ⋮ → Delete company: a confirmation first; Cancel keeps it.
    await chooseAction(page, NEW_COMPANY, 'Delete company');
    let confirm = page.getByRole('dialog', { name: `Delete ${NEW_COMPANY}?` });
    await confirm.waitFor();
    await confirm.getByText(/all its data/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await rowOf(page, NEW_COMPANY).waitFor();

    await chooseAction(page, NEW_COMPANY, 'Delete company');
    confirm = page.getByRole('dialog', { name: `Delete ${NEW_COMPANY}?` });
    await confirm.waitFor();
    await assertAccessible(page, 'portal-delete');
    await screenshot(page, 'portal-delete');
    await confirm.getByRole('button', { name: 'Delete company' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `${NEW_COMPANY} deleted` }).waitFor();
    await page.getByRole('link', { name: NEW_COMPANY, exact: true }).waitFor({ state: 'detached' });
    const gone = await server.api('GET', `/api/v1/companies?q=${encodeURIComponent(NEW_COMPANY)}`);
    assert.equal(gone.json.items.length, 0, 'the server no longer has it');

    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('Save and preview request opens the request for the new company', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    await openList(page);
    const name = 'Preview Works Ltd';
    await page.getByRole('button', { name: 'Add company', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add company' });
    await dialog.getByLabel('Company name').fill(name);
    await dialog.getByLabel('Contact name').fill('Casey North');
    await dialog.getByLabel('Contact email').fill('casey@previewworks.example');
    await dialog.getByRole('button', { name: 'Save and preview request' }).click();
    const request = page.getByRole('dialog', { name: `Request information from ${name}` });
    await request.waitFor();
    await request.getByText('casey@previewworks.example').waitFor();
    await request.getByRole('button', { name: 'Cancel' }).click();
    await request.waitFor({ state: 'detached' });
    await rowOf(page, name).waitFor();
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('the company page shows details, charts and the refresh history', { timeout: 120_000 }, async () => {
    const { page, problems } = await openPage(browser);
    await openList(page);
    await page.getByRole('link', { name: DEMO_AVAILABLE, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: DEMO_AVAILABLE }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/companies\/[0-9a-f-]{36}$/);

    await page.getByText('Available', { exact: true }).first().waitFor();
    await page.getByText('Priya Shah').waitFor();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    for (const chart of [/Profit and loss/, /Top suppliers by spend/, /Accounts payable ageing/]) {
      await page.getByRole('img', { name: chart }).waitFor();
    }
    const id = new URL(page.url()).pathname.split('/').pop();
    const pnl = await server.api('GET', `/api/v1/companies/${id}/reports/profit_and_loss`);
    const pnlLabel = await page.getByRole('img', { name: /Profit and loss/ }).getAttribute('aria-label');
    assert.ok(pnlLabel.includes(pnl.json.data.currency), `the chart names the report's currency (${pnlLabel})`);
    const supplierBars = await page.getByRole('img', { name: /Top suppliers/ }).locator('rect').count();
    assert.ok(supplierBars > 0 && supplierBars <= 10, `at most ten suppliers (${supplierBars})`);
    await assertAccessible(page, 'portal-company');
    await screenshot(page, 'portal-company', { fullPage: true });

    // Refresh data: the page shows it running, then the history records it.
    await page.getByRole('button', { name: 'Refresh data' }).click();
    await page.getByRole('status').filter({ hasText: `Refresh initiated for ${DEMO_AVAILABLE}` }).waitFor();
    const history = page.getByRole('table', { name: 'Refresh history' });
    await history.waitFor();
    await history.getByRole('row').filter({ hasText: 'Manual' }).filter({ hasText: 'Succeeded' }).first().waitFor({ timeout: 30_000 });
    await page.getByText(/Refreshing…|Refresh queued/).waitFor({ state: 'detached', timeout: 30_000 });
    // Two versions of the spend detail now: what changed between them, as the API says.
    const changes = await server.api('GET', `/api/v1/companies/${id}/changes`);
    assert.ok(changes.json.since, 'two refreshes are compared');
    const card = page.getByRole('region', { name: 'What changed since the last refresh' });
    await card.waitFor();
    const payables = changes.json.accounts_payable;
    const figure = (value) => Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    await card.getByText(`${changes.json.currency} ${figure(payables.before)} → ${changes.json.currency} ${figure(payables.after)}`, { exact: false }).waitFor();
    await assertAccessible(page, 'portal-company-refreshed');
    await screenshot(page, 'portal-company-refreshed', { fullPage: true });

    // The browser's back button returns to the list.
    const address = page.url();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');

    // A deep link shows the same page; its breadcrumb leads back to the list.
    await page.goto(address);
    await page.getByRole('heading', { level: 1, name: DEMO_AVAILABLE }).waitFor();
    await page.getByRole('img', { name: /Profit and loss/ }).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: /All companies/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();

    // Ctrl+click is the browser's: the company opens in a new tab, this page stays.
    const [tab] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('link', { name: DEMO_AVAILABLE, exact: true }).click({ modifiers: ['Control'] }),
    ]);
    await tab.waitForURL(`${baseUrl}/companies/${id}`);
    await tab.close();
    assert.equal(new URL(page.url()).pathname, '/');

    // The skip link moves focus to the page's content.
    await page.getByRole('link', { name: 'Skip to content' }).press('Enter');
    await waitFor(() => isFocused(page.getByRole('main')), 'the content has focus');
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('a company in Error shows why and what to do', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const failing = (await server.api('GET', '/api/v1/companies?status=error')).json.items[0];
    assert.ok(failing, 'the demo data has a company in Error');
    await page.goto(`${baseUrl}/companies/${failing.id}`);
    await page.getByRole('heading', { level: 1, name: failing.name }).waitFor();
    await page.getByText('Error', { exact: true }).first().waitFor();
    await page.getByText(failing.error.message).waitFor();
    await page.getByText(/^What to do: /).waitFor();
    await assertAccessible(page, 'portal-company-error');
    await screenshot(page, 'portal-company-error', { fullPage: true });
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('sort by column, filter by user, counts per status', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    await openList(page);
    const firstName = () => page.getByRole('row').nth(1).getByRole('link').first().textContent();
    const header = page.getByRole('columnheader', { name: 'Company' });
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    const ascendingFirst = await firstName();

    await header.getByRole('button', { name: 'Company' }).click();
    await page.waitForFunction(
      (name) => document.querySelector('tbody tr a')?.textContent !== name,
      ascendingFirst,
    );
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    const descendingFirst = await firstName();
    assert.notEqual(descendingFirst, ascendingFirst, 'the first row changed');
    assert.ok(descendingFirst.localeCompare(ascendingFirst) > 0, `${descendingFirst} sorts after ${ascendingFirst}`);

    const statusHeader = page.getByRole('columnheader', { name: 'Status' });
    await statusHeader.getByRole('button', { name: 'Status' }).click();
    assert.equal(await statusHeader.getAttribute('aria-sort'), 'ascending');
    assert.equal(await header.getAttribute('aria-sort'), 'none');

    // Counts per status, beside the status filter.
    const counts = page.getByRole('list', { name: 'Companies per status' });
    await counts.getByText(/^Available: \d+$/).waitFor();
    const status = page.getByRole('combobox', { name: 'Status' });
    await status.getByRole('option', { name: /^Available \(\d+\)$/ }).waitFor({ state: 'attached' });

    // Filter by user: only that user's companies, and the counts follow.
    const users = page.getByRole('combobox', { name: 'Assigned to' });
    await users.getByRole('option', { name: 'Sam Patel' }).waitFor({ state: 'attached' });
    const all = (await server.api('GET', '/api/v1/company-counts')).json.total;
    await users.selectOption({ label: 'Sam Patel' });
    const userId = await users.inputValue();
    const expected = (await server.api('GET', `/api/v1/company-counts?assignee=${userId}`)).json;
    assert.ok(expected.total < all, 'the user has fewer companies than the organization');
    await status.getByRole('option', { name: `All statuses (${expected.total})` }).waitFor({ state: 'attached' });
    await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, expected.total);
    await assertAccessible(page, 'portal-list');
    await screenshot(page, 'portal-list', { fullPage: true });
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});
