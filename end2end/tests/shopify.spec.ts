import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';
import { OwnServer } from './fixtures/server';

// A show that sells a Shopify collection, against a fake Storefront API in this process (Shopify's request and
// answer shapes; a stand-in checkout page at the cart's checkoutUrl).
const TOKEN = 'storefront-token-e2e';
const YUKATA = '浴衣セット';

interface FakeShop {
  url: string;
  carts: unknown[];
  server: Server;
}

async function fakeShop(): Promise<FakeShop> {
  const shop: FakeShop = { url: '', carts: [], server: createServer() };
  shop.server.on('request', (request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method === 'GET' && request.url?.startsWith('/checkout/')) {
      return send(200, 'text/html', '<!doctype html><title>Shop checkout</title><h1>Checkout</h1>');
    }
    if (request.method === 'GET' && request.url === '/yukata.svg') {
      return send(200, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
    }
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      if (request.headers['x-shopify-storefront-access-token'] !== TOKEN) return send(401, 'application/json', '{}');
      const { query, variables } = JSON.parse(text);
      if (query.includes('cartCreate')) {
        shop.carts.push(variables.input);
        const n = shop.carts.length;
        const cart = { id: `gid://shopify/Cart/c${n}`, checkoutUrl: `${shop.url}/checkout/c${n}` };
        return send(200, 'application/json', JSON.stringify({ data: { cartCreate: { cart, userErrors: [] } } }));
      }
      const product = {
        id: 'gid://shopify/Product/101',
        handle: 'yukata',
        title: YUKATA,
        description: '',
        featuredImage: { url: `${shop.url}/yukata.svg`, altText: null },
        variants: {
          edges: [
            {
              node: {
                id: 'gid://shopify/ProductVariant/1010',
                title: 'Default Title',
                availableForSale: true,
                quantityAvailable: 5,
                price: { amount: '12800.0', currencyCode: 'JPY' },
              },
            },
          ],
        },
      };
      const collection = {
        id: 'gid://shopify/Collection/1',
        title: 'Live sale',
        products: { edges: [{ node: product }], pageInfo: { hasNextPage: false, endCursor: null } },
      };
      send(200, 'application/json', JSON.stringify({ data: { collection } }));
    });
  });
  await new Promise<void>((done) => shop.server.listen(0, '127.0.0.1', done));
  shop.url = `http://127.0.0.1:${(shop.server.address() as AddressInfo).port}`;
  return shop;
}

test('a Shopify show is paid at the shop checkout in a new tab while the show plays on', async ({ page, isMobile }) => {
  test.skip(isMobile, 'one layout is enough for the provider');
  const shop = await fakeShop();
  const server = await OwnServer.start(undefined, {
    CARAVAN_SHOPIFY_COLLECTIONS: 'demo=live-sale',
    CARAVAN_SHOPIFY_STOREFRONT_TOKEN: TOKEN,
    CARAVAN_SHOPIFY_API_BASE: shop.url,
  });
  try {
    const live = new LivePage(page);
    const player = new Player(page);
    // The catalog is read from Shopify as the server starts.
    await expect(async () => {
      await page.goto(`${server.url}/live/demo`);
      await expect(live.product(YUKATA)).toBeVisible({ timeout: 500 });
    }).toPass({ timeout: 15_000 });
    await expect(live.products).toHaveCount(1);
    await expect(live.product(YUKATA)).toContainText('¥12,800');
    await live.waitForLiveLink();
    await player.expectAdvancing(1);

    await live.product(YUKATA).getByRole('button', { name: `Add to cart: ${YUKATA}` }).click();
    await page.getByRole('button', { name: /^Cart/ }).click();
    const cart = page.getByRole('dialog', { name: 'Cart' });
    await cart.getByRole('button', { name: 'Place order' }).click();
    const payAtShop = cart.getByRole('group', { name: 'Pay at the shop' });
    await expect(payAtShop).toContainText('¥12,800');
    const link = payAtShop.getByRole('link', { name: /Pay at the shop's checkout/ });
    await expect(link).toHaveAttribute('target', '_blank');
    expect(shop.carts).toEqual([
      {
        lines: [{ merchandiseId: 'gid://shopify/ProductVariant/1010', quantity: 1 }],
        attributes: [{ key: 'caravan_order', value: expect.stringMatching(/^ord_/) }],
      },
    ]);

    const [checkout] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await expect(checkout).toHaveURL(`${shop.url}/checkout/c1`);
    await expect(checkout.getByRole('heading', { name: 'Checkout' })).toBeVisible();
    // The show went on in its own tab; the cart is handed over.
    await player.expectAdvancing(1);
    await expect(page.getByTestId('cart-count')).toHaveText('0');
    expect(live.errors).toEqual([]);
  } finally {
    await server.dispose();
    shop.server.close();
  }
});
