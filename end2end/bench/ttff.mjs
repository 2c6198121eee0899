#!/usr/bin/env node
// Time to first frame of the live page: from navigation start to the <video>'s first `playing` event, in a fresh
// Chromium profile each run (nothing cached), against a running caravan-server with the demo's live stream.
//
//   node bench/ttff.mjs <base-url> [runs]
//
// The same run measures a baseline: a bare page with only a <video> and hls.js (the same file, from the same
// server) playing the same stream. The difference is what server rendering, the wasm bundle and hydration cost.
// Both are measured twice: on localhost as it is, and on Lighthouse's mobile profile applied for real (its DevTools
// throttling: 562.5 ms per request, 1,474.56 kbit/s down, 675 up, the CPU slowed 4×, a 412×823 phone screen).
// Chromium applies the network throttling to every request but the page's own document (its first byte stays at a
// few milliseconds), alike for both pages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromium as launch } from '../chromium.mjs';

const [base, runsArg] = process.argv.slice(2);
if (!base) {
  console.error('usage: ttff.mjs <base-url> [runs]');
  process.exit(2);
}
const runs = Number(runsArg ?? 7);

// Records when the first <video> starts playing (media events do not bubble; a capturing listener sees them).
const PROBE = `
  document.addEventListener('playing', () => { window.__firstFrame ??= performance.now(); }, true);
`;

// Lighthouse 12's `mobileSlow4G` as DevTools applies it (lighthouse-core/config/constants.js).
const MOBILE = { latency: 562.5, downloadKbps: 1474.56, uploadKbps: 675, cpu: 4 };
const PROFILES = [
  { name: 'localhost', screen: { viewport: { width: 1280, height: 800 } } },
  {
    name: 'mobile (Lighthouse)',
    screen: { viewport: { width: 412, height: 823 }, deviceScaleFactor: 1.75, isMobile: true, hasTouch: true },
    throttle: MOBILE,
  },
];

async function measure(url, profileOf, route) {
  const profile = mkdtempSync(join(tmpdir(), 'caravan-ttff-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...launch,
    args: ['--headless', ...launch.args],
    ...profileOf.screen,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    if (profileOf.throttle) {
      const { latency, downloadKbps, uploadKbps, cpu } = profileOf.throttle;
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency,
        downloadThroughput: (downloadKbps * 1024) / 8,
        uploadThroughput: (uploadKbps * 1024) / 8,
      });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
    }
    if (route) await page.route(route.url, route.handler);
    await page.addInitScript(PROBE);
    await page.goto(url);
    await page.waitForFunction(() => window.__firstFrame !== undefined, null, { timeout: 90_000 });
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        firstFrame: window.__firstFrame,
        responseStart: nav.responseStart,
        domContentLoaded: nav.domContentLoadedEventEnd,
      };
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function bareHlsPage() {
  const manifest = await (await fetch(`${base}/manifest.json`)).json().catch(() => null);
  const hls = manifest ? `/${manifest.pkg}/hls.min.js` : null;
  if (!hls) throw new Error('the server has no built site (manifest.json)');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="${hls}"></script></head><body>
<video muted autoplay playsinline style="width:100%"></video>
<script>
  const video = document.querySelector('video');
  const hls = new Hls({ lowLatencyMode: true, capLevelToPlayerSize: true, backBufferLength: 30 });
  hls.loadSource('/media/demo/live/master.m3u8');
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script></body></html>`;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const baselineHtml = await bareHlsPage();
const row = (name, list) => {
  const ff = list.map((r) => r.firstFrame);
  return `| ${name} | ${runs} | ${median(list.map((r) => r.responseStart)).toFixed(0)} | ${median(
    list.map((r) => r.domContentLoaded),
  ).toFixed(0)} | ${median(ff).toFixed(0)} | ${Math.min(...ff).toFixed(0)} | ${Math.max(...ff).toFixed(0)} |`;
};
for (const profile of PROFILES) {
  const results = { caravan: [], baseline: [] };
  // Alternate the two pages so the machine's noise falls on both alike.
  for (let i = 0; i < runs; i++) {
    results.caravan.push(await measure(`${base}/live/demo`, profile));
    results.baseline.push(
      await measure(`${base}/bench/bare-hls`, profile, {
        url: '**/bench/bare-hls',
        handler: (route) => route.fulfill({ contentType: 'text/html', body: baselineHtml }),
      }),
    );
  }
  console.log(`\n${profile.name}`);
  console.log('| page | runs | first byte ms (median) | DOMContentLoaded ms | first frame ms (median) | min | max |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(row('/live/demo (SSR + hydration + hls.js)', results.caravan));
  console.log(row('bare hls.js page, same stream (baseline)', results.baseline));
  const ratio = median(results.caravan.map((r) => r.firstFrame)) / median(results.baseline.map((r) => r.firstFrame));
  console.log(`first frame, live page / baseline: ${ratio.toFixed(2)}× (goal ≤ 1.20×)`);
}
