import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { OPERATOR_TOKEN } from './fixtures/api';
import { ConsolePage } from './fixtures/console_page';
import { OwnServer } from './fixtures/server';

// The accessibility sweep: an automated WCAG 2.2 A/AA audit, with axe's best practices (axe-core from npm, run
// inside Chromium), of every state a viewer or an operator can reach: the live show with the pick-up banner on, each
// tab, behind the live edge, the cart with lines, the waiting-room card, the checkout's payment form, the player's
// error notice, the countdown, the replay, a paid show's terms and refusal, the embed widget, and the console signed
// in. In both languages and both themes, on the desktop and the phone (the two projects). A moderate, serious or
// critical finding in any state fails the test, which lists them all by state. On a server of the test's own: the
// sweep picks products up and opens the waiting room.
// axe-core's source, run in the page by the test runner (the page's script policy lets no inline script in, and a
// test must not loosen it: the audit sees the page as viewers get it).
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const FAILING = new Set(['moderate', 'serious', 'critical']);

async function audit(page: Page): Promise<Finding[]> {
  await page.evaluate(axeSource);
  const findings: Finding[] = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<any> } }).axe;
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      // The video's own pixels are not text.
      exclude: [['video']],
    });
    return results.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => n.target.join(' ')),
    }));
  });
  return findings.filter((f) => FAILING.has(f.impact ?? ''));
}

/** The words the sweep finds things by, in each language. */
const WORDS = {
  en: { shop: 'Shop', feed: 'Feed', cart: 'Cart', add: 'Add to cart', order: 'Place order', accept: 'Accept the terms and watch' },
  ja: { shop: 'ショップ', feed: 'フィード', cart: 'カート', add: 'カートに入れる', order: '注文する', accept: '規約に同意して視聴する' },
};

const COMBINATIONS = [
  { lang: 'en', theme: 'dark' },
  { lang: 'ja', theme: 'light' },
  { lang: 'en', theme: 'light' },
  { lang: 'ja', theme: 'dark' },
] as const;

async function choose(context: BrowserContext, url: string, lang: string, theme: string) {
  await context.addCookies([
    { name: 'caravan_lang', value: lang, url },
    { name: 'caravan_theme', value: theme, url },
  ]);
}

async function operatorPost(url: string, body: unknown, method = 'POST') {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: OPERATOR_TOKEN },
    body: JSON.stringify(body),
  });
  expect(response.status, `${method} ${url}`).toBeLessThan(300);
}

/** Waits until the player plays, then pauses it, its controls held in view so no audit catches them half faded
 * out. */
async function pausedPlayer(page: Page) {
  await expect(page.locator('.player[data-phase]').first()).toHaveAttribute('data-phase', 'playing', { timeout: 20_000 });
  await page.locator('video').evaluate((v: HTMLVideoElement) => v.pause());
  await expect(page.locator('.player-controls')).toHaveCSS('opacity', '1');
}

for (const { lang, theme } of COMBINATIONS) {
  test(`every state passes the audit: ${lang}, ${theme} theme`, async ({ page, context }) => {
    test.setTimeout(240_000);
    const words = WORDS[lang];
    const server = await OwnServer.start();
    const found: Record<string, Finding[]> = {};
    const check = async (state: string) => {
      const findings = await audit(page);
      if (findings.length) found[state] = findings;
    };
    try {
      await choose(context, server.url, lang, theme);
      await operatorPost(`${server.url}/graphql`, {
        query: 'mutation { setPickup(eventId: "evt_demo", productId: "prd_demo_03", visible: true) { visible } }',
      });

      // The live show, the banner on, each tab.
      await page.goto(`${server.url}/live/demo`);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await expect(page.locator('[data-live-link="live"]')).toBeVisible({ timeout: 15_000 });
      await expect(page.locator('.pickup-card')).toBeVisible();
      await pausedPlayer(page);
      await check('live: pick-up banner, shop tab');
      await page.getByRole('tab', { name: words.feed }).click();
      await expect(page.getByRole('tab', { name: words.feed })).toHaveAttribute('aria-selected', 'true');
      await check('live: feed tab');
      await page.getByRole('tab', { name: words.shop }).click();
      // Behind the live edge, the LIVE badge becomes a "Back to live" button over the picture.
      await page.locator('video').evaluate((v: HTMLVideoElement) => (v.currentTime = Math.max(0, v.currentTime - 10)));
      await expect(page.locator('button.player-live')).toBeVisible({ timeout: 10_000 });
      await check('live: behind the live edge');

      // The cart with lines, then the order: an armed waiting room's card, then the payment form once let in.
      await page.getByRole('button', { name: new RegExp(`^${words.add}`) }).first().click();
      await page.getByRole('button', { name: new RegExp(`^${words.cart}\\s*\\d`) }).click();
      const cart = page.getByRole('dialog', { name: words.cart });
      await expect(cart).toBeVisible();
      await check('cart with a line');
      await operatorPost(`${server.url}/api/admin/waiting-room/evt_demo`, { armed: true, inlet: 'manual' }, 'PUT');
      await cart.getByRole('button', { name: words.order }).click();
      await expect(page.getByTestId('waiting-room')).toBeVisible();
      await check('waiting-room card');
      await operatorPost(`${server.url}/api/admin/waiting-room/evt_demo/increment_serving_counter`, { increment_by: 1 });
      await expect(page.getByTestId('waiting-room')).toBeHidden({ timeout: 10_000 });
      await expect(cart.locator('.test-payment')).toBeVisible();
      await check('checkout: the payment form');
      await page.keyboard.press('Escape');

      // The player's notice when the stream cannot be reached.
      await page.route('**/media/**', (route) => route.abort('connectionfailed'));
      await page.goto(`${server.url}/live/demo`);
      await expect(page.locator('.player[data-phase]')).toHaveAttribute('data-phase', /reconnecting|failed/, {
        timeout: 30_000,
      });
      await expect(page.locator('.player').getByRole('status').or(page.locator('.player').getByRole('alert')).first())
        .toBeVisible();
      await check('player: stream unreachable');
      await page.unroute('**/media/**');

      // The countdown, the replay, a paid show's terms and its refusal.
      await page.goto(`${server.url}/live/demo-upcoming`);
      await expect(page.getByRole('timer')).toBeVisible();
      await check('upcoming: countdown');
      await page.goto(`${server.url}/live/demo-archive`);
      await pausedPlayer(page);
      await check('replay');
      await page.goto(`${server.url}/live/demo-paid`);
      const notice = page.locator('.player').getByRole('alert');
      await expect(notice).toHaveAttribute('data-reason', 'terms', { timeout: 15_000 });
      await check('paid show: terms');
      await notice.getByRole('button', { name: words.accept }).click();
      await expect(notice).toHaveAttribute('data-reason', 'entitlement');
      await check('paid show: refusal');

      // The embed widget with its shop, and the console.
      await page.goto(`${server.url}/embed/demo?mode=full`);
      await expect(page.locator('.pickup-card')).toBeVisible();
      await pausedPlayer(page);
      await check('embed widget');
      const desk = new ConsolePage(page);
      await desk.signIn(server.url);
      await desk.expectSignedIn();
      await check('console, signed in');

      expect(found, 'serious, critical and moderate findings by state').toEqual({});
    } finally {
      await server.dispose();
    }
  });
}
