// Browser end-to-end tests of the admin pages: users (invite, change a role, the
// last-admin guard, deactivate), API keys (create, see the secret once, use it,
// revoke it; a deactivated creator's key is marked stopped) and the audit log (the entries those left, filters, CSV export); and
// what a relationship manager sees instead.
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, DEMO_ADMIN, openPage, screenshot, waitFor, serverAndBrowser } from './support.mjs';

const ALEX = { name: 'Alex Morgan', email: 'alex.morgan@demobank.example' };
const SAM = { name: 'Sam Patel', email: 'sam.patel@demobank.example' };
const RILEY = { name: 'Riley Chen', email: 'riley.chen@demobank.example' };
const KEY_NAME = 'Loan origination system';
const SAM_KEY_NAME = 'Treasury export';

let server;
let baseUrl;
let browser;

serverAndBrowser({}, (started) => ({ server, baseUrl, browser } = started));

/** The account menu, opened. */
async function openAccountMenu(page) {
  await page.getByRole('button', { name: /: account$/ }).click();
  return page.getByRole('menu', { name: /: account$/ });
}

/** The row of the table that holds `text`. */
function rowWith(page, text) {
  return page.getByRole('row').filter({ hasText: text });
}

/** `fetch` against the API with a bearer key, as an integrator would. */
async function callWithKey(key, pathname) {
  const response = await fetch(`${baseUrl}${pathname}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${key}` },
  });
  return response.status;
}

describe('admin pages', () => {
  test('a relationship manager sees no admin links and gets "Admins only"', { timeout: 30_000 }, async () => {
    const { context, page, problems } = await openPage(browser, { user: { email: ALEX.email } });
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    const menu = await openAccountMenu(page);
    await menu.waitFor();
    const items = await menu.getByRole('menuitem').allTextContents();
    assert.deepEqual(items.map((item) => item.trim()), ['Sign out'], 'only Sign out for a relationship manager');

    for (const address of ['/admin/users', '/admin/api-keys', '/admin/audit']) {
      await page.goto(`${baseUrl}${address}`);
      await page.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Administration' }).count(), 0);
      assert.equal(await page.getByRole('table').count(), 0, `no admin data at ${address}`);
    }
    await page.getByRole('link', { name: 'Go to companies' }).waitFor();
    await assertAccessible(page, 'admin-admins-only');
    await screenshot(page, 'admin-admins-only');
    // The API agrees: the same session is refused the admin endpoints.
    const answer = await context.request.get(`${baseUrl}/api/v1/api-keys`);
    assert.equal(answer.status(), 403);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('users: invite, the last-admin guard, change a role, deactivate', { timeout: 60_000 }, async () => {
    const { context, page, problems, expectFailedRequest } = await openPage(browser);
    await page.goto(`${baseUrl}/`);
    const menu = await openAccountMenu(page);
    const items = await menu.getByRole('menuitem').allTextContents();
    assert.deepEqual(items.map((item) => item.trim()), ['Users', 'API keys', 'Audit log', 'Sign out']);
    await menu.getByRole('menuitem', { name: 'Users' }).click();
    await page.waitForURL(`${baseUrl}/admin/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Administration' });
    assert.equal(await tabs.getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');
    await rowWith(page, ALEX.email).waitFor();
    await rowWith(page, SAM.email).waitFor();

    // Invite: the new user is listed at once, invitation pending.
    await page.getByRole('button', { name: 'Invite user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a user' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Name' }).fill(RILEY.name);
    await dialog.getByRole('textbox', { name: 'Email' }).fill(RILEY.email);
    await dialog.getByRole('combobox', { name: 'Role' }).selectOption({ label: 'Relationship manager' });
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Invitation sent to ${RILEY.email}` }).waitFor();
    const riley = rowWith(page, RILEY.email);
    await riley.getByText('Invitation pending').waitFor();
    assert.equal(await riley.getByRole('combobox', { name: `Role of ${RILEY.name}` }).inputValue(), 'relationship_manager');

    // Inviting the same address again is refused, with the reason in the dialog.
    expectFailedRequest(409, '/api/v1/users');
    await page.getByRole('button', { name: 'Invite user' }).click();
    await dialog.getByRole('textbox', { name: 'Name' }).fill(RILEY.name);
    await dialog.getByRole('textbox', { name: 'Email' }).fill(RILEY.email);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'already a user' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The only admin can't make themselves a relationship manager: the API's reason
    // is shown and the select goes back to Admin.
    const adminRow = rowWith(page, DEMO_ADMIN);
    const adminRole = adminRow.getByRole('combobox', { name: /^Role of / });
    expectFailedRequest(409, '/api/v1/users/');
    await adminRole.selectOption('relationship_manager');
    await page.getByRole('alert').filter({ hasText: 'at least one active admin' }).waitFor();
    await waitFor(async () => (await adminRole.inputValue()) === 'admin', 'the role select is back on Admin');

    // Change a role.
    const samRole = page.getByRole('combobox', { name: `Role of ${SAM.name}` });
    await samRole.selectOption({ label: 'Admin' });
    await page.getByRole('status').filter({ hasText: `${SAM.name} is now an admin` }).waitFor();
    const users = await server.api('GET', '/api/v1/users');
    assert.equal(users.json.items.find((user) => user.email === SAM.email).role, 'admin');

    // Deactivate, after a confirmation; the button then offers to reactivate.
    await page.getByRole('button', { name: `Deactivate ${ALEX.name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Deactivate ${ALEX.name}?` });
    await confirm.getByText('the API keys they created stop working').waitFor();
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `${ALEX.name} is deactivated` }).waitFor();
    await rowWith(page, ALEX.email).getByText('Deactivated').waitFor();
    await page.getByRole('button', { name: `Reactivate ${ALEX.name}` }).waitFor();
    const signIn = await fetch(`${baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ALEX.email, password: 'spendlens-demo' }),
    });
    assert.equal(signIn.status, 401, 'a deactivated user cannot sign in');
    await assertAccessible(page, 'admin-users');
    await screenshot(page, 'admin-users', { fullPage: true });

    // Reactivate (no confirmation needed to give access back).
    await page.getByRole('button', { name: `Reactivate ${ALEX.name}` }).click();
    await page.getByRole('status').filter({ hasText: `${ALEX.name} can sign in again` }).waitFor();
    await rowWith(page, ALEX.email).getByText('Active', { exact: true }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('API keys: create, shown once, used, revoked', { timeout: 60_000 }, async () => {
    const { context, page, problems } = await openPage(browser, {
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    await page.goto(`${baseUrl}/admin/api-keys`);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await rowWith(page, 'e2e').waitFor();

    await page.getByRole('textbox', { name: "New key's name" }).fill(KEY_NAME);
    await page.getByRole('button', { name: 'Create key' }).click();
    const reveal = page.getByRole('region', { name: `Your new API key: ${KEY_NAME}` });
    await reveal.waitFor();
    await reveal.getByText('you will not see it again').waitFor();
    const key = await reveal.getByRole('textbox', { name: 'New API key' }).inputValue();
    assert.match(key, /^slk_/);
    await reveal.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('status').filter({ hasText: 'API key copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await assertAccessible(page, 'admin-api-key-created');
    await screenshot(page, 'admin-api-key-created', { fullPage: true });

    const row = rowWith(page, KEY_NAME);
    await row.getByText('Never').waitFor();
    assert.ok((await row.textContent()).includes(key.slice(0, 8)), 'the row shows the key prefix');

    // The key works.
    assert.equal(await callWithKey(key, '/api/v1/companies'), 200);

    // Gone once dismissed, and not shown again after a reload.
    await reveal.getByRole('button', { name: 'I have copied it' }).click();
    await reveal.waitFor({ state: 'detached' });
    await page.reload();
    await row.waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'New API key' }).count(), 0);
    assert.equal(await page.getByText(key).count(), 0, 'the secret is not on the page any more');
    assert.equal(await row.getByText('Never').count(), 0, 'the key shows when it was last used');

    // Revoke: after a confirmation the row says so, and the key is refused.
    await page.getByRole('button', { name: `Revoke ${KEY_NAME}` }).click();
    const confirm = page.getByRole('dialog', { name: `Revoke ${KEY_NAME}?` });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('status').filter({ hasText: `${KEY_NAME} is revoked` }).waitFor();
    await row.getByText('Revoked').waitFor();
    assert.equal(await page.getByRole('button', { name: `Revoke ${KEY_NAME}` }).count(), 0);
    assert.equal(await callWithKey(key, '/api/v1/companies'), 401);

    // A key made by an admin (Sam, promoted above) stops while Sam is deactivated, and
    // the list says why; it works again once Sam is reactivated.
    const sam = await openPage(browser, { user: { email: SAM.email } });
    const samSession = await (await sam.context.request.get(`${baseUrl}/api/v1/session`)).json();
    const made = await sam.context.request.post(`${baseUrl}/api/v1/api-keys`, {
      headers: { 'x-csrf-token': samSession.csrf_token },
      data: { name: SAM_KEY_NAME },
    });
    assert.equal(made.status(), 201);
    const samKey = (await made.json()).key;
    await sam.context.close();
    assert.equal(await callWithKey(samKey, '/api/v1/companies'), 200);
    const adminSession = await (await context.request.get(`${baseUrl}/api/v1/session`)).json();
    const setSamActive = async (active) => {
      const answer = await context.request.patch(`${baseUrl}/api/v1/users/${samSession.user.id}`, {
        headers: { 'x-csrf-token': adminSession.csrf_token },
        data: { active },
      });
      assert.equal(answer.status(), 200);
    };
    await setSamActive(false);
    assert.equal(await callWithKey(samKey, '/api/v1/companies'), 401);
    await page.reload();
    await rowWith(page, SAM_KEY_NAME).getByText('Stopped: its creator was deactivated').waitFor();
    await setSamActive(true);
    assert.equal(await callWithKey(samKey, '/api/v1/companies'), 200);
    await page.reload();
    await rowWith(page, SAM_KEY_NAME).getByText('Active', { exact: true }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('audit log: the entries, filters and CSV export', { timeout: 60_000 }, async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(`${baseUrl}/admin/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const table = page.getByRole('table', { name: 'Audit log' });
    for (const action of ['user.invited', 'user.updated', 'api_key.created', 'api_key.revoked']) {
      await table.getByRole('row').filter({ hasText: action }).first().waitFor();
    }
    await rowWith(page, 'user.invited').filter({ hasText: RILEY.email }).waitFor();
    await rowWith(page, 'user.updated').filter({ hasText: 'role: admin' }).first().waitFor();
    await assertAccessible(page, 'admin-audit');
    await screenshot(page, 'admin-audit', { fullPage: true });

    // Filter by action: only those entries stay.
    await page.getByRole('combobox', { name: 'Action' }).selectOption('api_key.revoked');
    await waitFor(async () => {
      const actions = await table.getByRole('row').locator('code').allTextContents();
      return actions.length === 1 && actions[0] === 'api_key.revoked';
    }, 'only the revocation is listed');
    await rowWith(page, 'api_key.revoked').filter({ hasText: KEY_NAME }).waitFor();

    // Filter by who did it as well: nobody but the admin revoked keys.
    await page.getByRole('combobox', { name: 'User' }).selectOption({ label: SAM.name });
    await page.getByText('No entries match these filters.').waitFor();
    await page.getByRole('combobox', { name: 'User' }).selectOption({ label: 'Anyone' });
    await rowWith(page, 'api_key.revoked').waitFor();

    // The CSV export follows the filters, and downloads with the session.
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    assert.equal(href, '/api/v1/audit-events?format=csv&action=api_key.revoked');
    const csv = await context.request.get(`${baseUrl}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    assert.equal(lines.length, 2, 'the header and the one revocation');
    assert.ok(lines[1].includes('api_key.revoked'));

    // A date range that ends before today has none of these entries.
    await page.getByRole('combobox', { name: 'Action' }).selectOption('');
    await page.getByLabel('To', { exact: true }).fill('2020-01-01');
    await page.getByText('No entries match these filters.').waitFor();
    assert.match(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'), /until=2020-01-0[12]T/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
