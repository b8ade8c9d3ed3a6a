// Browser end-to-end tests of the company list's live counts and bulk refresh: tick
// rows (or every company matching the filters) → Refresh selected → a progress bar
// fed by the refresh batch, while the rows update through the live-status poller.
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, isFocused, openPage, screenshot, waitFor, serverAndBrowser } from './support.mjs';

const REFRESH_TIMEOUT_MS = 60_000;
const REFRESH_IN_PROGRESS = /Refreshing…|Refresh queued/;
/** A demo company in Error whose customer has granted access: a refresh fixes it. */
const FAILED_WITH_ACCESS = 'Pembroke Pharmacy Ltd';
const PICKED = ['Aldgate Bakery Ltd', 'Brightwater Logistics plc', 'Cedar & Pine Furniture'];
const PAGE_SIZE = 50;

let server;
let baseUrl;
let browser;

  // One job at a time, 1.2 s per data type: a batch takes long enough to watch, and the
  // messages it shows stay long enough to read on a busy machine.
serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '1200', SPENDLENS_WORKER_CONCURRENCY: '1' }, (started) => ({ server, baseUrl, browser } = started));

/** The list row whose company link is named `name`. */
function rowOf(page, name) {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

async function openList(page) {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
  await page.getByRole('link', { name: PICKED[0], exact: true }).waitFor();
}

/** Counts the API calls the page makes, by kind. */
function countRequests(page) {
  const seen = { list: 0, counts: 0, statuses: 0, batches: [] };
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() === 'GET' && url.pathname === '/api/v1/companies') {
      seen.list += 1;
    } else if (url.pathname === '/api/v1/company-counts') {
      seen.counts += 1;
    } else if (url.pathname === '/api/v1/company-statuses') {
      seen.statuses += 1;
    } else if (request.method() === 'POST' && url.pathname === '/api/v1/refresh-batches') {
      seen.batches.push(request.postDataJSON());
    }
  });
  return seen;
}

async function expectCount(page, label, count) {
  const counts = page.getByRole('list', { name: 'Companies per status' });
  await counts.getByText(`${label}: ${count}`, { exact: true }).waitFor({ timeout: REFRESH_TIMEOUT_MS });
}

describe('bulk refresh and live counts', () => {
  test('the counts per status follow a status change seen by the live poller', { timeout: 120_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const seen = countRequests(page);
    const before = (await server.api('GET', '/api/v1/company-counts')).json;
    await openList(page);
    await expectCount(page, 'Error', before.error);
    await expectCount(page, 'Available', before.available);
    const listLoads = seen.list;
    const countLoads = seen.counts;

    // A company in Error that has access: refreshing it makes it Available.
    const row = rowOf(page, FAILED_WITH_ACCESS);
    await row.getByText('Error', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Actions for ${FAILED_WITH_ACCESS}`, exact: true }).click();
    await page
      .getByRole('menu', { name: `Actions for ${FAILED_WITH_ACCESS}` })
      .getByRole('menuitem', { name: 'Refresh data' })
      .click();
    await row.getByText(REFRESH_IN_PROGRESS).waitFor();
    await row.getByText('Available', { exact: true }).waitFor({ timeout: REFRESH_TIMEOUT_MS });

    // The toolbar's counts and the status filter's options follow, without reloading the list.
    await expectCount(page, 'Error', before.error - 1);
    await expectCount(page, 'Available', before.available + 1);
    const status = page.getByRole('combobox', { name: 'Status' });
    await status.getByRole('option', { name: `Error (${before.error - 1})` }).waitFor({ state: 'attached' });
    await status.getByRole('option', { name: `Available (${before.available + 1})` }).waitFor({ state: 'attached' });
    assert.ok(seen.statuses > 0, 'the live poller asked for the row');
    assert.ok(seen.counts > countLoads, 'the counts were asked for again');
    assert.equal(seen.list, listLoads, 'the list itself was not reloaded');
    await assertAccessible(page, 'bulk-counts-after-status-change');
    await screenshot(page, 'bulk-counts-after-status-change', { fullPage: true });
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('tick rows with the keyboard, Refresh selected, follow the progress bar', { timeout: 120_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const seen = countRequests(page);
    await openList(page);
    const bar = page.getByRole('group', { name: 'Bulk actions' });
    const refreshSelected = bar.getByRole('button', { name: 'Refresh selected', exact: true });
    assert.equal(await refreshSelected.getAttribute('aria-disabled'), 'true', 'nothing to refresh yet');

    const before = new Map();
    for (const name of PICKED) {
      const row = rowOf(page, name);
      await row.getByText('Available', { exact: true }).waitFor();
      before.set(name, Date.parse(await row.getByTestId('status-updated-at').getAttribute('datetime')));
      const box = page.getByRole('checkbox', { name: `Select ${name}`, exact: true });
      await box.focus();
      await page.keyboard.press('Space');
      assert.ok(await box.isChecked(), `${name} is ticked`);
    }
    await bar.getByText('3 companies selected.').waitFor();
    const selectPage = page.getByRole('checkbox', { name: 'Select all on this page' });
    assert.ok(!(await selectPage.isChecked()), 'the page is not all ticked');
    assert.ok(await selectPage.evaluate((box) => box.indeterminate), 'the header box shows a partial selection');
    assert.equal(await refreshSelected.getAttribute('aria-disabled'), 'false');
    await assertAccessible(page, 'bulk-selected');
    await screenshot(page, 'bulk-selected');

    // Keyboard: Refresh selected starts one batch for exactly these companies.
    await refreshSelected.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Refresh initiated for 3 companies' }).waitFor();
    const progress = page.getByRole('progressbar', { name: 'Bulk refresh progress' });
    await progress.waitFor();
    assert.equal(seen.batches.length, 1, 'one batch was created');
    const ids = seen.batches[0].company_ids;
    assert.equal(ids?.length, 3, 'the batch names the three ticked companies');
    assert.equal(await progress.getAttribute('aria-valuemax'), '3');
    assert.match(await progress.getAttribute('aria-valuenow'), /^[0-3]$/);

    // The selection is cleared, the focus stays on the button, the rows show the refresh.
    for (const name of PICKED) {
      assert.ok(!(await page.getByRole('checkbox', { name: `Select ${name}`, exact: true }).isChecked()), `${name} is no longer ticked`);
    }
    assert.ok(await isFocused(refreshSelected), 'the focus stays on Refresh selected');
    assert.equal(await refreshSelected.getAttribute('aria-disabled'), 'true');
    await rowOf(page, PICKED[0]).getByText(REFRESH_IN_PROGRESS).waitFor();
    const region = page.getByRole('region', { name: /^Refreshing 3 companies$|^Bulk refresh finished$/ });
    await region.getByText(/^[0-3] of 3 refreshed$/).waitFor();
    await assertAccessible(page, 'bulk-in-progress');
    await screenshot(page, 'bulk-in-progress');

    // Done: the bar is full, the words say so, every row shows its new time.
    await page
      .getByRole('region', { name: 'Bulk refresh finished' })
      .getByText('3 of 3 refreshed', { exact: true })
      .waitFor({ timeout: REFRESH_TIMEOUT_MS });
    await page.getByRole('status').filter({ hasText: 'Bulk refresh finished: 3 of 3 refreshed' }).waitFor();
    assert.equal(await progress.getAttribute('aria-valuenow'), '3');
    assert.equal(await progress.getAttribute('aria-valuetext'), '3 of 3 refreshed');
    for (const name of PICKED) {
      const row = rowOf(page, name);
      await row.getByText(REFRESH_IN_PROGRESS).waitFor({ state: 'detached', timeout: REFRESH_TIMEOUT_MS });
      await row.getByText('Available', { exact: true }).waitFor();
      const updatedAt = row.getByTestId('status-updated-at');
      await waitFor(
        async () => Date.parse(await updatedAt.getAttribute('datetime')) > before.get(name),
        `${name} shows its new update time`,
        REFRESH_TIMEOUT_MS,
      );
    }
    await assertAccessible(page, 'bulk-done');
    await screenshot(page, 'bulk-done', { fullPage: true });

    await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
    await progress.waitFor({ state: 'detached' });
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('select all matching companies refreshes by the list’s filters', { timeout: 180_000 }, async () => {
    // More companies than one page holds; none has granted access yet.
    const existing = (await server.api('GET', '/api/v1/company-counts')).json.total;
    for (let n = existing; n <= PAGE_SIZE + 4; n += 1) {
      const created = await server.api('POST', '/api/v1/companies', {
        name: `Zz Bulk Test Company ${String(n).padStart(2, '0')}`,
        contact_name: 'Casey North',
        contact_email: `casey.${n}@bulk.example`,
        data_types: ['financials'],
      });
      assert.equal(created.status, 201, created.text);
    }
    const total = (await server.api('GET', '/api/v1/company-counts')).json.total;
    assert.ok(total > PAGE_SIZE, `more companies (${total}) than a page (${PAGE_SIZE})`);

    const { page, problems } = await openPage(browser);
    const seen = countRequests(page);
    await openList(page);
    const bar = page.getByRole('group', { name: 'Bulk actions' });
    await page.getByRole('button', { name: 'Load more' }).waitFor();

    // Tick the page: the offer to tick every matching company appears.
    const selectPage = page.getByRole('checkbox', { name: 'Select all on this page' });
    await selectPage.focus();
    await page.keyboard.press('Space');
    assert.ok(await selectPage.isChecked(), 'the page is ticked');
    await bar.getByText(`All ${PAGE_SIZE} companies on this page are selected.`).waitFor();
    const offer = bar.getByRole('button', { name: `Select all ${total} matching companies` });
    await assertAccessible(page, 'bulk-offer');
    await screenshot(page, 'bulk-offer');
    await offer.focus();
    await page.keyboard.press('Enter');
    await bar.getByText(`All ${total} companies matching the filters are selected.`).waitFor();
    await offer.waitFor({ state: 'detached' });
    const refreshSelected = bar.getByRole('button', { name: 'Refresh selected', exact: true });
    assert.ok(await isFocused(refreshSelected), 'the focus moves on to Refresh selected');

    // Loading more keeps "all matching": the new rows come ticked.
    await page.getByRole('button', { name: 'Load more' }).click();
    const last = `Zz Bulk Test Company ${String(PAGE_SIZE + 4).padStart(2, '0')}`;
    await page.getByRole('checkbox', { name: `Select ${last}`, exact: true }).waitFor();
    assert.ok(await page.getByRole('checkbox', { name: `Select ${last}`, exact: true }).isChecked(), 'a row loaded later is ticked');

    const created = page.waitForResponse(
      (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/api/v1/refresh-batches',
    );
    await refreshSelected.click();
    const batch = await (await created).json();
    assert.deepEqual(seen.batches, [{ filter: {} }], 'the batch is asked by the list’s filters, not by ids');
    assert.ok(batch.total > 0 && batch.total < total, `some companies are refreshed (${batch.total} of ${total})`);

    const progress = page.getByRole('progressbar', { name: 'Bulk refresh progress' });
    await progress.waitFor();
    assert.equal(await progress.getAttribute('aria-valuemax'), String(batch.total));
    const skipped = total - batch.total;
    await page.getByText(`${skipped} companies not refreshed: the customer has not granted access yet.`, { exact: false }).waitFor();
    await bar.getByText('Select companies to refresh their data together.').waitFor();
    await waitFor(async () => Number(await progress.getAttribute('aria-valuenow')) > 0, 'a first refresh is done', REFRESH_TIMEOUT_MS);
    await assertAccessible(page, 'bulk-all-matching-in-progress');
    await screenshot(page, 'bulk-all-matching-in-progress');
    await page
      .getByRole('region', { name: 'Bulk refresh finished' })
      .getByText(`${batch.total} of ${batch.total} refreshed`, { exact: true })
      .waitFor({ timeout: REFRESH_TIMEOUT_MS });
    assert.equal(await progress.getAttribute('aria-valuenow'), String(batch.total));
    await assertAccessible(page, 'bulk-all-matching-done');
    await screenshot(page, 'bulk-all-matching-done');
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  test('Load more pages through the whole list with the API\'s cursor', { timeout: 60_000 }, async () => {
    // The test before made more companies than a page holds.
    const total = (await server.api('GET', '/api/v1/company-counts')).json.total;
    assert.ok(total > PAGE_SIZE, `more companies (${total}) than a page (${PAGE_SIZE})`);
    const { page, problems } = await openPage(browser);
    const listed = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/companies') {
        listed.push(url.searchParams.get('cursor'));
      }
    });
    await openList(page);
    // Each row's checkbox is named after its company.
    const names = async () =>
      Promise.all(
        (await page.getByRole('checkbox', { name: /^Select (?!all on this page)/ }).all()).map((box) => box.getAttribute('aria-label')),
      );
    const loadMore = page.getByRole('button', { name: 'Load more' });
    await loadMore.waitFor();
    // The rows are drawn a few at a time (pages/companies/table.rs).
    await waitFor(async () => (await names()).length === PAGE_SIZE, 'the first page');
    while ((await loadMore.count()) > 0) {
      const before = (await names()).length;
      await loadMore.click();
      await waitFor(async () => (await names()).length > before, 'the next page is appended');
    }
    await waitFor(async () => (await names()).length === total, 'every company is listed once the last page is loaded');
    const all = await names();
    assert.equal(new Set(all).size, all.length, 'no company twice');
    assert.equal(listed[0], null, 'the first page is asked without a cursor');
    assert.ok(listed.slice(1).every((cursor) => /^[0-9a-f-]{36}$/.test(cursor)), `later pages send the previous page's next_cursor (${listed})`);
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});
