import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, type FrameLocator, type Page, test } from '@playwright/test';
import { setPickup } from './fixtures/api';
import { OwnServer } from './fixtures/server';

// A partner's page on another origin (another port of 127.0.0.1) embeds two widgets with /embed.js: they play,
// the partner's commands work, the widget's events arrive; a page on an origin that is not allowed is refused by
// the browser.

interface Partner {
  url: string;
  server: Server;
}

/** A partner site whose page embeds the show twice: `#player` (player mode) and `#full` (with the shop). */
async function partnerSite(caravan: () => string): Promise<Partner> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner</title></head>
<body style="max-width: 720px">
<h1>Partner's page</h1>
<div id="player" data-caravan-event="demo" data-caravan-mode="player" data-caravan-lang="ja" data-caravan-theme="light"></div>
<div id="full" data-caravan-event="demo" data-caravan-mode="full"></div>
<script>
  window.events = [];
  for (const id of ['player', 'full']) {
    for (const name of ['ready', 'play', 'pause', 'like', 'pickup', 'addtocart', 'checkout']) {
      document.getElementById(id).addEventListener('caravan:' + name, (e) => window.events.push({ id, name, detail: e.detail }));
    }
  }
</script>
<script src="${caravan()}/embed.js" async></script>
</body></html>`);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

type Seen = { id: string; name: string; detail: Record<string, unknown> };

async function events(page: Page, id: string, name: string): Promise<Seen[]> {
  const all = (await page.evaluate(() => (window as unknown as { events: Seen[] }).events)) ?? [];
  return all.filter((e) => e.id === id && e.name === name);
}

async function videoTime(frame: FrameLocator): Promise<number> {
  return frame.locator('video').evaluate((v: HTMLVideoElement) => v.currentTime);
}

test('a partner page embeds the show: it plays, takes commands and reports events', async ({ page, isMobile }) => {
  test.skip(isMobile, 'the partner API is the same on every layout');
  let caravanUrl = '';
  const partner = await partnerSite(() => caravanUrl);
  const server = await OwnServer.start(undefined, { CARAVAN_EMBED_ALLOWED_ORIGINS: partner.url });
  caravanUrl = server.url;
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(partner.url);
    const player = page.frameLocator('#player iframe');
    const full = page.frameLocator('#full iframe');
    await expect(page.locator('#player iframe')).toHaveAttribute('allow', /autoplay.*fullscreen.*encrypted-media.*picture-in-picture/);
    await expect.poll(() => events(page, 'player', 'ready'), { timeout: 15_000 }).toHaveLength(1);
    await expect.poll(() => events(page, 'full', 'ready'), { timeout: 15_000 }).toHaveLength(1);
    // The partner chose the player's language and theme; the full widget follows the viewer (English here).
    await expect(player.locator('html')).toHaveAttribute('lang', 'ja');
    await expect(player.locator('html')).toHaveAttribute('data-theme', 'light');
    await expect(full.locator('html')).toHaveAttribute('lang', 'en');
    await expect(full.locator('html')).toHaveAttribute('data-theme', 'dark');

    // It plays (muted autoplay), and each frame's height follows what it shows.
    await expect.poll(() => videoTime(player), { timeout: 15_000 }).toBeGreaterThan(0.5);
    const heights = await page.locator('iframe').evaluateAll((frames) => frames.map((f) => (f as HTMLElement).style.height));
    expect(heights.every((h) => /^\d+px$/.test(h))).toBe(true);
    expect(parseInt(heights[1])).toBeGreaterThan(parseInt(heights[0]));

    // Commands from the partner.
    await page.evaluate(() => (document.getElementById('player') as any).caravan.pause());
    await expect.poll(() => events(page, 'player', 'pause')).toHaveLength(1);
    await expect.poll(() => player.locator('video').evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
    // (Autoplay was a "play" already.)
    const plays = (await events(page, 'player', 'play')).length;
    await page.evaluate(() => (document.getElementById('player') as any).caravan.play());
    await expect.poll(() => events(page, 'player', 'play')).toHaveLength(plays + 1);
    await page.evaluate(() => (document.getElementById('player') as any).caravan.unmute());
    await expect.poll(() => player.locator('video').evaluate((v: HTMLVideoElement) => v.muted)).toBe(false);
    await page.evaluate(() => (document.getElementById('player') as any).caravan.seekToLive());

    // Events from the show and the viewer.
    await setPickup(server.url, 'prd_demo_03', true);
    await expect.poll(async () => (await events(page, 'player', 'pickup')).at(-1)?.detail).toMatchObject({
      visible: true,
      productId: 'prd_demo_03',
      title: '抹茶ラテセット',
    });
    await player.getByRole('button', { name: '番組にいいねする' }).click();
    await expect.poll(() => events(page, 'player', 'like')).toHaveLength(1);
    await full.getByRole('button', { name: 'Add to cart: 北海道ミルクキャラメル' }).click();
    await expect.poll(async () => (await events(page, 'full', 'addtocart')).at(-1)?.detail).toMatchObject({
      productId: 'prd_demo_09',
      price: 648,
      currency: 'JPY',
    });
    await full.getByRole('button', { name: /^Cart/ }).click();
    await full.getByRole('dialog', { name: 'Cart' }).getByRole('button', { name: 'Place order' }).click();
    await expect.poll(async () => (await events(page, 'full', 'checkout')).at(-1)?.detail).toMatchObject({
      provider: 'local',
    });
    await expect(player.getByRole('link', { name: /新しいタブで開く/ })).toHaveAttribute('target', '_blank');
    await expect(full.getByRole('link', { name: /in a new tab/ })).toHaveAttribute('target', '_blank');
    expect(errors).toEqual([]);
  } finally {
    await server.dispose();
    partner.server.close();
  }
});

test('a page on an origin that is not allowed cannot frame the show', async ({ page, isMobile }) => {
  test.skip(isMobile, 'the browser enforces it the same on every layout');
  let caravanUrl = '';
  const partner = await partnerSite(() => caravanUrl);
  // Allowed: some other origin, not this partner's.
  const server = await OwnServer.start(undefined, { CARAVAN_EMBED_ALLOWED_ORIGINS: 'https://partner.example' });
  caravanUrl = server.url;
  try {
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('frame-ancestors')) blocked.push(m.text());
    });
    await page.goto(partner.url);
    await expect(page.locator('#player iframe')).toBeAttached();
    await expect.poll(() => blocked.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(page.frameLocator('#player iframe').locator('video')).toHaveCount(0);
    expect(await events(page, 'player', 'ready')).toEqual([]);
    // The show's own page may not be framed by anyone else either.
    const live = await fetch(`${server.url}/live/demo`);
    // (A page also carries its script policy, a second Content-Security-Policy: fetch joins them with ", ".)
    const policies = (response: Response) => response.headers.get('content-security-policy')?.split(', ');
    expect(policies(live)).toContain("frame-ancestors 'self'");
    const embed = await fetch(`${server.url}/embed/demo`);
    expect(policies(embed)).toContain("frame-ancestors 'self' https://partner.example");
  } finally {
    await server.dispose();
    partner.server.close();
  }
});
