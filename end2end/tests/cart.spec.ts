import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';

const CARAMELS = '北海道ミルクキャラメル';

test('buying never interrupts the show: add, change the quantity, check out with the test provider', async ({ page }) => {
  const show = new LivePage(page);
  const player = new Player(page);
  await show.goto('demo');
  const before = await player.expectAdvancing(1);

  const caramels = show.product(CARAMELS);
  const add = caramels.getByRole('button', { name: `Add to cart: ${CARAMELS}` });
  await add.click();
  await add.click();
  await expect(page.getByTestId('cart-count')).toHaveText('2');
  await expect(show.product('ワイヤレスイヤホン').getByRole('button', { name: 'Sold out' })).toBeDisabled();

  await page.getByRole('button', { name: /^Cart/ }).click();
  const cart = page.getByRole('dialog', { name: 'Cart' });
  await expect(cart).toBeVisible();
  await expect(cart.getByTestId('cart-total')).toHaveText('¥1,296');
  await cart.getByRole('button', { name: 'One more' }).click();
  await expect(cart.getByTestId('cart-total')).toHaveText('¥1,944');
  // ¥1,944 at the reduced 8 %: ¥144 of it is tax.
  await expect(cart.getByTestId('cart-tax')).toHaveText('¥144');
  await cart.getByRole('button', { name: 'One less' }).click();
  await expect(page.getByTestId('cart-count')).toHaveText('2');

  await cart.getByLabel('E-mail for the receipt (optional)').fill('buyer@example.com');
  await cart.getByRole('button', { name: 'Place order' }).click();
  const payment = cart.getByRole('group', { name: 'Test payment' });
  await expect(payment).toContainText('Test mode');
  await payment.getByRole('button', { name: 'Pay ¥1,296 (test)' }).click();
  await expect(cart.getByRole('status')).toContainText('is paid: ¥1,296.');
  await expect(page.getByTestId('cart-count')).toHaveText('0');

  // The picture went on all along: it is further than before, and playing.
  const after = await player.expectAdvancing(1);
  expect(after).toBeGreaterThan(before);
  expect((await player.state()).paused).toBe(false);
  expect(show.errors).toEqual([]);
});

test('the cart survives a reload, and a declined test card charges nothing', async ({ page }) => {
  const show = new LivePage(page);
  await show.goto('demo');
  // A tap before the app has hydrated is not an order (the page fetches the app after the video's first frame).
  await show.waitForLiveLink();
  await show.product(CARAMELS).getByRole('button', { name: `Add to cart: ${CARAMELS}` }).click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.reload();
  await show.waitForLiveLink();
  await expect(page.getByTestId('cart-count')).toHaveText('1');

  await page.getByRole('button', { name: /^Cart/ }).click();
  const cart = page.getByRole('dialog', { name: 'Cart' });
  await cart.getByRole('button', { name: 'Place order' }).click();
  await cart.getByRole('button', { name: 'Decline (test card)' }).click();
  await expect(cart.getByRole('alert')).toContainText('declined. Nothing was charged');
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.keyboard.press('Escape');
  await expect(cart).toBeHidden();
});

test('a product with variants is bought in the chosen one', async ({ page }) => {
  const show = new LivePage(page);
  await show.goto('demo');
  await show.waitForLiveLink();
  const tote = show.product('キャンバストートバッグ');
  const choice = tote.getByRole('combobox', { name: 'Choose a variant of キャンバストートバッグ' });
  await expect(choice).toHaveValue('var_demo_02_natural');
  await choice.selectOption({ label: 'ブラック · Black' });
  await tote.getByRole('button', { name: 'Add to cart: キャンバストートバッグ' }).click();
  await choice.selectOption({ label: '生成り · Natural' });
  await tote.getByRole('button', { name: 'Add to cart: キャンバストートバッグ' }).click();
  await expect(page.getByTestId('cart-count')).toHaveText('2');

  await page.getByRole('button', { name: /^Cart/ }).click();
  const cart = page.getByRole('dialog', { name: 'Cart' });
  await expect(cart.getByRole('group', { name: 'Quantity of キャンバストートバッグ (ブラック · Black)' })).toBeVisible();
  await expect(cart.getByRole('group', { name: 'Quantity of キャンバストートバッグ (生成り · Natural)' })).toBeVisible();
  await cart.getByRole('button', { name: 'Place order' }).click();
  const payment = cart.getByRole('group', { name: 'Test payment' });
  await payment.getByRole('button', { name: 'Pay ¥4,400 (test)' }).click();
  await expect(cart.getByRole('status').filter({ hasText: 'is paid' })).toContainText('is paid: ¥4,400.');
  expect(show.errors).toEqual([]);
});
