// Browser end-to-end test of the refresh journey: the real `spendlens serve` binary
// with a fresh SQLite database, the built SPA, and headless Chromium.
//
//   SPENDLENS_BIN=/path/to/spendlens npm test        (in e2e/, after `trunk build --release`)
//
// SPENDLENS_STATIC_DIR (default ../frontend/dist) and CHROMIUM_PATH (default
// /usr/bin/chromium) may be overridden.
//
// Elements are found the way a person (or a screen reader) finds them: by role and
// accessible name, never by CSS path.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.resolve(process.env.SPENDLENS_STATIC_DIR ?? path.join(here, '..', 'frontend', 'dist'));
const screenshotDir = path.join(here, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const READY_TIMEOUT_MS = 60_000;
const REFRESH_TIMEOUT_MS = 30_000;
const REFRESH_IN_PROGRESS = /Refreshing…|Refresh queued/;

let server;
let serverLog = '';
let workDir;
let baseUrl;
let browser;

before(async () => {
  const bin = process.env.SPENDLENS_BIN;
  if (!bin) {
    throw new Error('SPENDLENS_BIN is not set: point it at the spendlens binary (e.g. target/debug/spendlens).');
  }
  if (!existsSync(bin)) {
    throw new Error(`SPENDLENS_BIN=${bin} does not exist: build the server first.`);
  }
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`${staticDir}/index.html is missing: run \`trunk build --release\` at the repo root first.`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH).`);
  }

  workDir = await mkdtemp(path.join(os.tmpdir(), 'spendlens-e2e-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(path.resolve(bin), ['serve'], {
    cwd: workDir,
    env: {
      ...process.env,
      SPENDLENS_BIND: `127.0.0.1:${port}`,
      SPENDLENS_STATIC_DIR: staticDir,
      SPENDLENS_PUBLIC_URL: baseUrl,
      SPENDLENS_SANDBOX_LATENCY_MS: '1500',
      SPENDLENS_SANDBOX_FAILURE_RATE: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk) => {
    serverLog = (serverLog + chunk.toString()).slice(-64_000);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  await waitUntilReady();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (workDir) {
    await rm(workDir, { recursive: true, force: true });
  }
  if (process.env.E2E_SERVER_LOG) {
    console.log(serverLog);
  }
});

describe('company list', () => {
  test('Refresh data re-fetches in the background and the row shows the new time', { timeout: 120_000 }, async () => {
    const { page, problems } = await openPage();
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();

    // A company whose data is Available and not already refreshing.
    const available = page
      .getByRole('row')
      .filter({ has: page.getByText('Available', { exact: true }) })
      .filter({ hasNotText: REFRESH_IN_PROGRESS });
    await available.first().waitFor();
    const label = await available
      .first()
      .getByRole('button', { name: /^Actions for / })
      .getAttribute('aria-label');
    const name = label.replace(/^Actions for /, '');
    const actions = page.getByRole('button', { name: `Actions for ${name}`, exact: true });
    const row = page.getByRole('row').filter({ has: actions });
    assert.equal(await row.count(), 1, `exactly one row for ${name}`);

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
    await page.keyboard.press('ArrowDown');
    assert.ok(await isFocused(refreshItem), 'arrow keys stay on the menu items');
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
    await mkdir(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'refreshing.png') });

    // The poller redraws the row when the background refresh completes.
    await row.getByText(REFRESH_IN_PROGRESS).waitFor({ state: 'detached', timeout: REFRESH_TIMEOUT_MS });
    await row.getByText('Available', { exact: true }).waitFor();
    const afterAt = Date.parse(await updatedAt.getAttribute('datetime'));
    const afterText = await updatedAt.textContent();
    assert.ok(afterAt > before.at, `status_updated_at moved forward (${new Date(before.at).toISOString()} → ${new Date(afterAt).toISOString()})`);
    assert.notEqual(afterText, before.text, 'the displayed date and time changed');

    await page.screenshot({ path: path.join(screenshotDir, 'refresh.png'), fullPage: true });

    // The download button lists each report with its own update time.
    await row.getByRole('button', { name: `Reports for ${name}` }).click();
    const reports = page.getByRole('group', { name: `Reports for ${name}` });
    await reports.getByRole('link').first().waitFor();
    const links = await reports.getByRole('link').all();
    assert.ok(links.length > 0, 'an available company has reports');
    for (const link of links) {
      assert.match(await link.getAttribute('href'), /\/api\/v1\/companies\/.+\/reports\//);
      assert.match(await link.textContent(), /Updated /);
    }
    await page.screenshot({ path: path.join(screenshotDir, 'reports.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await reports.waitFor({ state: 'detached' });

    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

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

/** A fresh browser context and page, recording every console error and page error. */
async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}

async function isFocused(locator) {
  return locator.evaluate((element) => element === document.activeElement);
}

async function waitFor(check, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting until ${what}`);
    }
    await sleep(100);
  }
}

async function waitUntilReady() {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`spendlens serve exited (${server.exitCode ?? server.signalCode}) before it was ready:\n${serverLog}`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.status === 200) {
        return;
      }
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error.message;
    }
    await sleep(250);
  }
  throw new Error(`spendlens serve was not ready within ${READY_TIMEOUT_MS / 1000} s (${lastError}):\n${serverLog}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
