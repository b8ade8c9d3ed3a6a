// Browser end-to-end test of the times the portal shows: in the browser's locale and
// time zone, to the minute, exactly as `Date.toLocaleString` words them (the app formats
// them with one cached `Intl.DateTimeFormat`, frontend/src/components/local_time.rs).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, serverAndBrowser } from './support.mjs';

let baseUrl;
let browser;

serverAndBrowser({}, (started) => ({ baseUrl, browser } = started));

describe('local times', () => {
  for (const timezoneId of ['Europe/London', 'America/New_York', 'Asia/Kolkata']) {
    test(`the company list's times read as toLocaleString's in ${timezoneId}`, { timeout: 60_000 }, async () => {
      const { page, problems } = await openPage(browser, { timezoneId, locale: 'en-GB' });
      await page.goto(`${baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
      const times = page.locator('time[datetime]');
      await times.first().waitFor();
      const pairs = await times.evaluateAll((elements) =>
        elements.map((element) => [
          element.textContent,
          new Date(element.getAttribute('datetime')).toLocaleString('default', {
            year: 'numeric',
            month: 'short',
            day: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
          }),
        ]),
      );
      assert.ok(pairs.length >= 5, `times on the list: ${pairs.length}`);
      for (const [shown, expected] of pairs) {
        assert.equal(shown, expected);
      }
      assert.deepEqual(problems, []);
    });
  }
});
