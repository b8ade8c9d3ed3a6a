// What the browser tests share: the real `spendlens serve` binary on a free port with a
// fresh SQLite database in a temp dir, headless Chromium, and small waiting helpers.
//
// The API needs credentials: `server.api()` sends an API key made for the run with
// `spendlens api-key create`, and `openPage()` signs the browser in as the demo admin
// (`{ signedIn: false }` for the customer's pages and the sign-in tests, `{ user }` for
// another demo user).
//
//   SPENDLENS_BIN=/path/to/spendlens npm test        (in e2e/, after `cargo run -p web-build`)
//
// SPENDLENS_STATIC_DIR (default ../frontend/dist) and CHROMIUM_PATH (default
// /usr/bin/chromium) may be overridden; E2E_SERVER_LOG=1 prints the server's log.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.resolve(process.env.SPENDLENS_STATIC_DIR ?? path.join(here, '..', 'frontend', 'dist'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const READY_TIMEOUT_MS = 60_000;

export const screenshotDir = path.join(here, 'screenshots');

/** The demo organization's users (embedded default) and their password. */
export const DEMO_ADMIN = 'admin@demobank.example';
export const DEMO_PASSWORD = 'spendlens-demo';

/**
 * Every Content-Security-Policy violation any page of this test file reported: one
 * hook for all tests, so a test that does not check its `problems` still fails.
 */
const cspViolations = [];
after(() => {
  assert.deepEqual(cspViolations, [], 'Content Security Policy violations');
});

/** The server `openPage` signs in to unless told otherwise: the last one started. */
let lastServer;

/**
 * Starts `spendlens serve` in a fresh temp dir (its working dir: `./data/` lands there),
 * waits until `/readyz` answers 200, and makes an API key for `server.api()`. `env` is
 * added to the server's environment.
 *
 * Sign-in attempts are limited per email address; every `openPage` signs in, so the
 * limit is raised here unless `env` sets `SPENDLENS_SIGN_IN_ATTEMPTS_PER_MINUTE`.
 */
export async function startServer(env = {}, { port: chosenPort } = {}) {
  const bin = process.env.SPENDLENS_BIN;
  if (!bin) {
    throw new Error('SPENDLENS_BIN is not set: point it at the spendlens binary (e.g. target/debug/spendlens).');
  }
  if (!existsSync(bin)) {
    throw new Error(`SPENDLENS_BIN=${bin} does not exist: build the server first.`);
  }
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`${staticDir}/index.html is missing: run \`cargo run -p web-build\` at the repo root first.`);
  }

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'spendlens-e2e-'));
  const port = chosenPort ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const serverEnv = {
    ...process.env,
    SPENDLENS_BIND: `127.0.0.1:${port}`,
    SPENDLENS_STATIC_DIR: staticDir,
    SPENDLENS_PUBLIC_URL: baseUrl,
    SPENDLENS_SANDBOX_FAILURE_RATE: '0',
    SPENDLENS_SIGN_IN_ATTEMPTS_PER_MINUTE: '600',
    ...env,
  };
  const child = spawn(path.resolve(bin), ['serve'], {
    cwd: workDir,
    env: serverEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-64_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let apiKey;
  const server = {
    baseUrl,
    workDir,
    log: () => log,
    /** `fetch` against the server as an integrator (the run's API key); JSON bodies are encoded and the answer decoded. */
    async api(method, pathname, body) {
      const response = await fetch(`${baseUrl}${pathname}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let json;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, contentType: response.headers.get('content-type'), json, text };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (process.env.E2E_SERVER_LOG) {
        console.log(log);
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilReady(child, baseUrl, () => log);
    apiKey = await createApiKey(bin, workDir, serverEnv);
  } catch (error) {
    await server.stop();
    throw error;
  }
  lastServer = server;
  return server;
}

/** `spendlens api-key create` in the server's working dir: the key is on stdout. */
async function createApiKey(bin, workDir, env) {
  const { stdout } = await promisify(execFile)(
    path.resolve(bin),
    ['api-key', 'create', '--org', env.SPENDLENS_ORGANIZATION ?? 'demo', '--name', 'e2e'],
    { cwd: workDir, env },
  );
  const key = /slk_[A-Za-z0-9_-]+/.exec(stdout)?.[0];
  if (!key) {
    throw new Error(`spendlens api-key create printed no key: ${stdout}`);
  }
  return key;
}

/** Debian's Chromium, headless. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/**
 * A fresh browser context and page, recording every console error and page error in
 * `problems` (a Content-Security-Policy violation also fails the test file's run), signed in as the demo admin (the portal's pages need a session).
 *
 * Options: `signedIn: false` leaves the browser signed out (the customer's pages, the
 * sign-in tests); `user: { email, password? }` signs in as someone else; `server` names
 * the server (the last one started by default). The rest go to `browser.newContext`
 * (permissions, for example).
 *
 * Chromium logs every 4xx/5xx answer to `fetch` as a console error ("Failed to load
 * resource"). A test that expects one names it with `expectFailedRequest(status,
 * urlPart)`; that one message is then not a problem, and any other still is.
 */
export async function openPage(browser, options = {}) {
  const { signedIn = true, user, server = lastServer, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  if (signedIn) {
    if (!server) {
      throw new Error('openPage signs in to a server: start one first, or pass { signedIn: false }.');
    }
    const credentials = { email: user?.email ?? DEMO_ADMIN, password: user?.password ?? DEMO_PASSWORD };
    const answer = await context.request.post(`${server.baseUrl}/api/v1/session`, { data: credentials });
    if (answer.status() !== 200) {
      throw new Error(`signing in as ${credentials.email} answered ${answer.status()}: ${await answer.text()}`);
    }
  }
  // Any Content-Security-Policy violation fails the run, whether or not the test checks
  // `problems` (see `cspViolations`).
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  const expected = [];
  page.on('console', (message) => {
    const text = message.text();
    if (text.includes('Content Security Policy')) {
      cspViolations.push(`${text} (${page.url()})`);
    }
    if (message.type() !== 'error') {
      return;
    }
    const url = message.location()?.url ?? '';
    const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    if (failed && expected.some(({ status, urlPart }) => Number(failed[1]) === status && url.includes(urlPart))) {
      return;
    }
    problems.push(`console: ${text}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const expectFailedRequest = (status, urlPart) => expected.push({ status, urlPart });
  return { context, page, problems, expectFailedRequest };
}

/** Saves a screenshot as `e2e/screenshots/{name}.png`. */
export async function screenshot(page, name, options = {}) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), ...options });
}

export async function isFocused(locator) {
  return locator.evaluate((element) => element === document.activeElement);
}

/** True when focus is on `locator`'s element or inside it. */
export async function holdsFocus(locator) {
  return locator.evaluate((element) => element.contains(document.activeElement));
}

/** Waits until `check()` resolves truthy, failing with `what` after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 5_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting until ${what}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntilReady(child, baseUrl, log) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`spendlens serve exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
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
  throw new Error(`spendlens serve was not ready within ${READY_TIMEOUT_MS / 1000} s (${lastError}):\n${log()}`);
}

export function freePort() {
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

/**
 * Registers the test file's `before` and `after`: a server started with `env` and a
 * browser, handed to `ready` (`{ server, baseUrl, browser }`, which may set up more),
 * and both stopped after the file's tests.
 */
export function serverAndBrowser(env, ready) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(env);
    browser = await launchBrowser();
    await ready({ server, baseUrl: server.baseUrl, browser });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

// ---------------------------------------------------------------------------------
// Screen sizes, the layout's checks, and axe-core.

/** The viewports the e2e checks: a desktop, a tablet held upright, a phone. */
export const DESKTOP = { width: 1280, height: 900 };
export const TABLET = { width: 768, height: 1024 };
export const PHONE = { width: 390, height: 844 };

/** What axe-core checks: WCAG 2.2 A and AA (each version's tags) and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

let axeSource;

/**
 * Runs axe-core (e2e/node_modules/axe-core, pinned in package.json) on the whole page
 * as it is now, open dialogs and popups included, and fails listing every violation of
 * `AXE_TAGS`. `what` names the state for the message. A rule that truly cannot apply
 * is left out for this one check with `disable: [{ rule, why }]`.
 *
 * The source goes in through `page.evaluate` (the DevTools protocol), not a `<script>`
 * element, which the Content-Security-Policy would rightly refuse.
 */
export async function assertAccessible(page, what, { disable = [] } = {}) {
  if (!axeSource) {
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  }
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axeSource);
  }
  for (const { rule, why } of disable) {
    assert.ok(rule && why, 'a rule left out of an axe check says why');
  }
  const violations = await page.evaluate(
    async ({ tags, disabled }) => {
      const results = await window.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        rules: Object.fromEntries(disabled.map((rule) => [rule, { enabled: false }])),
        resultTypes: ['violations'],
      });
      return results.violations.map((violation) => ({
        rule: violation.id,
        help: violation.help,
        nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary.replace(/\s+/g, ' ')}`),
      }));
    },
    { tags: AXE_TAGS, disabled: disable.map(({ rule }) => rule) },
  );
  const size = page.viewportSize();
  const described = violations
    .map(({ rule, help, nodes }) => `- ${rule} (${help}):\n${nodes.map((node) => `    ${node}`).join('\n')}`)
    .join('\n');
  assert.deepEqual(
    violations.map(({ rule }) => rule),
    [],
    `axe: ${what} at ${size.width}×${size.height} (${page.url()}) has violations:\n${described}`,
  );
}

/**
 * For a check with a popup open over the list: axe's `target-size` counts the links and
 * buttons the popup partly covers as too small, yet they cannot be used until it closes
 * (and are checked then).
 */
export const UNDER_A_POPUP = {
  rule: 'target-size',
  why: 'an open popup partly covers the list below it; those targets are checked once it closes',
};

/**
 * The page does not scroll sideways: `document.documentElement.scrollWidth <= innerWidth`.
 * The message names the elements that stick out on the right.
 */
export async function assertFitsWidth(page, what) {
  const { scrollWidth, innerWidth, wide } = await page.evaluate(() => {
    const wide = [];
    for (const element of document.body.querySelectorAll('*')) {
      const box = element.getBoundingClientRect();
      if (box.right > window.innerWidth + 0.5 && box.width > 0) {
        const name = `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? `.${element.className.trim().replace(/\s+/g, '.')}` : ''}`;
        wide.push(`${name} (${Math.round(box.left)}–${Math.round(box.right)} px)`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 8) };
  });
  assert.ok(
    scrollWidth <= innerWidth,
    `${what} scrolls sideways at ${innerWidth} px: scrollWidth ${scrollWidth}; sticking out: ${wide.join(', ')}`,
  );
}

/** `locator`'s element is within the viewport's width (a popup or dialog fits the screen). */
export async function assertOnScreen(page, locator, what) {
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is shown`);
  const { width } = page.viewportSize();
  assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `${what} fits the screen: ${Math.round(box.x)}–${Math.round(box.x + box.width)} px of ${width}`);
}

/** Every element of `locator` is at least `min` × `min` CSS pixels: a fingertip's target. */
export async function assertTouchTargets(locator, what, min = 44) {
  const boxes = await locator.evaluateAll((elements) =>
    elements.map((element) => {
      const box = element.getBoundingClientRect();
      return { name: element.getAttribute('aria-label') ?? element.textContent.trim(), width: box.width, height: box.height };
    }),
  );
  assert.ok(boxes.length > 0, `${what}: there are targets to measure`);
  const small = boxes.filter(({ width, height }) => width < min - 0.01 || height < min - 0.01);
  assert.deepEqual(
    small.map(({ name, width, height }) => `${name}: ${width.toFixed(1)} × ${height.toFixed(1)}`),
    [],
    `${what}: touch targets smaller than ${min} × ${min} px`,
  );
}
