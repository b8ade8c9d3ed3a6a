// Browser end-to-end tests of signing in and out: the sign-in page (a wrong password,
// then the right one), the account menu, a protected deep link while signed out, a
// session that ends under the person's feet, and the emailed links (an invitation and
// a password reset) through to a signed-in portal.
//
// Elements are found by role and accessible name, never by CSS path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  assertAccessible,
  DEMO_ADMIN,
  DEMO_PASSWORD,
  isFocused,
  openPage,
  screenshot,
  startServer,
  waitFor,
  serverAndBrowser,
} from './support.mjs';

const ALEX = { name: 'Alex Morgan', email: 'alex.morgan@demobank.example' };
const SAM = { name: 'Sam Patel', email: 'sam.patel@demobank.example' };
const ORGANIZATION = 'Demo Bank';

let server;
let baseUrl;
let browser;

serverAndBrowser({ SPENDLENS_SANDBOX_LATENCY_MS: '300' }, (started) => ({ server, baseUrl, browser } = started));

/** The account menu's trigger in the top bar. */
function accountButton(page, name) {
  return page.getByRole('button', { name: `${name}: account`, exact: true });
}

/**
 * Ends the page's session on the server, as when it expires or the user is deactivated,
 * once the page's own first requests are done (the bell's starts once the page is shown).
 */
async function endSessionOnServer(page, context) {
  await page.waitForLoadState('networkidle');
  const session = await (await context.request.get(`${baseUrl}/api/v1/session`)).json();
  const ended = await context.request.delete(`${baseUrl}/api/v1/session`, {
    headers: { 'x-csrf-token': session.csrf_token },
  });
  assert.equal(ended.status(), 204);
}

async function signInThroughForm(page, email, password) {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The newest email in the server's outbox whose text holds `marker`, as text. */
async function newestEmail(marker) {
  const outbox = path.join(server.workDir, 'data', 'outbox');
  return waitFor(async () => {
    let names;
    try {
      names = (await readdir(outbox)).filter((name) => name.endsWith('.eml'));
    } catch {
      return undefined;
    }
    const files = await Promise.all(
      names.map(async (name) => ({ name, modified: (await stat(path.join(outbox, name))).mtimeMs })),
    );
    files.sort((a, b) => b.modified - a.modified);
    for (const { name } of files) {
      // Quoted-printable: join soft line breaks and decode `=3D` so links read whole.
      const text = (await readFile(path.join(outbox, name), 'utf8'))
        .replace(/=\r?\n/g, '')
        .replace(/=3D/gi, '=');
      if (text.includes(marker)) {
        return text;
      }
    }
    return undefined;
  }, `an email with ${marker} is in the outbox`, 15_000);
}

function linkIn(email, kind) {
  const escaped = baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const link = new RegExp(`${escaped}/${kind}/[A-Za-z0-9_-]+`).exec(email)?.[0];
  assert.ok(link, `the email holds a ${kind} link`);
  return link;
}

describe('signing in', () => {
  test('sign in (a wrong password first), the account menu, sign out', { timeout: 60_000 }, async () => {
    const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false });
    // Nobody is signed in yet, and the wrong password is refused: both answer 401.
    expectFailedRequest(401, '/api/v1/session');

    await page.goto(`${baseUrl}/`);
    await page.waitForURL(`${baseUrl}/sign-in`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const email = page.getByRole('textbox', { name: 'Email' });
    const password = page.getByLabel('Password', { exact: true });
    assert.equal(await email.getAttribute('autocomplete'), 'username');
    assert.equal(await password.getAttribute('autocomplete'), 'current-password');
    assert.equal(await page.getByRole('link', { name: 'Forgot your password?' }).getAttribute('href'), '/forgot-password');

    await signInThroughForm(page, ALEX.email, 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'The email address or the password is not right.' }).waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true', 'the refused fields are marked invalid');
    assert.equal(page.url(), `${baseUrl}/sign-in`, 'a refused sign-in stays on the page');
    await assertAccessible(page, 'auth-sign-in-refused');
    await screenshot(page, 'auth-sign-in-refused');

    await signInThroughForm(page, ALEX.email, DEMO_PASSWORD);
    await page.waitForURL(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    await page.getByRole('row').nth(1).waitFor();
    const account = accountButton(page, ALEX.name);
    await account.waitFor();
    await page.getByRole('banner').getByText(ORGANIZATION, { exact: true }).waitFor();

    // The account menu: who, which role; Escape closes it and focus returns.
    await account.click();
    const menu = page.getByRole('menu', { name: `${ALEX.name}: account` });
    await menu.waitFor();
    assert.equal(await account.getAttribute('aria-expanded'), 'true');
    await page.getByText(`Relationship manager · ${ORGANIZATION}`).waitFor();
    await page.getByText(ALEX.email, { exact: true }).waitFor();
    const signOut = menu.getByRole('menuitem', { name: 'Sign out' });
    assert.ok(await isFocused(signOut), 'opening the menu focuses its first item');
    await assertAccessible(page, 'auth-account-menu');
    await screenshot(page, 'auth-account-menu');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.ok(await isFocused(account), 'Escape returns focus to the trigger');

    // Sign out from the keyboard: back at the sign-in page, and the session is over.
    await page.keyboard.press('ArrowDown');
    await menu.waitFor();
    // The menu moves focus to its first item once it is drawn; Enter must land there.
    await waitFor(() => isFocused(signOut), 'Sign out has the focus');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${baseUrl}/sign-in`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const after = await context.request.get(`${baseUrl}/api/v1/session`);
    assert.equal(after.status(), 401, 'the session ended on the server too');
    await assertAccessible(page, 'auth-signed-out');
    await screenshot(page, 'auth-signed-out');

    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a deep link while signed out leads back to it after signing in', { timeout: 60_000 }, async () => {
    const list = await server.api('GET', '/api/v1/companies?sort=name&limit=1');
    assert.equal(list.status, 200, list.text);
    const [company] = list.json.items;

    const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false });
    expectFailedRequest(401, '/api/v1/session');
    await page.goto(`${baseUrl}/companies/${company.id}`);
    await page.waitForURL(`${baseUrl}/sign-in?next=${encodeURIComponent(`/companies/${company.id}`)}`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.getByText('Your session has ended').count(), 0, 'nobody was signed in: no session ended');

    await signInThroughForm(page, ALEX.email, DEMO_PASSWORD);
    await page.waitForURL(`${baseUrl}/companies/${company.id}`);
    await page.getByRole('heading', { level: 1, name: company.name }).waitFor();
    await accountButton(page, ALEX.name).waitFor();
    await assertAccessible(page, 'auth-deep-link');
    await screenshot(page, 'auth-deep-link');

    // `next` only ever leads within the site: another site's address leads home.
    for (const next of ['//example.com/phish', '/\\example.com/phish', 'https://example.com/phish']) {
      await page.goto(`${baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
      await page.waitForURL(`${baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    }

    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a session that ends elsewhere sends the person to sign in, with a notice', { timeout: 60_000 }, async () => {
    // One of Sam's companies: the list shows the signed-in user's companies first.
    const users = await server.api('GET', '/api/v1/users');
    const sam = users.json.items.find((user) => user.email === SAM.email);
    assert.ok(sam, 'Sam is a demo user');
    const list = await server.api('GET', `/api/v1/companies?sort=name&limit=1&assignee=${sam.id}`);
    const [company] = list.json.items;
    assert.ok(company, 'Sam has companies');
    const { context, page, problems, expectFailedRequest } = await openPage(browser, { user: SAM, server });
    await page.goto(`${baseUrl}/`);
    await accountButton(page, SAM.name).waitFor();
    await page.getByRole('link', { name: company.name, exact: true }).waitFor();
    await endSessionOnServer(page, context);

    // The next call of the page is refused: the person lands on the sign-in page.
    expectFailedRequest(401, '/api/v1/');
    await page.getByRole('link', { name: company.name, exact: true }).click();
    await page.waitForURL(`${baseUrl}/sign-in?next=${encodeURIComponent(`/companies/${company.id}`)}`);
    await page.getByRole('status').filter({ hasText: 'Your session has ended. Sign in again.' }).waitFor();
    await assertAccessible(page, 'auth-session-ended');
    await screenshot(page, 'auth-session-ended');

    await signInThroughForm(page, SAM.email, DEMO_PASSWORD);
    await page.waitForURL(`${baseUrl}/companies/${company.id}`);
    await page.getByRole('heading', { level: 1, name: company.name }).waitFor();

    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a session that ends on an admin page (their own app) leads to the portal\'s sign-in page, which says so, and back', { timeout: 60_000 }, async () => {
    const { context, page, problems, expectFailedRequest } = await openPage(browser);
    await page.goto(`${baseUrl}/admin/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await endSessionOnServer(page, context);

    // The next call is refused: the sign-in page, the portal's, loads and says why.
    expectFailedRequest(401, '/api/v1/');
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${baseUrl}/sign-in?next=${encodeURIComponent('/admin/audit')}`);
    await page.getByRole('status').filter({ hasText: 'Your session has ended. Sign in again.' }).waitFor();

    await signInThroughForm(page, DEMO_ADMIN, DEMO_PASSWORD);
    await page.waitForURL(`${baseUrl}/admin/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    // Said once: signed in again, the tab no longer keeps that the session ended.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spendlens_session_ended')), null);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('emailed links', () => {
  test('an invited user chooses a password and lands signed in', { timeout: 60_000 }, async () => {
    // The admin invites, signed in through the API like the portal is.
    const admin = await openPage(browser, { signedIn: false });
    const signIn = await admin.context.request.post(`${baseUrl}/api/v1/session`, {
      data: { email: DEMO_ADMIN, password: DEMO_PASSWORD },
    });
    assert.equal(signIn.status(), 200, await signIn.text());
    const { csrf_token: csrf } = await signIn.json();
    const invited = await admin.context.request.post(`${baseUrl}/api/v1/users`, {
      data: { email: 'riley.chen@demobank.example', name: 'Riley Chen', role: 'relationship_manager' },
      headers: { 'x-csrf-token': csrf },
    });
    assert.equal(invited.status(), 201, await invited.text());
    await admin.context.close();

    const link = linkIn(await newestEmail('/invitations/'), 'invitations');
    const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false });
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
    await page.getByText(ORGANIZATION, { exact: true }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Email' }).inputValue(), 'riley.chen@demobank.example');
    const name = page.getByRole('textbox', { name: /Your name/ });
    assert.equal(await name.inputValue(), 'Riley Chen', 'the name is prefilled from the invitation');
    const password = page.getByLabel('Password', { exact: true });
    const confirm = page.getByLabel('Confirm password');
    const save = page.getByRole('button', { name: 'Save password and sign in' });

    // Too short, then two different passwords: said beside the field, nothing sent.
    await password.fill('too-short');
    await confirm.fill('too-short');
    await save.click();
    await page.getByText('Use at least 12 characters.').waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    await password.fill('correct horse battery staple');
    await confirm.fill('correct horse battery stapler');
    await save.click();
    await page.getByText("The passwords don't match.").waitFor();
    assert.equal(await confirm.getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'auth-invitation-errors');
    await screenshot(page, 'auth-invitation-errors');

    await name.fill('Riley Q. Chen');
    await confirm.fill('correct horse battery staple');
    await save.click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    await accountButton(page, 'Riley Q. Chen').waitFor();
    await assertAccessible(page, 'auth-invitation-signed-in');
    await screenshot(page, 'auth-invitation-signed-in');

    // The link works once.
    expectFailedRequest(410, '/api/v1/invitations/');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'This link has already been used' }).waitFor();
    await page.getByRole('link', { name: 'Go to sign in' }).waitFor();
    await assertAccessible(page, 'auth-invitation-used');
    await screenshot(page, 'auth-invitation-used');

    // And the new password signs in.
    const again = await context.request.post(`${baseUrl}/api/v1/session`, {
      data: { email: 'riley.chen@demobank.example', password: 'correct horse battery staple' },
    });
    assert.equal(again.status(), 200, await again.text());

    assert.deepEqual(problems, []);
    await context.close();
  });

  test('forgot password: a reset link by email, a new password, signed in', { timeout: 60_000 }, async () => {
    const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false });
    expectFailedRequest(401, '/api/v1/session');
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${baseUrl}/forgot-password`);
    await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    const email = page.getByRole('textbox', { name: 'Email' });
    assert.equal(await email.getAttribute('autocomplete'), 'email');
    await email.fill(SAM.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await page.getByText(`If ${SAM.email} belongs to a Spendlens user`).waitFor();
    await assertAccessible(page, 'auth-reset-sent');
    await screenshot(page, 'auth-reset-sent');

    const link = linkIn(await newestEmail('/reset-password/'), 'reset-password');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Email' }).inputValue(), SAM.email);
    assert.equal(await page.getByRole('textbox', { name: /Your name/ }).count(), 0, 'a reset does not ask for a name');
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('Confirm password').fill('a brand new passphrase');
    await assertAccessible(page, 'auth-reset-form');
    await screenshot(page, 'auth-reset-form');
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.waitForURL(`${baseUrl}/`);
    await accountButton(page, SAM.name).waitFor();

    // An unknown link says so, and offers a new one.
    expectFailedRequest(404, '/api/v1/password-resets/');
    await page.goto(`${baseUrl}/reset-password/not-a-real-token`);
    await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();

    // The old password no longer works.
    const old = await context.request.post(`${baseUrl}/api/v1/session`, {
      data: { email: SAM.email, password: DEMO_PASSWORD },
    });
    assert.equal(old.status(), 401);

    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('sign-in limits', () => {
  test('too many wrong passwords: the page says how long to wait', { timeout: 60_000 }, async () => {
    // A server of its own, allowing two attempts a minute per address.
    const limited = await startServer({ SPENDLENS_SIGN_IN_ATTEMPTS_PER_MINUTE: '2' });
    try {
      const { context, page, problems, expectFailedRequest } = await openPage(browser, { signedIn: false, server: limited });
      expectFailedRequest(401, '/api/v1/session');
      expectFailedRequest(429, '/api/v1/session');
      await page.goto(`${limited.baseUrl}/sign-in`);
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      const attempt = async (expectedStatus) => {
        const answered = page.waitForResponse(
          (response) => response.url().endsWith('/api/v1/session') && response.request().method() === 'POST',
        );
        await signInThroughForm(page, ALEX.email, 'not-the-password');
        assert.equal((await answered).status(), expectedStatus);
      };
      await attempt(401);
      await attempt(401);
      await attempt(429);
      const alert = page.getByRole('alert').filter({ hasText: 'Too many sign-in attempts' });
      await alert.waitFor();
      assert.match(await alert.innerText(), /Try again in (\d+ seconds|a minute), or reset your password\./);
      await assertAccessible(page, 'auth-too-many-attempts');
      await screenshot(page, 'auth-too-many-attempts');
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await limited.stop();
    }
  });
});
