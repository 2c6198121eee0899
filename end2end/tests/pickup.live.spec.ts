import { devices, expect, test } from '@playwright/test';
import { setPickup } from './fixtures/api';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';

test('a pick-up reaches every open page within a second, without reloading', async ({ browser, baseURL }) => {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const phone = await browser.newContext({ ...devices['Pixel 7'] });
  const viewers = [new LivePage(await desktop.newPage()), new LivePage(await phone.newPage())];
  const players = viewers.map((viewer) => new Player(viewer.page));
  for (const viewer of viewers) {
    await viewer.goto();
    await viewer.waitForLiveLink();
    await viewer.markDocument();
  }
  // The video plays; its element is marked so a re-created player would show.
  const before = await Promise.all(players.map((player) => player.expectAdvancing(1)));
  for (const player of players) await player.video.evaluate((v) => (v.dataset.mark = 'same'));

  await setPickup(baseURL!, 'prd_demo_03', true);
  await Promise.all(viewers.map((v) => expect(v.pickedUp('抹茶ラテセット')).toBeVisible({ timeout: 1_000 })));
  for (const viewer of viewers) await expect(viewer.pickedUp('抹茶ラテセット')).toContainText('¥1,944');

  await setPickup(baseURL!, 'prd_demo_11', true);
  await Promise.all(viewers.map((v) => expect(v.pickedUp('ドリップコーヒー 10袋')).toBeVisible({ timeout: 1_000 })));

  await setPickup(baseURL!, null, false);
  await Promise.all(viewers.map((v) => expect(v.pickupBanner.locator('.pickup-card')).toHaveCount(0, { timeout: 2_000 })));

  for (const viewer of viewers) {
    expect(await viewer.isSameDocument(), 'no reload').toBe(true);
    expect(viewer.errors).toEqual([]);
  }
  // The video kept playing through the changes: the same element, further on, still moving.
  for (const [i, player] of players.entries()) {
    expect(await player.video.evaluate((v) => v.dataset.mark)).toBe('same');
    const now = await player.expectAdvancing(1);
    expect(now).toBeGreaterThan(before[i] + 1);
  }
  await desktop.close();
  await phone.close();
});

test('the banner is in the server-rendered page, so it does not flash in', async ({ page, baseURL }) => {
  await setPickup(baseURL!, 'prd_demo_09', true);
  await page.route('**/pkg/**', (route) => route.abort()); // no hydration: what the server sent
  const viewer = new LivePage(page);
  await viewer.goto();
  await expect(viewer.pickedUp('北海道ミルクキャラメル')).toBeVisible();
});
