import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';

test('the demo show renders with its products', async ({ page }) => {
  const live = new LivePage(page);
  const response = await live.goto();
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle('Caravan Live Demo · Caravan');
  await expect(live.heading).toHaveText('Caravan Live Demo');
  await expect(live.products).toHaveCount(12);
  await expect(live.product('オリジナルTシャツ')).toContainText('¥3,300');
  await expect(live.product('オリジナルTシャツ')).toContainText('(tax incl.)');
  await expect(live.product('ワイヤレスイヤホン')).toContainText('Sold out');
  await expect(live.player).toBeVisible();
  // The "how to watch" of a page without JavaScript stays out of sight.
  await expect(page.locator('.player-needs-js')).toBeHidden();
});

test('the page hydrates: the side panel tabs switch', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto();
  await expect(live.shopPanel).toBeVisible();
  await expect(live.feedPanel).toBeHidden();

  await live.openFeed();
  await expect(live.feedPanel).toBeVisible();
  await expect(live.shopPanel).toBeHidden();
  await expect(live.shopTab).toHaveAttribute('aria-selected', 'false');

  // Arrow keys move between the tabs (WAI-ARIA tabs pattern) and take the focus along.
  await live.feedTab.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(live.shopTab).toHaveAttribute('aria-selected', 'true');
  await expect(live.shopTab).toBeFocused();
  await expect(live.shopPanel).toBeVisible();

  expect(live.errors, 'no console errors while hydrating').toEqual([]);
});

test('the hydrated page keeps the server-rendered products', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto();
  await live.openFeed();
  await live.shopTab.click();
  await expect(live.products).toHaveCount(12);
  // (Not by position: a product picked up by the live tests comes first.)
  await expect(live.product('オリジナルTシャツ')).toContainText('¥3,300');
});

test('the layout fits the screen without horizontal scrolling', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto();
  await expect(live.products).toHaveCount(12);
  expect(await live.hasHorizontalScroll()).toBe(false);
  const player = await live.player.boundingBox();
  const viewport = page.viewportSize()!;
  expect(player).not.toBeNull();
  expect(player!.width / player!.height).toBeCloseTo(16 / 9, 1);
  if (viewport.width < 960) {
    expect(player!.width, 'full-width video on a phone').toBeCloseTo(viewport.width, 0);
  } else {
    const panel = await page.getByRole('region', { name: 'Shop and feed' }).boundingBox();
    expect(panel!.x, 'the shop beside the video on a desktop').toBeGreaterThan(player!.x + player!.width);
  }
});

test('an unknown show is a 404 page', async ({ page }) => {
  const response = await page.goto('/live/no-such-show');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the show on air' }).click();
  await expect(page).toHaveURL(/\/live\/demo$/);
  await expect(new LivePage(page).heading).toHaveText('Caravan Live Demo');
});

test('the root opens the show on air', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/live\/demo$/);
  await expect(new LivePage(page).products).toHaveCount(12);
});
