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

test('the picked-up product comes first in the carousel, without moving a viewer who has swiped along', async ({
  browser,
  baseURL,
}) => {
  await setPickup(baseURL!, null, false);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const [atStart, along] = [new LivePage(await context.newPage()), new LivePage(await context.newPage())];
  for (const viewer of [atStart, along]) {
    await viewer.goto();
    await viewer.waitForLiveLink();
  }
  // One viewer has moved on to the fourth card.
  const next = along.carousel.getByRole('button', { name: 'Next products' });
  for (let i = 2; i <= 4; i++) {
    await next.click();
    await expect(along.carouselPosition).toHaveText(`Showing product ${i} / 12`);
  }
  await expect.poll(() => along.productAtStart()).toBe('静岡煎茶 100g');

  await setPickup(baseURL!, 'prd_demo_11', true);
  const first = atStart.products.first();
  await expect(first).toContainText('ドリップコーヒー 10袋', { timeout: 1_000 });
  await expect(first).toContainText('On air');
  await expect(first).toHaveAttribute('aria-label', '1 of 12');
  await expect(atStart.products.filter({ hasText: 'On air' })).toHaveCount(1);
  // The other still sees the card they were looking at, now one further along.
  await expect(along.products.first()).toContainText('ドリップコーヒー 10袋');
  await expect.poll(() => along.productAtStart()).toBe('静岡煎茶 100g');
  await expect(along.carouselPosition).toHaveText('Showing product 5 / 12');

  // Taken down: the product goes back to its place.
  await setPickup(baseURL!, null, false);
  await expect(atStart.products.first()).toContainText('オリジナルTシャツ');
  await expect(atStart.products.nth(10)).toContainText('ドリップコーヒー 10袋');
  await expect(atStart.products.filter({ hasText: 'On air' })).toHaveCount(0);
  await context.close();
});
