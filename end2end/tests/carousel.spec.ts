import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';

// The product carousel: swiped with a finger on a phone, dragged with a mouse on a desktop, moved by its buttons and
// the arrow keys everywhere. Each check waits for the strip to settle on a card (scroll snapping).

/** Waits until the strip rests with a card exactly at its start (or at its end), and returns that card's index. */
async function settledIndex(live: LivePage): Promise<number> {
  let index = -1;
  await expect(async () => {
    const before = await live.stripLayout();
    await live.page.waitForTimeout(150);
    const layout = await live.stripLayout();
    expect(layout.scrollLeft).toBe(before.scrollLeft);
    index = layout.slides.findIndex((slide) => Math.abs(slide.start - layout.scrollLeft) <= 1);
    const atEnd = layout.scrollLeft >= layout.slides.at(-1)!.start + layout.slides.at(-1)!.width - layout.width - 1;
    expect(index >= 0 || atEnd).toBe(true);
  }).toPass({ timeout: 10_000 });
  return index;
}

test('the carousel is a labelled region whose slides say where they are', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto('demo');
  await expect(live.carousel).toHaveAttribute('aria-roledescription', 'carousel');
  await expect(live.products).toHaveCount(12);
  await expect(live.products.nth(2)).toHaveAttribute('aria-roledescription', 'slide');
  await expect(live.products.nth(2)).toHaveAttribute('aria-label', '3 of 12');
  await expect(live.carouselPosition).toHaveText('Showing product 1 / 12');
  await expect(live.carousel.getByRole('button', { name: 'Previous products' })).toBeDisabled();
  // Pictures load as they come near, not all at once.
  await expect(live.products.last().locator('img')).toHaveAttribute('loading', 'lazy');
  expect(await live.hasHorizontalScroll()).toBe(false);
});

test('buttons and arrow keys move one card; Home and End go to the ends', async ({ page }) => {
  const live = new LivePage(page);
  await live.goto('demo');
  await live.waitForLiveLink();
  const next = live.carousel.getByRole('button', { name: 'Next products' });
  const previous = live.carousel.getByRole('button', { name: 'Previous products' });

  await next.click();
  await expect(live.carouselPosition).toHaveText('Showing product 2 / 12');
  expect(await settledIndex(live)).toBe(1);

  await live.strip.focus();
  await page.keyboard.press('ArrowRight');
  await expect(live.carouselPosition).toHaveText('Showing product 3 / 12');
  expect(await settledIndex(live)).toBe(2);
  await page.keyboard.press('ArrowLeft');
  await expect(live.carouselPosition).toHaveText('Showing product 2 / 12');

  await page.keyboard.press('End');
  await expect(live.carouselPosition).toHaveText('Showing product 12 / 12');
  await expect(next).toBeDisabled();
  await expect(live.products.last()).toBeInViewport();

  await page.keyboard.press('Home');
  await expect(live.carouselPosition).toHaveText('Showing product 1 / 12');
  await expect(previous).toBeDisabled();
  expect(await settledIndex(live)).toBe(0);
});

test.describe('on a phone', () => {
  test.skip(({ isMobile }) => !isMobile, 'touch');

  test('a card and a bit show, and a finger swipes the strip from card to card', async ({ page }) => {
    const live = new LivePage(page);
    await live.goto('demo');
    await live.waitForLiveLink();
    const layout = await live.stripLayout();
    const visible = layout.width / layout.slides[0].width;
    expect(visible).toBeGreaterThan(1.1);
    expect(visible).toBeLessThan(1.35);

    // A slow swipe by most of a card: the strip follows the finger, then snaps to the next card.
    await live.swipeStrip(-layout.slides[0].width * 0.7, 12);
    expect(await settledIndex(live)).toBe(1);
    await expect(live.carouselPosition).toHaveText('Showing product 2 / 12');

    // On to the third card, and back to the second.
    await live.swipeStrip(-layout.slides[0].width * 0.7, 12);
    expect(await settledIndex(live)).toBe(2);
    await expect(live.carouselPosition).toHaveText('Showing product 3 / 12');
    await live.swipeStrip(layout.slides[0].width * 0.7, 12);
    expect(await settledIndex(live)).toBe(1);
    await expect(live.carouselPosition).toHaveText('Showing product 2 / 12');
  });
});

test.describe('on a desktop', () => {
  test.skip(({ isMobile }) => isMobile, 'a mouse');

  test('three to four cards show, and a mouse drags the strip and lets it settle on a card', async ({ page }) => {
    const live = new LivePage(page);
    await live.goto('demo');
    await live.waitForLiveLink();
    const layout = await live.stripLayout();
    const visible = layout.width / layout.slides[0].width;
    expect(visible).toBeGreaterThanOrEqual(3);
    expect(visible).toBeLessThanOrEqual(4);

    // A slow drag by about a card and a half, started on a card's "Add to cart": the strip follows the mouse, then
    // rests on the nearest card, and the button under the press is not pressed.
    let start = { x: 0, y: 0 };
    for (const i of [2, 3, 1]) {
      const add = live.products.nth(i).getByRole('button', { name: /Add to cart/ });
      if ((await add.count()) === 1 && (await add.isEnabled())) {
        const box = (await add.boundingBox())!;
        start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
        break;
      }
    }
    expect(start.x).toBeGreaterThan(0);
    const stride = layout.slides[1].start;
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move(start.x - stride * 0.75, start.y, { steps: 10 });
    const midway = await live.stripLayout();
    expect(midway.scrollLeft).toBeGreaterThan(stride * 0.5);
    await page.mouse.move(start.x - stride * 1.6, start.y, { steps: 10 });
    await page.waitForTimeout(200);
    await page.mouse.up();
    expect(await settledIndex(live)).toBe(2);
    await expect(live.carouselPosition).toHaveText('Showing product 3 / 12');
    await expect(page.getByTestId('cart-count')).toHaveText('0');
  });
});
