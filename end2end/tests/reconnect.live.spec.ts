import { expect, test } from '@playwright/test';
import { setPickup } from './fixtures/api';
import { LivePage } from './fixtures/live_page';
import { OwnServer } from './fixtures/server';

test('a change made while the page was cut off shows once it reconnects, without reloading', async ({ page }) => {
  const server = await OwnServer.start();
  try {
    const viewer = new LivePage(page);
    await page.goto(`${server.url}/live/demo`);
    await viewer.waitForLiveLink();
    await viewer.markDocument();
    await expect(viewer.connectionIndicator).toHaveCount(0);

    await server.stop();
    await expect(viewer.connectionIndicator).toBeVisible({ timeout: 5_000 });

    // The change happens while the page's server is down (through a second server on the same data, which the page
    // does not know), so no subscription can deliver it: only the re-read after reconnecting can.
    const twin = await OwnServer.start(server);
    await setPickup(twin.url, 'prd_demo_05', true);
    await twin.dispose();
    await server.restart();
    await expect(viewer.pickedUp('有田焼マグカップ')).toBeVisible({ timeout: 20_000 });
    await expect(viewer.connectionIndicator).toHaveCount(0);
    expect(await viewer.isSameDocument(), 'no reload').toBe(true);

    // And live again: the next change arrives through the new connection.
    await setPickup(server.url, 'prd_demo_02', true);
    await expect(viewer.pickedUp('キャンバストートバッグ')).toBeVisible({ timeout: 2_000 });
  } finally {
    await server.dispose();
  }
});

test('a change made while the page was still loading shows once it is live, without reloading', async ({ page }) => {
  const server = await OwnServer.start();
  try {
    // The page's code is held back until the change has been made: the server-rendered page shows the state before
    // it, and the subscription starts after it, so only the re-read at the subscription's start can bring it.
    let release: () => void = () => {};
    const held = new Promise<void>((done) => (release = done));
    await page.route('**/*.wasm', async (route) => {
      await held;
      await route.continue();
    });
    const viewer = new LivePage(page);
    await page.goto(`${server.url}/live/demo`);
    await expect(viewer.pickedUp('有田焼マグカップ')).toHaveCount(0);
    await viewer.markDocument();

    await setPickup(server.url, 'prd_demo_05', true);
    release();
    await viewer.waitForLiveLink();
    await expect(viewer.pickedUp('有田焼マグカップ')).toBeVisible({ timeout: 5_000 });
    expect(await viewer.isSameDocument(), 'no reload').toBe(true);
  } finally {
    await server.dispose();
  }
});
