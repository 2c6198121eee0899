import { devices, expect, test } from '@playwright/test';
import { ConsolePage } from './fixtures/console_page';
import { LivePage } from './fixtures/live_page';
import { OwnServer } from './fixtures/server';

test('the operator picks up from the console and every open page follows within a second', async ({ browser }) => {
  // Three pages, two of them playing, and a server of its own: 21 to 29 s on two cores. Each step keeps its own budget
  // (a second for the pick-up); the whole gets triple the default.
  test.slow();
  const server = await OwnServer.start(); // its own show: the viewer count and the banner are this test's alone
  try {
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const phone = await browser.newContext({ ...devices['Pixel 7'] });
    const viewers = [new LivePage(await desktop.newPage()), new LivePage(await phone.newPage())];
    for (const viewer of viewers) {
      await viewer.page.goto(`${server.url}/live/demo`);
      await viewer.waitForLiveLink();
      await viewer.markDocument();
    }

    const operator = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const console = new ConsolePage(await operator.newPage());
    await console.signIn(server.url);
    await console.expectSignedIn();
    await expect(console.viewerCount).toHaveText('2', { timeout: 5_000 });
    // Both players report their first play at once; the console counts them.
    await expect(console.plays).toHaveText('2', { timeout: 10_000 });
    await expect(console.watching).toHaveText('2');
    await expect(console.bannerState).toHaveText('The banner is hidden');

    await console.pickUp('有田焼マグカップ');
    await Promise.all(viewers.map((v) => expect(v.pickedUp('有田焼マグカップ')).toBeVisible({ timeout: 1_000 })));
    await expect(console.bannerState).toHaveText('Showing: 有田焼マグカップ');
    await expect(console.pickUpButton('有田焼マグカップ')).toHaveAttribute('aria-pressed', 'true');

    await console.pickUp('手ぬぐい');
    await Promise.all(viewers.map((v) => expect(v.pickedUp('手ぬぐい')).toBeVisible({ timeout: 1_000 })));

    await console.clearBanner.click();
    await Promise.all(
      viewers.map((v) => expect(v.pickupBanner.locator('.pickup-card')).toHaveCount(0, { timeout: 2_000 })),
    );
    await expect(console.bannerState).toHaveText('The banner is hidden');

    for (const viewer of viewers) {
      expect(await viewer.isSameDocument(), 'no reload').toBe(true);
      expect(viewer.errors).toEqual([]);
    }
    await Promise.all([desktop.close(), phone.close(), operator.close()]);
  } finally {
    await server.dispose();
  }
});

test('a wrong token does not open the console', async ({ page, baseURL }) => {
  const console = new ConsolePage(page);
  await console.signIn(baseURL!, 'not-the-token');
  await expect(page.getByRole('alert')).toContainText('That token is not right');
  await expect(page.getByRole('button', { name: /^Pick up/ })).toHaveCount(0);
});
