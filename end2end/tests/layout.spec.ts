// The live page's layouts at the sizes people use: a phone in portrait (375×812, touch) and in landscape, the
// narrowest phone (320), a tablet, and a desktop (1440×900). Each must fit (no sideways scroll), keep its key controls
// where they belong, and switch language and theme in place. With E2E_SCREENSHOTS=1 (`./dev screenshots`) the test
// also writes the pictures in docs/screenshots/.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { OwnServer } from './fixtures/server';

const SHOTS = process.env.E2E_SCREENSHOTS ? resolve('../docs/screenshots') : null;

async function screenshot(page: Page, name: string, fullPage = false) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  // The video's picture changes every frame: paused, the picture is one frame and the controls stay in view.
  await page.locator('video').evaluateAll((videos: HTMLVideoElement[]) => videos.forEach((video) => video.pause()));
  await page.screenshot({ path: `${SHOTS}/${name}.png`, animations: 'disabled', fullPage });
}

/** The page, playing, with its live link up. */
async function open(page: Page, lang?: 'ja' | 'en'): Promise<LivePage> {
  const live = new LivePage(page);
  await page.goto(lang ? `/live/demo?lang=${lang}` : '/live/demo');
  await expect(page.locator('.live-layout[data-live-link="live"]')).toBeVisible();
  await expect(page.locator('.player[data-phase="playing"]')).toBeVisible({ timeout: 20_000 });
  return live;
}

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

async function box(locator: Locator) {
  const rect = await locator.boundingBox();
  expect(rect, 'laid out').not.toBeNull();
  return rect!;
}

/** The controls a viewer needs, each at least `min` px tall and wide (a finger's size on touch screens). */
async function expectTargets(page: Page, min: number) {
  const targets = [
    page.locator('.like-tap'),
    page.getByRole('tab', { name: /Shop|ショップ/ }),
    page.getByRole('tab', { name: /Feed|フィード/ }),
    page.locator('.cart-button'),
    page.locator('.add-to-cart').first(),
    page.getByTestId('language-switch'),
    page.getByTestId('theme-switch'),
  ];
  for (const target of targets) {
    const rect = await box(target);
    expect(Math.min(rect.width, rect.height), await target.evaluate((e) => e.outerHTML.slice(0, 80))).toBeGreaterThanOrEqual(min);
  }
}

test.describe('phone, portrait (375×812, touch)', () => {
  test.use({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });

  test('the video on top, the like button and pick-up under the thumb, the shop below; nothing sideways', async ({ page }) => {
    const live = await open(page, 'ja');
    // In Japanese: the roles' names are Japanese, so the parts are found by their names in Japanese.
    const player = page.getByRole('region', { name: '動画プレーヤー' });
    const banner = page.getByRole('region', { name: 'ピックアップ' });
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const video = await box(player);
    expect(video.x).toBe(0);
    expect(video.width).toBe(375);
    expect(video.y).toBeLessThan(120);
    // Without scrolling: the video, the pick-up banner and the like button.
    await expect(player).toBeInViewport();
    await expect(banner).toBeInViewport();
    await expect(page.getByRole('button', { name: '番組にいいねする' })).toBeInViewport();
    const like = await box(page.locator('.like-tap'));
    expect(like.y).toBeGreaterThan(video.y + video.height - 1);
    // The shop's carousel follows, swipeable, and the feed is the other tab.
    await expect(page.getByRole('tab', { name: 'ショップ' })).toBeVisible();
    await expect(page.getByRole('tab', { name: 'フィード' })).toBeVisible();
    await expect(page.locator('.add-to-cart').first()).toBeVisible();
    await expectTargets(page, 44);
    await screenshot(page, 'phone-portrait-ja');
    expect(live.errors).toEqual([]);
  });

  test('the language and the theme switch in place: the video keeps playing', async ({ page }) => {
    const live = await open(page, 'en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    const time = async () => page.locator('video').evaluate((v: HTMLVideoElement) => v.currentTime);
    const before = await time();
    await page.getByTestId('language-switch').tap();
    await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
    await expect(page.getByRole('tab', { name: 'ショップ' })).toBeVisible();
    await expect(page.locator('.add-to-cart').first()).toHaveText(/カートに入れる|売り切れ/);
    await expect(page.locator('#product-strip > li').filter({ hasText: 'オリジナルTシャツ' })).toContainText('3,300円');
    await page.getByTestId('theme-switch').tap();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await expect(page.getByTestId('theme-switch')).toHaveAttribute('aria-checked', 'true');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(246, 247, 251)');
    // Same document, same video element, still playing and further on.
    await expect(page.locator('.player[data-phase="playing"]')).toBeVisible();
    await expect.poll(time).toBeGreaterThan(before);
    await screenshot(page, 'phone-portrait-light-ja');
    // Both choices are kept for the next visit.
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    expect(live.errors).toEqual([]);
  });
});

test.describe('phone, landscape (812×375, touch)', () => {
  test.use({ viewport: { width: 812, height: 375 }, hasTouch: true, isMobile: true });

  test('the video fills the screen, with the pick-up banner and the like button over it', async ({ page }) => {
    const live = await open(page, 'en');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const video = await box(live.player);
    expect(video.y).toBeLessThanOrEqual(1);
    expect(video.height).toBeGreaterThanOrEqual(375 - 1);
    const like = await box(page.locator('.like-tap'));
    const banner = await box(live.pickupBanner);
    for (const over of [like, banner]) {
      expect(over.y).toBeGreaterThanOrEqual(video.y);
      expect(over.y + over.height).toBeLessThanOrEqual(video.y + video.height + 1);
    }
    await screenshot(page, 'phone-landscape-en');
    // The shop is below the show, a scroll away.
    await live.shopTab.scrollIntoViewIfNeeded();
    await expect(live.shopTab).toBeInViewport();
    expect(live.errors).toEqual([]);
  });
});

test.describe('the narrowest phone (320×640)', () => {
  test.use({ viewport: { width: 320, height: 640 }, hasTouch: true, isMobile: true });

  test('nothing scrolls sideways, in either language', async ({ page }) => {
    for (const lang of ['ja', 'en'] as const) {
      await open(page, lang);
      expect(await overflow(page), lang).toBeLessThanOrEqual(0);
      await page.locator('.cart-button').tap();
      await expect(page.locator('#cart')).toBeVisible();
      expect(await overflow(page), `${lang}, cart open`).toBeLessThanOrEqual(0);
    }
  });
});

test.describe('tablet (768×1024, touch)', () => {
  test.use({ viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true });

  test('the video across the top, then the shop, more than one card in view', async ({ page }) => {
    const live = await open(page, 'en');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const video = await box(live.player);
    expect(video.width).toBeGreaterThan(700);
    await expect(page.locator('.like-tap')).toBeInViewport();
    await expect(live.products.nth(1)).toBeInViewport();
    await expectTargets(page, 44);
    await screenshot(page, 'tablet-en');
  });
});

test.describe('desktop (1440×900)', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the video beside the side panel, everything in one screen', async ({ page }) => {
    const live = await open(page, 'en');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const video = await box(live.player);
    const panel = await box(page.locator('.side-panel'));
    expect(panel.x).toBeGreaterThanOrEqual(video.x + video.width);
    expect(panel.y).toBeLessThan(video.y + video.height);
    for (const control of [live.player, live.pickupBanner, page.locator('.like-tap'), live.shopTab, live.feedTab, page.locator('.add-to-cart').first()]) {
      await expect(control).toBeInViewport();
    }
    await screenshot(page, 'desktop-en');
    await live.feedTab.click();
    await expect(live.feedPanel).toBeVisible();
    await screenshot(page, 'desktop-feed-en');
    expect(live.errors).toEqual([]);
  });

  test('keyboard: every control is reachable with Tab, in order, with a visible focus ring', async ({ page }) => {
    await open(page, 'en');
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element || element === document.body) return null;
        const style = getComputedStyle(element);
        const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        const name = element.getAttribute('aria-label') || element.textContent?.trim().slice(0, 30) || element.tagName;
        return { name, ring, top: element.getBoundingClientRect().top };
      });
      if (!focused) continue;
      expect(focused.ring, `a focus ring on ${focused.name}`).toBe(true);
      seen.push(focused.name);
    }
    const order = ['Caravan home', 'Video player', 'Pause', 'Like the show', 'Shop'];
    const at = order.map((name) => seen.findIndex((s) => s.startsWith(name)));
    expect(at.every((i) => i >= 0), `${seen.join(' → ')}`).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(seen.some((s) => s.startsWith('Add to cart:'))).toBe(true);
  });
});

test.describe('the designers\' gallery (development only)', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('shows every component in its states, hydrated, and follows the language switch', async ({ page }) => {
    const server = await OwnServer.start(undefined, { CARAVAN_DEV_GALLERY: 'true' });
    try {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}/dev/gallery?lang=en`);
      await expect(page.getByRole('heading', { name: 'Component gallery' })).toBeVisible();
      for (const specimen of ['Pick-up banner: off, on', 'Product cards: on sale, with variants, on air, sold out', 'Hashtag feed: posts, empty']) {
        await expect(page.getByRole('region', { name: specimen })).toBeVisible();
      }
      await expect(page.locator('.pickup-card')).toBeVisible();
      await expect(page.locator('.sold-out-badge')).toHaveText('Sold out');
      await expect(page.locator('.player-countdown')).toContainText('The show starts in');
      // Hydrated: the cart opens, a switch rewrites every component in place.
      await page.locator('.gallery-cart .cart-button').click();
      await expect(page.locator('.gallery-cart #cart')).toBeVisible();
      await page.getByTestId('language-switch').first().click();
      await expect(page.locator('.sold-out-badge')).toHaveText('売り切れ');
      await expect(page.locator('.player-countdown')).toContainText('配信開始まで');
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'gallery-ja', true);
      expect(errors).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
