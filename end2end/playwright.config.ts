// Browser tests in Debian's Chromium (/usr/bin/chromium: Playwright never downloads a browser here).
// `./dev test` builds the site and the server and passes them in E2E_*; the server runs on a free port of
// 127.0.0.1 with a fresh data directory and stops with the run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { chromium } from './chromium.mjs';
import { OPERATOR_TOKEN } from './tests/fixtures/api';

const port = process.env.E2E_PORT ?? '3107';
const server = process.env.E2E_SERVER ?? resolve('../target/debug/caravan-server');
const site = process.env.E2E_SITE ?? resolve('../target/site');
// Set once in the main process; the test workers inherit it (the tests' own servers share its media).
const data = (process.env.E2E_DATA ??= mkdtempSync(join(tmpdir(), 'caravan-e2e-')));

// English unless a test asks for Japanese (the page follows Accept-Language); the tests name things in English.
const desktop = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };
const phone = { ...devices['Pixel 7'], defaultBrowserType: 'chromium' as const, locale: 'en-US' };

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromium,
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'desktop', use: desktop, testIgnore: /(\.(nojs|live)|layout|accessibility)\.spec\.ts$/ },
    { name: 'phone', use: phone, testIgnore: /(\.(nojs|live)|layout|accessibility)\.spec\.ts$/ },
    // The layouts, each at its own size (the spec sets them).
    { name: 'layout', use: desktop, testMatch: /layout\.spec\.ts$/ },
    // Live changes: one project with one worker, so no two tests (of one file or of two) move the same banner at once
    // (each test opens its own viewers).
    { name: 'live', use: desktop, testMatch: /\.live\.spec\.ts$/, fullyParallel: false, workers: 1 },
    { name: 'desktop-nojs', use: { ...desktop, javaScriptEnabled: false }, testMatch: /\.nojs\.spec\.ts$/ },
    { name: 'phone-nojs', use: { ...phone, javaScriptEnabled: false }, testMatch: /\.nojs\.spec\.ts$/ },
    // The accessibility sweep, on the desktop and the phone, once every other project has finished: it keeps both
    // cores busy (a server of its own, axe over each state), which would slow the timing tests beside it. Run it
    // alone with `--project a11y-desktop --project a11y-phone --no-deps`.
    ...(['desktop', 'phone'] as const).map((device) => ({
      name: `a11y-${device}`,
      use: device === 'desktop' ? desktop : phone,
      testMatch: /accessibility\.spec\.ts$/,
      dependencies: ['desktop', 'phone', 'layout', 'live', 'desktop-nojs', 'phone-nojs'],
    })),
  ],
  webServer: {
    command: `"${server}" serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      CARAVAN_ADDR: `127.0.0.1:${port}`,
      // An ephemeral RTMP port: the suite never competes with a server on this machine for 1935.
      CARAVAN_RTMP_ADDR: '127.0.0.1:0',
      CARAVAN_SRT_ADDR: '127.0.0.1:0',
      CARAVAN_DATA_DIR: data,
      CARAVAN_SITE_DIR: site,
      CARAVAN_LOG: 'warn',
      CARAVAN_OPERATOR_TOKEN: OPERATOR_TOKEN,
      // The demo's live stream and recording, made by this server (ffmpeg; Shaka Packager from the root's npm).
      CARAVAN_DEMO_MEDIA: 'true',
      CARAVAN_SHAKA_PACKAGER: resolve('../node_modules/shaka-packager/bin/packager-linux-x64'),
    },
  },
});
