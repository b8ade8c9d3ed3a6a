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
//
// With `--reports DIR`, each run's JSON report and trace go to DIR; with `--lantern` as
// well, `NAME-RUN.lantern.txt` beside them: the requests and main-thread tasks Lighthouse's
// simulation (Lantern) counts in the page's LCP, each with its simulated start and end
// (docs/benchmarks.md, "Lighthouse").
import fs from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
// Lighthouse's own dependency, for the cookies.
import puppeteer from 'puppeteer-core';
import { LanternLargestContentfulPaint } from 'lighthouse/core/computed/metrics/lantern-largest-contentful-paint.js';

const args = process.argv.slice(2);
let runs = 3;
let cookie = '';
let reports = '';
let lantern = false;
const pages = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--cookie') cookie = args[++i];
  else if (args[i] === '--reports') reports = args[++i];
  else if (args[i] === '--lantern') lantern = true;
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

/** The simulated LCP and, for its pessimistic graph, every node by simulated start. */
async function lanternLcp(result) {
  const a = result.artifacts;
  const data = {
    trace: a.Trace, devtoolsLog: a.DevtoolsLog, gatherContext: a.GatherContext,
    settings: result.lhr.configSettings, URL: a.URL, simulator: null,
  };
  const lcp = await LanternLargestContentfulPaint.request(data, { computedCache: new Map() });
  const ms = (value) => value.toFixed(0).padStart(6);
  const lines = [`LCP ${ms(lcp.timing)} ms (optimistic ${ms(lcp.optimisticEstimate.timeInMs)}, ` +
    `pessimistic ${ms(lcp.pessimisticEstimate.timeInMs)}); the pessimistic graph, start and end in ms:`];
  const nodes = [...lcp.pessimisticEstimate.nodeTimings.entries()].sort((x, y) => x[1].startTime - y[1].startTime);
  for (const [node, timing] of nodes) {
    const what = node.type === 'network'
      ? `${new URL(node.request.url).pathname.slice(0, 70)} (connection ${node.request.connectionId})`
      : `main thread, ${((node.endTime - node.startTime) / 1000).toFixed(1)} ms observed`;
    lines.push(`${ms(timing.startTime)} ${ms(timing.endTime)}  ${node.type.padEnd(7)} ${what}`);
  }
  return lines.join('\n') + '\n';
}

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
        if (lantern) {
          fs.writeFileSync(`${reports}/${page.name}-${run + 1}.lantern.txt`, await lanternLcp(result));
        }
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
