import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';

// The like button: taps count at once on the page, reach every other open page within a couple of seconds, and are
// in the server-rendered count after a reload. (Counts are compared with >=: the desktop and phone projects tap the
// same show at the same time.)

async function count(page: import('@playwright/test').Page): Promise<number> {
  const text = await page.getByTestId('like-count').textContent();
  return Number((text ?? '').replace(/,/g, ''));
}

test('taps count at once, reach other pages live, and survive a reload', async ({ page, browser }) => {
  const live = new LivePage(page);
  await live.goto('demo');
  await live.waitForLiveLink();
  const other = await browser.newPage();
  const watcher = new LivePage(other);
  await watcher.goto('demo');
  await watcher.waitForLiveLink();

  const start = await count(page);
  // Each heart flies for 0.9 s; on a loaded machine five clicks can take longer than that, so the page notes every
  // heart that appears rather than the test looking for one afterwards.
  await page.evaluate(() => {
    (window as unknown as { hearts: number }).hearts = 0;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node instanceof HTMLElement && node.classList.contains('like-heart')) {
            (window as unknown as { hearts: number }).hearts += 1;
          }
        }
      }
    }).observe(document.querySelector('.like-hearts')!, { childList: true });
  });
  const tap = page.getByRole('button', { name: 'Like the show' });
  for (let i = 0; i < 5; i++) await tap.click();
  // Optimistic: counted on this page before any answer.
  expect(await count(page)).toBeGreaterThanOrEqual(start + 5);
  expect(await page.evaluate(() => (window as unknown as { hearts: number }).hearts)).toBe(5);

  await expect.poll(() => count(other), { timeout: 5_000 }).toBeGreaterThanOrEqual(start + 5);
  await page.waitForTimeout(700);
  await page.reload();
  expect(await count(page)).toBeGreaterThanOrEqual(start + 5);
  expect(live.errors).toEqual([]);
  await other.close();
});

test('no flying hearts when the viewer asks for reduced motion', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const live = new LivePage(page);
  await live.goto('demo');
  await live.waitForLiveLink();
  const start = await count(page);
  await page.getByRole('button', { name: 'Like the show' }).click();
  expect(await count(page)).toBeGreaterThanOrEqual(start + 1);
  await expect(page.locator('.like-heart')).toHaveCount(1);
  await expect(page.locator('.like-heart')).toBeHidden();
});
