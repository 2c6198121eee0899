import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';
import { OwnServer } from './fixtures/server';

// Paying with Stripe's Payment Element, against a fake Stripe in this process: its API (`POST /v1/payment_intents`,
// form-encoded, Basic auth), a stand-in Stripe.js with the same calls (`Stripe(pk)`, `elements({clientSecret})`,
// `create('payment').mount(el)`, `confirmPayment({elements, redirect})`), and the signed
// `payment_intent.succeeded` webhook Stripe sends when a payment succeeds.
const SECRET_KEY = 'sk_test_e2e';
const WEBHOOK_SECRET = 'whsec_e2e';
const CARAMELS = '北海道ミルクキャラメル';

const STRIPE_JS = `(() => {
  const base = new URL(document.currentScript.src).origin;
  window.Stripe = (key) => ({
    elements({ clientSecret }) {
      let card;
      return {
        clientSecret,
        card: () => card.value,
        create(kind) {
          return { mount(target) {
            card = document.createElement('input');
            card.setAttribute('aria-label', 'Card number');
            target.appendChild(card);
          } };
        },
      };
    },
    async confirmPayment({ elements, redirect }) {
      const answer = await fetch(base + '/confirm', { method: 'POST',
        body: JSON.stringify({ key, clientSecret: elements.clientSecret, card: elements.card(), redirect }) });
      return answer.json();
    },
  });
})();`;

interface FakeStripe {
  url: string;
  caravan: string;
  intents: Record<string, string>[];
  confirmations: Record<string, string>[];
  server: Server;
}

async function fakeStripe(): Promise<FakeStripe> {
  const stripe: FakeStripe = { url: '', caravan: '', intents: [], confirmations: [], server: createServer() };
  stripe.server.on('request', (request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
      response.end(body);
    };
    if (request.method === 'GET' && request.url === '/v3.js') return send(200, 'text/javascript', STRIPE_JS);
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', async () => {
      if (request.url === '/v1/payment_intents') {
        const basic = Buffer.from(`${SECRET_KEY}:`).toString('base64');
        if (request.headers.authorization !== `Basic ${basic}`) return send(401, 'application/json', '{}');
        const form = Object.fromEntries(new URLSearchParams(text));
        stripe.intents.push(form);
        const id = `pi_${form['metadata[order_id]']}`;
        return send(200, 'application/json', JSON.stringify({ id, object: 'payment_intent', client_secret: `${id}_secret_e2e` }));
      }
      if (request.url === '/confirm') {
        const confirmation = JSON.parse(text);
        stripe.confirmations.push(confirmation);
        if (confirmation.card !== '4242424242424242') {
          return send(200, 'application/json', JSON.stringify({ error: { type: 'card_error', message: 'Your card was declined.' } }));
        }
        const intent = confirmation.clientSecret.split('_secret_')[0];
        const event = JSON.stringify({ id: `evt_${intent}`, object: 'event', type: 'payment_intent.succeeded',
          data: { object: { id: intent, object: 'payment_intent', status: 'succeeded' } } });
        const t = Math.floor(Date.now() / 1000);
        const v1 = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${event}`).digest('hex');
        await fetch(`${stripe.caravan}/webhooks/stripe`, { method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` }, body: event });
        return send(200, 'application/json', JSON.stringify({ paymentIntent: { id: intent, status: 'succeeded' } }));
      }
      send(404, 'application/json', '{}');
    });
  });
  await new Promise<void>((done) => stripe.server.listen(0, '127.0.0.1', done));
  stripe.url = `http://127.0.0.1:${(stripe.server.address() as AddressInfo).port}`;
  return stripe;
}

test('a card is paid in the Payment Element inside the cart while the show plays on', async ({ page }) => {
  const stripe = await fakeStripe();
  const server = await OwnServer.start(undefined, {
    CARAVAN_CHECKOUT_PROVIDER: 'stripe',
    CARAVAN_STRIPE_SECRET_KEY: SECRET_KEY,
    CARAVAN_STRIPE_PUBLISHABLE_KEY: 'pk_test_e2e',
    CARAVAN_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    CARAVAN_STRIPE_API_BASE: stripe.url,
    CARAVAN_STRIPE_JS_URL: `${stripe.url}/v3.js`,
  });
  stripe.caravan = server.url;
  try {
    const live = new LivePage(page);
    const player = new Player(page);
    await page.goto(`${server.url}/live/demo`);
    await live.waitForLiveLink();
    await player.expectAdvancing(1);
    // Stripe.js is not part of the page until a Stripe payment starts.
    expect(await page.evaluate(() => 'Stripe' in window)).toBe(false);

    await live.product(CARAMELS).getByRole('button', { name: `Add to cart: ${CARAMELS}` }).click();
    await page.getByRole('button', { name: /^Cart/ }).click();
    const cart = page.getByRole('dialog', { name: 'Cart' });
    await cart.getByRole('button', { name: 'Place order' }).click();
    const payment = cart.getByRole('group', { name: 'Card payment' });
    const card = payment.getByLabel('Card number');
    await expect(card).toBeVisible();
    expect(stripe.intents).toEqual([
      expect.objectContaining({ amount: '648', currency: 'jpy', 'automatic_payment_methods[enabled]': 'true' }),
    ]);

    // Declined: Stripe's words, and the buyer can try again.
    await card.fill('4000000000000002');
    await payment.getByRole('button', { name: 'Pay ¥648' }).click();
    await expect(payment.getByRole('alert')).toHaveText('Your card was declined.');
    await card.fill('4242424242424242');
    await payment.getByRole('button', { name: 'Pay ¥648' }).click();
    await expect(cart.getByRole('status').filter({ hasText: 'is paid' })).toContainText('is paid: ¥648.', {
      timeout: 15_000,
    });
    expect(stripe.confirmations.map((c) => [c.key, c.redirect])).toEqual([
      ['pk_test_e2e', 'if_required'],
      ['pk_test_e2e', 'if_required'],
    ]);
    await expect(page.getByTestId('cart-count')).toHaveText('0');
    await player.expectAdvancing(1);
    expect(live.errors).toEqual([]);
  } finally {
    await server.dispose();
    stripe.server.close();
  }
});
