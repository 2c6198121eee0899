import { createRequire } from 'node:module';
import { expect, type Page, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';

// An automated WCAG 2.2 A/AA audit of the live page with axe-core (from npm, run inside Chromium): the shop, the
// feed, the open cart and the player behind the live edge, on the desktop and the phone. No serious or critical finding is allowed; the rest are
// listed in the report.
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

async function audit(page: Page): Promise<Finding[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<any> } }).axe;
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
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
}

function serious(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

test('the live page has no serious or critical accessibility findings', async ({ page }, info) => {
  const live = new LivePage(page);
  const player = new Player(page);
  await live.goto();
  await live.waitForLiveLink();
  // Paused, the player's controls stay in view: an audit never catches them half faded out.
  await player.expectAdvancing(1);
  await player.video.evaluate((v: HTMLVideoElement) => v.pause());
  await expect(player.controls).toHaveCSS('opacity', '1');
  const shop = await audit(page);
  await info.attach('axe: shop', { body: JSON.stringify(shop, null, 2), contentType: 'application/json' });
  expect(serious(shop)).toEqual([]);

  await live.openFeed();
  const feed = await audit(page);
  expect(serious(feed)).toEqual([]);

  await live.shopTab.click();
  // Behind the live edge, the badge becomes a "Back to live" button over the picture; then the cart opens over it.
  await player.video.evaluate((v: HTMLVideoElement) => (v.currentTime = Math.max(0, v.currentTime - 10)));
  await expect(player.backToLive).toBeVisible({ timeout: 10_000 });
  const behind = await audit(page);
  expect(serious(behind)).toEqual([]);
  await page.getByRole('button', { name: /^Cart/ }).click();
  await expect(page.getByRole('dialog', { name: 'Cart' })).toBeVisible();
  const cart = await audit(page);
  expect(serious(cart)).toEqual([]);
});

test('in Japanese and in the light theme, too', async ({ page }) => {
  const live = new LivePage(page);
  await page.goto('/live/demo?lang=ja&theme=light');
  await live.waitForLiveLink();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.locator('video').evaluate((v: HTMLVideoElement) => v.pause());
  await expect(page.locator('.player-controls')).toHaveCSS('opacity', '1');
  expect(serious(await audit(page))).toEqual([]);
  await page.getByRole('tab', { name: 'フィード' }).click();
  expect(serious(await audit(page))).toEqual([]);
  await page.getByRole('tab', { name: 'ショップ' }).click();
  await page.getByRole('button', { name: /^カート\s*\d/ }).click();
  await expect(page.getByRole('dialog', { name: 'カート' })).toBeVisible();
  expect(serious(await audit(page))).toEqual([]);
  expect(live.errors).toEqual([]);
});
