#!/usr/bin/env node
// Lighthouse (pinned in package.json) on Caravan's pages, with its default mobile profile: a mid-range phone
// emulated (412×823), its CPU slowed 4×, and a 4G network simulated (150 ms round trip, 1.6 Mbps down). Debian's
// Chromium, headless, a fresh profile per page; against a running caravan-server with the demo's shows.
//
//   node bench/lighthouse/lighthouse.mjs <base-url> [runs]
//
// Prints, per page, the median of `runs` runs (default 3) of each category score and of the timings that the goals
// name (issue 22, docs/PERFORMANCE.md), with what misses its goal and which audits fail outside performance.
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { chromium } from '../../end2end/chromium.mjs';

const [base, runsArg] = process.argv.slice(2);
if (!base) {
  console.error('usage: lighthouse.mjs <base-url> [runs]');
  process.exit(2);
}
const runs = Number(runsArg ?? 3);

// The viewer's pages must score 95 in performance and 100 elsewhere; the console 90 in performance.
const VIEWER = { performance: 95, accessibility: 100, 'best-practices': 100, seo: 100, lcp: 2500, tbt: 100, cls: 0.05 };
const PAGES = [
  { name: 'live page', path: '/live/demo', goal: VIEWER },
  { name: 'embed', path: '/embed/demo', goal: VIEWER },
  { name: 'replay', path: '/live/demo-archive', goal: VIEWER },
  { name: 'console', path: '/admin/demo', goal: { performance: 90 } },
];
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function audit(url) {
  const chrome = await chromeLauncher.launch({
    // Debian's Chromium, started as the browser tests and the other benchmarks start it.
    chromePath: chromium.executablePath,
    chromeFlags: ['--headless=new', ...chromium.args],
  });
  try {
    const { lhr } = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error' });
    if (lhr.runtimeError) throw new Error(`${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
    const value = (id) => lhr.audits[id]?.numericValue ?? NaN;
    return {
      ...Object.fromEntries(CATEGORIES.map((id) => [id, score(id)])),
      fcp: value('first-contentful-paint'),
      lcp: value('largest-contentful-paint'),
      tbt: value('total-blocking-time'),
      cls: value('cumulative-layout-shift'),
      tti: value('interactive'),
      // The longest main-thread tasks, and whose.
      longTasks: (lhr.audits['long-tasks']?.details?.items ?? [])
        .slice(0, 3)
        .map((task) => `${Math.round(task.duration)} ms (${String(task.url ?? '').split('/').pop() || 'page'})`),
      failing: CATEGORIES.filter((id) => id !== 'performance').flatMap((id) =>
        (lhr.categories[id]?.auditRefs ?? [])
          .filter((ref) => ref.weight > 0 && lhr.audits[ref.id]?.score !== null && lhr.audits[ref.id]?.score < 1)
          .map((ref) => ref.id),
      ),
    };
  } finally {
    await chrome.kill();
  }
}

console.log('page        perf  a11y  best  seo   FCP ms  LCP ms  TBT ms  CLS    TTI ms');
for (const page of PAGES) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await audit(`${base}${page.path}`));
  const m = Object.fromEntries(
    [...CATEGORIES, 'fcp', 'lcp', 'tbt', 'cls', 'tti'].map((key) => [key, median(results.map((r) => r[key]))]),
  );
  const misses = [
    ...CATEGORIES.filter((id) => page.goal[id] !== undefined && m[id] < page.goal[id]).map((id) => `${id} ${m[id]}`),
    ...['lcp', 'tbt', 'cls']
      .filter((k) => page.goal[k] !== undefined && m[k] > page.goal[k])
      .map((k) => `${k} ${k === 'cls' ? m[k].toFixed(3) : Math.round(m[k])}`),
  ];
  const failing = [...new Set(results.flatMap((r) => r.failing))];
  console.log(
    `${page.name.padEnd(11)} ${[m.performance, m.accessibility, m['best-practices'], m.seo].map((s) => String(s).padEnd(5)).join(' ')}` +
      ` ${[m.fcp, m.lcp, m.tbt].map((v) => String(Math.round(v)).padStart(6)).join('  ')}  ${m.cls.toFixed(3)}` +
      `  ${String(Math.round(m.tti)).padStart(6)}${misses.length ? `   misses: ${misses.join(', ')}` : ''}` +
      `${failing.length ? `   failing audits: ${failing.join(', ')}` : ''}`,
  );
  const last = results[results.length - 1];
  console.log(`            long tasks: ${last.longTasks.join(', ') || 'none'}`);
}
