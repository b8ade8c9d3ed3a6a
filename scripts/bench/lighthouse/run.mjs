// Runs Lighthouse (mobile defaults: simulated throttling, a Moto G Power-sized screen) on
// the pages given, in the machine's Chromium (CHROME_PATH), and prints one JSON line per
// page: the median run's category scores, LCP, TBT and CLS. Called by
// scripts/bench/lighthouse.sh, which starts the server and finds the pages.
//
//   node run.mjs --runs 3 --cookie 'spendlens_session=…; spendlens_signed_in=1' NAME=URL[@signed-in] …
//
// A page whose spec ends in `@signed-in` is loaded with the cookies in the browser (set
// through the DevTools protocol, as a sign-in would leave them: the web app reads the
// `spendlens_signed_in` hint); the other pages with none. Lighthouse clears caches and
// storage before each run, but not cookies.
import fs from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
// Lighthouse's own dependency, for the cookies.
import puppeteer from 'puppeteer-core';

const args = process.argv.slice(2);
let runs = 3;
let cookie = '';
let reports = '';
const pages = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--cookie') cookie = args[++i];
  else if (args[i] === '--reports') reports = args[++i];
  else {
    const [name, rest] = args[i].split(/=(.*)/s);
    const signedIn = rest.endsWith('@signed-in');
    pages.push({ name, url: signedIn ? rest.slice(0, -'@signed-in'.length) : rest, signedIn });
  }
}

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});

const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
const cdp = await (await browser.newPage()).createCDPSession();
/** Leaves the browser with the cookies of `--cookie` for `url`'s site, or with none. */
const setCookies = async (url, signedIn) => {
  await cdp.send('Network.clearBrowserCookies');
  if (!signedIn) return;
  for (const pair of cookie.split(';')) {
    const [name, value] = pair.trim().split(/=(.*)/s);
    await cdp.send('Network.setCookie', { name, value, url, path: '/' });
  }
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

try {
  for (const page of pages) {
    const results = [];
    for (let run = 0; run < runs; run++) {
      const flags = {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility', 'best-practices'],
      };
      await setCookies(page.url, page.signedIn);
      // A trace Lighthouse could not read (NO_NAVSTART, on a busy machine) is run again.
      let result;
      for (let attempt = 1; ; attempt++) {
        result = await lighthouse(page.url, flags);
        if (!result.lhr.runtimeError) break;
        if (attempt === 3) throw new Error(`${page.name}: ${result.lhr.runtimeError.message}`);
        console.error(`${page.name}: ${result.lhr.runtimeError.code}, running again`);
      }
      const lhr = result.lhr;
      const audit = (id) => lhr.audits[id];
      const failed = (category) =>
        lhr.categories[category].auditRefs
          .filter((ref) => ref.weight > 0 && audit(ref.id).score !== null && audit(ref.id).score < 1)
          .map((ref) => ref.id);
      results.push({
        performance: lhr.categories.performance.score,
        accessibility: lhr.categories.accessibility.score,
        bestPractices: lhr.categories['best-practices'].score,
        lcpMs: audit('largest-contentful-paint').numericValue,
        fcpMs: audit('first-contentful-paint').numericValue,
        tbtMs: audit('total-blocking-time').numericValue,
        cls: audit('cumulative-layout-shift').numericValue,
        finalUrl: lhr.finalDisplayedUrl,
        failedAccessibility: failed('accessibility'),
        failedBestPractices: failed('best-practices'),
      });
      if (reports) {
        fs.writeFileSync(`${reports}/${page.name}-${run + 1}.json`, result.report);
        // The trace Lighthouse read, for a look at the main thread's tasks.
        const trace = result.artifacts.Trace ?? result.artifacts.traces?.defaultPass;
        if (trace) fs.writeFileSync(`${reports}/${page.name}-${run + 1}.trace.json`, JSON.stringify(trace));
      }
    }
    // The median run by performance score (Lighthouse's own advice for a noisy figure).
    const middle = median(results.map((r) => r.performance));
    const chosen = results.find((r) => r.performance === middle);
    console.log(
      JSON.stringify({ page: page.name, url: page.url, runs, allPerformance: results.map((r) => r.performance), ...chosen }),
    );
  }
} finally {
  await browser.disconnect();
  await chrome.kill();
}
