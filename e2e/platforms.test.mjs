// Browser end-to-end tests of connecting a real accounting platform: the customer's
// /connect/{token} page → Grant access with Xero (or QuickBooks Online, or software the
// data partner connects) → the platform's own consent page → back to Spendlens →
// "Connected"; the first fetch runs and the company is Available with the platform's
// figures. The platforms are their fakes on loopback (crates/fakes, `spendlens-fakes`),
// which the server is pointed at with the same settings a deployment uses for the real
// services.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  assertAccessible,
  freePort,
  launchBrowser,
  openPage,
  screenshot,
  startServer,
  waitFor,
} from './support.mjs';

const CUSTOMER = { signedIn: false };
const FIRST_FETCH_TIMEOUT_MS = 60_000;
/** An integration the fake data partner offers (crates/fakes, partner). */
const PARTNER_SOFTWARE = 'Sage Accounting';

let fakes;
let fakeEnv;
let server;
let browser;

/** Starts `spendlens-fakes` for a portal at `publicUrl`; answers the settings it prints. */
async function startFakes(publicUrl) {
  const bin = process.env.SPENDLENS_FAKES_BIN;
  assert.ok(bin && existsSync(bin), `SPENDLENS_FAKES_BIN=${bin} must point at the built spendlens-fakes`);
  const child = spawn(path.resolve(bin), ['--xero-port', '0', '--quickbooks-port', '0', '--partner-port', '0', '--public-url', publicUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const env = {};
  let text = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`spendlens-fakes printed no settings:\n${text}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`spendlens-fakes exited (${code}):\n${text}`)));
    child.stdout.on('data', (chunk) => {
      text += chunk.toString();
      for (const [, key, value] of text.matchAll(/^export (\w+)=(.*)$/gm)) {
        env[key] = value;
      }
      if (env.SPENDLENS_QUICKBOOKS_API_URL && env.SPENDLENS_HTTP_BASE_URL && text.includes('Ctrl-C stops')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return { child, env, text };
}

before(async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  fakes = await startFakes(publicUrl);
  fakeEnv = fakes.env;
  // No SPENDLENS_ENCRYPTION_KEY: the embedded default makes one in data/encryption.key.
  server = await startServer({ ...fakeEnv, SPENDLENS_SANDBOX_LATENCY_MS: '0' }, { port });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  fakes?.child.kill('SIGTERM');
});

/** The page's problems, less the fakes' own (their pages have no favicon). */
function ours(problems) {
  const fakeOrigins = [fakeEnv.SPENDLENS_XERO_API_URL, fakeEnv.SPENDLENS_QUICKBOOKS_API_URL, fakeEnv.SPENDLENS_HTTP_BASE_URL].map(
    (url) => new URL(url).origin,
  );
  return problems.filter((problem) => !fakeOrigins.some((origin) => problem.includes(`${origin}/`)));
}

/** The organisations and companies the fakes print, by platform. */
function accountsOf(platform) {
  const heading = platform === 'xero' ? '# Organisations (Xero tenants):' : '# Companies (QuickBooks realms):';
  const lines = fakes.text.split('\n');
  const start = lines.indexOf(heading);
  const found = [];
  for (const line of lines.slice(start + 1)) {
    const match = line.match(/^#\s{3}(\S+) (.+) \((\w{3})\)$/);
    if (!match) break;
    found.push({ id: match[1], name: match[2], currency: match[3] });
  }
  return found;
}

async function companyWithLink(name) {
  const created = await server.api('POST', '/api/v1/companies', {
    name,
    contact_name: 'Priya Shah',
    contact_email: 'priya@client.example',
    data_types: ['financials', 'spend_detail'],
  });
  assert.equal(created.status, 201, created.text);
  const request = await server.api('POST', `/api/v1/companies/${created.json.id}/information-requests`, { delivery: 'link' });
  assert.equal(request.status, 201, request.text);
  return { company: created.json, link: request.json.link };
}

async function availableCompany(id) {
  let company;
  await waitFor(async () => {
    const answer = await server.api('GET', `/api/v1/companies/${id}`);
    company = answer.json;
    return company.status === 'available' || company.status === 'error';
  }, 'the first fetch finished', FIRST_FETCH_TIMEOUT_MS);
  assert.equal(company.status, 'available', JSON.stringify(company.error));
  return company;
}

/** The newest month's net profit in Spendlens's report equals the platform's books. */
async function assertFiguresMatch(companyId, fakeApiUrl, accountId) {
  const books = await (await fetch(`${fakeApiUrl}/_fake/books/${accountId}`)).json();
  const report = await server.api('GET', `/api/v1/companies/${companyId}/reports/profit_and_loss`);
  assert.equal(report.status, 200, report.text);
  const periods = report.json.data.periods;
  assert.equal(periods.length, 12);
  const newest = periods.at(-1);
  const month = books.months.at(-1);
  assert.equal(newest.fromDate.slice(0, 7), month.month);
  assert.equal(Number(newest.netProfit).toFixed(2), Number(month.net_profit).toFixed(2));
  assert.equal(report.json.data.currency, books.base_currency);
}

describe('connecting an accounting platform', () => {
  test('Xero: Grant access → Xero\'s consent page → Connected; the company is Available with Xero\'s figures', { timeout: 120_000 }, async () => {
    const { company, link } = await companyWithLink('Aldgate Bakery (Xero)');
    const organisation = accountsOf('xero')[0];
    const { page, problems } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    await page.getByRole('radio', { name: 'Xero' }).check();
    await page.getByRole('button', { name: 'Grant access' }).click();

    // Xero's page: pick the organisation and allow.
    await page.waitForURL((url) => url.href.startsWith(fakeEnv.SPENDLENS_XERO_AUTHORIZE_URL));
    await page.getByRole('checkbox', { name: organisation.name }).check();
    await page.getByRole('button', { name: 'Allow access' }).click();

    const heading = page.getByRole('heading', { level: 1, name: 'Connected' });
    await heading.waitFor();
    await page.getByText(`can now see the requested data of ${organisation.name}`).waitFor();
    assert.equal(new URL(page.url()).pathname, '/connect/connected');
    await assertAccessible(page, 'connect-xero-connected');
    await screenshot(page, 'connect-xero-connected');

    const available = await availableCompany(company.id);
    assert.equal(available.platform, 'xero');
    await assertFiguresMatch(company.id, fakeEnv.SPENDLENS_XERO_API_URL, organisation.id);
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
    // No token in the server's log.
    assert.doesNotMatch(server.log(), /xero_rt_|access_token|refresh_token/);
  });

  /** A new company's customer allows two of their Xero organisations: on the page that asks which one the company is. */
  async function twoOrganisationsAtXero(name) {
    const { company, link } = await companyWithLink(name);
    const [first, second] = accountsOf('xero');
    const { page, problems } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    await page.getByRole('radio', { name: 'Xero' }).check();
    await page.getByRole('button', { name: 'Grant access' }).click();
    await page.waitForURL((url) => url.href.startsWith(fakeEnv.SPENDLENS_XERO_AUTHORIZE_URL));
    await page.getByRole('checkbox', { name: first.name }).check();
    await page.getByRole('checkbox', { name: second.name }).check();
    await page.getByRole('button', { name: 'Allow access' }).click();
    await page.getByRole('heading', { level: 1, name: `Which organisation is ${company.name}?` }).waitFor();
    return { company, first, second, page, problems };
  }

  test('Xero: two organisations authorized, the customer chooses which one this company is', { timeout: 120_000 }, async () => {
    const { company, first, second, page, problems } = await twoOrganisationsAtXero('Kiwi Coffee (Xero)');
    const connect = page.getByRole('button', { name: 'Connect this organisation' });
    assert.ok(await connect.isDisabled(), 'nothing is chosen for the customer');
    await assertAccessible(page, 'connect-choose');
    await screenshot(page, 'connect-choose');
    await page.getByRole('radio', { name: second.name }).check();
    await connect.click();
    await page.getByRole('heading', { level: 1, name: 'Connected' }).waitFor();
    await page.getByText(`can now see the requested data of ${second.name}`).waitFor();

    await availableCompany(company.id);
    await assertFiguresMatch(company.id, fakeEnv.SPENDLENS_XERO_API_URL, second.id);
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
  });

  test('Xero: two organisations authorized, the customer picks the other as another company of the group (issue #21)', { timeout: 120_000 }, async () => {
    const { company, first, second, page, problems } = await twoOrganisationsAtXero('Tasman Group (Xero)');
    await page.getByRole('radio', { name: second.name }).check();
    const others = page.getByRole('group', { name: 'Other companies of your group' });
    assert.ok(await others.getByRole('checkbox', { name: second.name }).isDisabled(), 'the chosen one is this company');
    await others.getByRole('checkbox', { name: first.name }).check();
    await assertAccessible(page, 'connect-choose-group');
    await screenshot(page, 'connect-choose-group');
    await page.getByRole('button', { name: 'Connect this organisation' }).click();
    await page.getByRole('heading', { level: 1, name: 'Connected' }).waitFor();
    await page.getByText(`can now see the requested data of ${second.name} and of one other company of your group`).waitFor();

    const entities = await server.api('GET', `/api/v1/companies/${company.id}/entities`);
    assert.equal(entities.status, 200, entities.text);
    assert.deepEqual(entities.json.map((e) => [e.name, e.platform]), [[first.name, 'xero']]);
    await availableCompany(company.id);
    await assertFiguresMatch(company.id, fakeEnv.SPENDLENS_XERO_API_URL, second.id);
    await availableCompany(entities.json[0].id);
    await assertFiguresMatch(entities.json[0].id, fakeEnv.SPENDLENS_XERO_API_URL, first.id);
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
  });

  test('QuickBooks Online: Grant access → Intuit\'s consent page → Connected; Available with its figures', { timeout: 120_000 }, async () => {
    const { company, link } = await companyWithLink('Camden Florists (QuickBooks)');
    const realm = accountsOf('quickbooks')[0];
    const { page, problems } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    await page.getByRole('radio', { name: 'QuickBooks Online' }).check();
    await page.getByRole('button', { name: 'Grant access' }).click();
    await page.waitForURL((url) => url.href.startsWith(fakeEnv.SPENDLENS_QUICKBOOKS_AUTHORIZE_URL));
    const choice = page.getByRole('radio', { name: realm.name });
    if (await choice.count()) {
      await choice.check();
    }
    await page.getByRole('button', { name: /connect|allow/i }).first().click();

    await page.getByRole('heading', { level: 1, name: 'Connected' }).waitFor();
    const available = await availableCompany(company.id);
    assert.equal(available.platform, 'quickbooks');
    await assertFiguresMatch(company.id, fakeEnv.SPENDLENS_QUICKBOOKS_API_URL, realm.id);
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
  });

  test('The data partner: Sage through the partner → its link page → back → Connected; Available with its figures', { timeout: 120_000 }, async () => {
    const { company, link } = await companyWithLink('Shoreditch Printers (data partner)');
    const { page, problems } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    const radio = page.getByRole('radio', { name: `${PARTNER_SOFTWARE} (through our data partner)` });
    await radio.waitFor();
    // Software Spendlens connects itself is offered once, directly.
    assert.equal(await page.getByRole('radio', { name: 'Xero', exact: true }).count(), 1);
    assert.equal(await page.getByRole('radio', { name: 'Xero (through our data partner)' }).count(), 0);
    // Its mark is drawn in the page, as Xero's and QuickBooks's are (no image from a CDN).
    const option = page.locator('label.platform', { hasText: `${PARTNER_SOFTWARE} (through our data partner)` });
    assert.equal(await option.locator('svg.platform__mark').count(), 1);
    await radio.check();
    await page.getByRole('button', { name: 'Grant access' }).click();

    // The partner's hosted link page, then back to /connect/{token}/done.
    await page.waitForURL((url) => url.href.startsWith(fakeEnv.SPENDLENS_HTTP_BASE_URL));
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.getByRole('heading', { level: 1, name: 'Connected' }).waitFor();
    await page.getByText(`can now see the requested data from ${PARTNER_SOFTWARE}`).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/connect\/[A-Za-z0-9_-]{43}\/done$/);
    await assertAccessible(page, 'connect-partner-connected');
    await screenshot(page, 'connect-partner-connected');

    const available = await availableCompany(company.id);
    assert.equal(available.platform, 'http');
    // The partner's own id of the company, from its API: never Spendlens's.
    const listed = await fetch(`${fakeEnv.SPENDLENS_HTTP_BASE_URL}/companies?page=1&pageSize=100`, {
      headers: { authorization: `Basic ${fakeEnv.SPENDLENS_HTTP_API_KEY}`, accept: 'application/json' },
    });
    // Found by the description Spendlens gives it (the partner strips brackets from names).
    const upstream = (await listed.json()).results.find((c) => c.description === `Spendlens company ${company.id}`);
    assert.ok(upstream, 'the company was created at the partner');
    assert.notEqual(upstream.id, company.id);
    await assertFiguresMatch(company.id, fakeEnv.SPENDLENS_HTTP_BASE_URL, upstream.id);
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
    assert.ok(!server.log().includes(fakeEnv.SPENDLENS_HTTP_API_KEY), 'the API key is never logged');
  });

  test('Refusing on Xero\'s page shows the customer declined, as Exit without granting does', { timeout: 60_000 }, async () => {
    const { company, link } = await companyWithLink('Northgate Recruitment (Xero)');
    const { page, problems } = await openPage(browser, CUSTOMER);
    await page.goto(link);
    await page.getByRole('radio', { name: 'Xero' }).check();
    await page.getByRole('button', { name: 'Grant access' }).click();
    await page.waitForURL((url) => url.href.startsWith(fakeEnv.SPENDLENS_XERO_AUTHORIZE_URL));
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { level: 1, name: 'No data was shared' }).waitFor();
    const answer = await server.api('GET', `/api/v1/companies/${company.id}`);
    assert.equal(answer.json.status, 'error');
    assert.equal(answer.json.error?.code, 'customer_declined');
    assert.deepEqual(ours(problems), [], 'no console errors or page errors');
  });
});
