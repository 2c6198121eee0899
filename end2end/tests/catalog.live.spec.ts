import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { OwnServer } from './fixtures/server';

// 有田焼マグカップ: ¥2,750, 12 in stock in the demo.
const MUG = { id: 'prd_demo_05', title: '有田焼マグカップ', price: 2750, stock: 12 };

/** Another buyer orders `quantity` mugs; the order's id and that buyer's cookie. */
async function buyMugs(baseURL: string, quantity: number): Promise<{ orderId: string; cookie: string }> {
  const response = await fetch(`${baseURL}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `mugs-${quantity}-${Date.now()}` },
    body: JSON.stringify({ slug: 'demo', lines: [{ productId: MUG.id, quantity, price: MUG.price }] }),
  });
  expect(response.status).toBe(201);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { orderId: (await response.json()).orderId, cookie };
}

test('a product sold out by other buyers shows so at once, and comes back when their payment fails', async ({
  page,
}) => {
  // A server of its own: selling out a demo product must not change what other tests see.
  const server = await OwnServer.start();
  try {
    const viewer = new LivePage(page);
    await page.goto(`${server.url}/live/demo`);
    await viewer.waitForLiveLink();
    await viewer.markDocument();
    const mug = viewer.product(MUG.title);
    const add = mug.getByRole('button', { name: `Add to cart: ${MUG.title}` });
    await expect(add).toBeEnabled();

    const { orderId, cookie } = await buyMugs(server.url, MUG.stock);
    await expect(mug.getByRole('button', { name: 'Sold out' })).toBeDisabled({ timeout: 2_000 });
    await expect(mug).toContainText('Sold out');

    const declined = await fetch(`${server.url}/api/orders/${orderId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ outcome: 'decline' }),
    });
    expect(declined.status).toBe(200);
    await expect(add).toBeEnabled({ timeout: 2_000 });
    await expect(mug).not.toContainText('Sold out');
    expect(await viewer.isSameDocument(), 'no reload').toBe(true);
    expect(viewer.errors).toEqual([]);
  } finally {
    await server.dispose();
  }
});

test('a buyer whose product sold out meanwhile is told so in their language, and keeps the cart', async ({ page }) => {
  const server = await OwnServer.start();
  try {
    const viewer = new LivePage(page);
    await page.goto(`${server.url}/live/demo?lang=ja`);
    await viewer.waitForLiveLink();
    // The fixture's locators are English: in Japanese, the button is found by its own name.
    await page.getByRole('button', { name: `カートに入れる: ${MUG.title}` }).click();
    await expect(page.getByTestId('cart-count')).toHaveText('1');

    // Other buyers take every mug before this one orders.
    await buyMugs(server.url, MUG.stock);
    await page.getByRole('button', { name: /^カート \d+点$/ }).click();
    const cart = page.getByRole('dialog', { name: 'カート' });
    await cart.getByRole('button', { name: '注文する' }).click();
    // The server's refusal (`sold_out`, in English for logs) is worded here, in Japanese, with the product's name.
    const alert = cart.getByRole('alert');
    await expect(alert).toContainText(`「${MUG.title}」は売り切れました。`);
    await expect(alert).toContainText('削除するか数量を減らして');
    await expect(alert).not.toContainText('sold out');
    await expect(page.getByTestId('cart-count')).toHaveText('1');
    // The browser logs the refused request itself (409); nothing else may fail.
    expect(viewer.errors.filter((error) => !error.includes('status of 409'))).toEqual([]);
  } finally {
    await server.dispose();
  }
});
