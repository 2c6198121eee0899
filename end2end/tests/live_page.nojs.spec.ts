import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';

test('without JavaScript the show and its products are all there', async ({ page }) => {
  const live = new LivePage(page);
  const response = await live.goto();
  expect(response?.status()).toBe(200);
  await expect(live.heading).toHaveText('Caravan Live Demo');
  await expect(live.shopPanel).toBeVisible();
  await expect(live.products).toHaveCount(12);
  for (const [title, price] of [
    ['オリジナルTシャツ', '¥3,300'],
    ['北海道ミルクキャラメル', '¥648'],
    ['ドリップコーヒー 10袋', '¥1,620'],
  ]) {
    await expect(live.product(title)).toContainText(price);
  }
  await expect(live.products.filter({ hasText: 'Sold out' })).toHaveCount(3);
  expect(await live.hasHorizontalScroll()).toBe(false);
  // How to watch, where the video would be; no controls that could not work.
  await expect(live.player).toContainText('Watching needs JavaScript');
  await expect(page.locator('.player-needs-js')).toBeVisible();
  await expect(page.locator('.player-controls')).toBeHidden();
});

test('without JavaScript the switches still change the language and the theme', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto();
  await page.getByRole('link', { name: '日本語で表示' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(page.getByRole('tab', { name: 'ショップ' })).toBeVisible();
  await expect(page.locator('.player-needs-js')).toContainText('JavaScript が必要です');
  await page.getByTestId('theme-switch').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('without JavaScript the root still leads to the show', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/live\/demo$/);
  await expect(new LivePage(page).products).toHaveCount(12);
});
