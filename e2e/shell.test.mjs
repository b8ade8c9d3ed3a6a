// Browser end-to-end tests of index.html's shell: what each kind of address shows
// while the wasm is still on its way (the portal's top bar, the sign-in card, the
// customer's card), and that the app takes its place once it runs.
//
// The wasm is held back until the test lets it through, so "before the app" is certain.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, serverAndBrowser } from './support.mjs';

let baseUrl;
let browser;
let server;

serverAndBrowser({}, (started) => ({ baseUrl, browser, server } = started));

/** Holds every request for the wasm until `release()` is called. */
async function holdWasm(page) {
  let release;
  const released = new Promise((resolve) => {
    release = resolve;
  });
  await page.route('**/*_bg.wasm', async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

/** The wasm files the page asks for, by path. */
function wasmsAsked(page) {
  const asked = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.endsWith('_bg.wasm')) asked.push(pathname);
  });
  return asked;
}

describe('the shell before the app', () => {
  test('the portal shows its top bar before the wasm, then the company list', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const wasms = wasmsAsked(page);
    const release = await holdWasm(page);
    await page.goto(`${baseUrl}/`, { waitUntil: 'domcontentloaded' });
    const banner = page.getByRole('banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Spendlens\s+Relationship Manager Portal/);
    assert.equal(await page.getByText('Loading your request…').isVisible(), false, 'only the portal frame shows');
    assert.equal(await page.locator('#shell').getAttribute('aria-busy'), 'true');
    // The company list's own frame: its title, drawn (for the eye only) before the app.
    assert.equal(await page.locator('#shell h1').filter({ visible: true }).innerText(), 'Companies');
    assert.equal(await page.getByRole('heading').count(), 0, 'the picture is not announced as a heading');
    await screenshot(page, 'shell-portal');

    release();
    await page.locator('#shell').waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    assert.equal(await page.getByRole('banner').count(), 1, 'one top bar: the app\'s');
    assert.equal(wasms.length, 1, wasms.join(' '));
    assert.match(wasms[0], /^\/frontend-[0-9a-f]{16}_bg\.wasm$/, 'the portal\'s app');
    assert.deepEqual(problems, []);
  });

  test('the sign-in page shows its card before the wasm, then the form', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser, { signedIn: false });
    const release = await holdWasm(page);
    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'domcontentloaded' });
    await page.getByText('Relationship Manager Portal').filter({ visible: true }).waitFor();
    assert.equal(await page.getByRole('banner').count(), 0, 'no portal top bar on the sign-in page');
    assert.equal(await page.getByRole('heading').count(), 0, 'no heading until the app knows the page');

    release();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.locator('#shell').count(), 0, 'the app removed the shell');
    assert.equal(await page.getByText('Relationship Manager Portal').count(), 1, 'one brand: the app\'s');
    assert.deepEqual(problems, []);
  });

  test('the consent page shows its loading card before the wasm, then starts the customer\'s own app', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser, { signedIn: false });
    const wasms = wasmsAsked(page);
    const release = await holdWasm(page);
    await page.goto(`${baseUrl}/connect/no-such-link`, { waitUntil: 'domcontentloaded' });
    await page.getByText('Loading your request…').waitFor();
    assert.equal(await page.getByRole('banner').count(), 0, 'no portal top bar for the customer');

    release();
    await page.locator('#shell').waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1 }).waitFor();
    // Not the portal's: the customer's pages have a wasm of their own (crates/web-build).
    assert.equal(wasms.length, 1, wasms.join(' '));
    assert.match(wasms[0], /^\/customer-[0-9a-f]{16}_bg\.wasm$/);
    // The made-up link's refusal (a 4xx for /api/v1/consent/…) is the only message.
    assert.deepEqual(problems.filter((p) => !p.includes('/api/v1/consent/')), []);
  });

  test('the admin pages are an app of their own: the portal loads it, its tabs stay in it, the brand leads back', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const wasms = wasmsAsked(page);
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    await page.getByRole('button', { name: /: account$/ }).click();
    await page.getByRole('menu', { name: /: account$/ }).getByRole('menuitem', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    assert.equal(wasms.length, 2, wasms.join(' '));
    assert.match(wasms[0], /^\/frontend-[0-9a-f]{16}_bg\.wasm$/, 'the portal\'s app');
    assert.match(wasms[1], /^\/admin-[0-9a-f]{16}_bg\.wasm$/, 'the admin pages\' app');
    // Between the admin pages, in place: nothing loads again.
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    assert.equal(wasms.length, 2, wasms.join(' '));
    // The brand leads back to the company list: the portal's app again.
    await page.getByRole('banner').getByRole('link', { name: 'Spendlens' }).click();
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    assert.equal(wasms.length, 3, wasms.join(' '));
    assert.match(wasms[2], /^\/frontend-[0-9a-f]{16}_bg\.wasm$/);
    assert.deepEqual(problems, []);
  });

  test('the page asks for its wasm first, then its module, and for no icon file', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    const asked = [];
    page.on('request', (request) => asked.push(new URL(request.url()).pathname));
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    // The document, then the preloads at the top of the head (crates/web-build): the
    // longest download takes the document's open connection.
    assert.equal(asked[0], '/', asked.join(' '));
    assert.match(asked[1], /^\/frontend-[0-9a-f]{16}_bg\.wasm$/, asked.join(' '));
    assert.match(asked[2], /^\/frontend-[0-9a-f]{16}\.js$/, asked.join(' '));
    // The icon is in the page (a data: URI), not a request of its own.
    assert.match(await page.locator('link[rel="icon"]').getAttribute('href'), /^data:image\/svg\+xml;base64,/);
    assert.deepEqual(asked.filter((path) => /favicon|\.svg$|\.ico$/.test(path)), [], asked.join(' '));
    assert.deepEqual(problems, []);
  });

  test('a page asks the API for each thing once, the answers index.html asked for included', { timeout: 60_000 }, async () => {
    const { page, problems } = await openPage(browser);
    let asked = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) asked.push(url.pathname + url.search);
    });
    const repeated = () => asked.filter((url, i) => asked.indexOf(url) !== i);

    await page.goto(`${baseUrl}/`);
    const firstCompany = page.locator('tbody tr a.company__name').first();
    await firstCompany.waitFor();
    assert.ok(asked.includes('/api/v1/session'), asked.join(' '));
    assert.deepEqual(repeated(), [], 'the company list');

    const href = await firstCompany.getAttribute('href');
    asked = [];
    await page.goto(`${baseUrl}${href}`);
    await page.getByRole('heading', { level: 2, name: 'Refresh history' }).waitFor();
    assert.ok(asked.includes(`/api/v1${href}`), asked.join(' '));
    assert.deepEqual(repeated(), [], 'a company page');

    // The customer's consent page: its request, asked by index.html, taken by the app.
    const created = await server.api('POST', '/api/v1/companies', {
      name: 'Preload Works Ltd',
      contact_name: 'Sam Lee',
      contact_email: 'sam.lee@preload.example',
      data_types: ['financials'],
    });
    assert.equal(created.status, 201, created.text);
    const link = await server.api('POST', `/api/v1/companies/${created.json.id}/information-requests`, { delivery: 'link' });
    assert.equal(link.status, 201, link.text);
    const customer = await openPage(browser, { signedIn: false });
    asked = [];
    customer.page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) asked.push(url.pathname + url.search);
    });
    await customer.page.goto(link.json.link);
    await customer.page.getByRole('button', { name: 'Grant access' }).waitFor();
    const token = new URL(link.json.link).pathname.split('/').pop();
    assert.deepEqual(asked, [`/api/v1/consent/${token}`], 'a consent page');
    assert.deepEqual(customer.problems, []);
    assert.deepEqual(problems, []);
  });
});
