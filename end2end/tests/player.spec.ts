import { expect, test } from '@playwright/test';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';

test.describe.configure({ timeout: 90_000 });

test('the live demo starts by itself, muted, and keeps playing', async ({ page }) => {
  const show = new LivePage(page);
  const player = new Player(page);
  await show.goto();
  // It starts at the live edge (a stall later, on a loaded machine, may leave it behind: then "Back to live" shows)...
  await player.expectAdvancing(0.5);
  await expect(player.liveBadge).toBeVisible();
  expect((await player.state()).muted, 'autoplay is muted').toBe(true);
  await expect(player.region).toHaveAttribute('data-phase', 'playing');
  // ...and keeps playing.
  await player.expectAdvancing(3);
  // Our controls only: the browser's own are never shown.
  expect(await player.video.evaluate((v: HTMLVideoElement) => v.controls)).toBe(false);
  expect(await player.video.getAttribute('playsinline')).not.toBeNull();
  expect(show.errors).toEqual([]);
});

test('the stream starts before the app has loaded, and the app carries on with it', async ({ page }) => {
  // The app's bundle is held back: the page's bootstrap (src/hooks/use_hls/start.js) plays the stream without it.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/caravan_bg.wasm', async (route) => {
    await held;
    await route.continue();
  });
  const manifests: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/master.m3u8')) manifests.push(request.url());
  });
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(1);
  await expect(player.region, 'the app has not hydrated yet').toHaveAttribute('data-backend', 'pending');

  // The app arrives and takes the playing stream over: no second player, no restart, the quality menu knows the
  // renditions the bootstrap's player had already read.
  release();
  await expect(player.region).toHaveAttribute('data-backend', 'hls.js', { timeout: 30_000 });
  await expect(player.region).toHaveAttribute('data-phase', 'playing');
  await player.expectAdvancing(1);
  expect(manifests, 'one player: the app carries on with the bootstrap\'s').toHaveLength(1);
  await player.qualityButton.click();
  await expect(player.qualityMenu.getByRole('menuitemradio')).toHaveText(['Auto', '720p', '360p']);
});

test('a tap before the app has loaded is made once it has: the like counts, the language switches in place', async ({
  page,
}) => {
  // The app's bundle is held back while the page's bootstrap plays the stream.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/caravan_bg.wasm', async (route) => {
    await held;
    await route.continue();
  });
  const show = new LivePage(page);
  const player = new Player(page);
  await show.goto();
  await player.expectAdvancing(0.5);
  await page.evaluate(() => ((window as unknown as { mark: number }).mark = 1));
  const likes = async () => Number(((await page.getByTestId('like-count').textContent()) ?? '').replace(/,/g, ''));
  const before = await likes();

  // Two likes and the language switch (a link, which without the app would load the page again).
  await page.getByRole('button', { name: 'Like the show' }).click();
  await page.getByRole('button', { name: 'Like the show' }).click();
  await page.getByTestId('language-switch').click();
  await expect(player.region, 'the app has not hydrated yet').toHaveAttribute('data-backend', 'pending');

  release();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja', { timeout: 30_000 });
  await expect.poll(likes).toBeGreaterThanOrEqual(before + 2);
  // The same document and the same stream: nothing was reloaded (the player is named in Japanese now).
  expect(await page.evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(1);
  const time = () => page.locator('video.player-video').evaluate((v: HTMLVideoElement) => v.currentTime);
  const now = await time();
  await expect.poll(time).toBeGreaterThan(now + 1);
  expect(show.errors).toEqual([]);
});

test('a picture left behind without the viewer asking catches up with the show by itself', async ({ page }) => {
  const player = new Player(page);
  await new LivePage(page).goto();
  await expect(player.region).toHaveAttribute('data-backend', 'hls.js', { timeout: 30_000 });
  await player.expectAdvancing(1);
  // The picture falls ten seconds behind, as after a stall on a slow network or a busy phone (or an encoder that
  // sent its seconds in a burst): not a step the viewer took.
  const was = await player.video.evaluate((v: HTMLVideoElement) => {
    const at = v.currentTime;
    v.currentTime = at - 10;
    return at;
  });
  // The show and its pick-ups stay in step: the player goes back to live without "Back to live" being pressed.
  await expect.poll(async () => (await player.state()).currentTime, { timeout: 10_000 }).toBeGreaterThan(was - 2);
  await expect(player.liveBadge).toBeVisible();
  await expect(player.backToLive).toBeHidden();
  // A viewer who steps back stays there until they ask (the keyboard test presses "Back to live").
});

test('tap to unmute, then mute and unmute with the sound button', async ({ page }) => {
  const player = new Player(page);
  await new LivePage(page).goto();
  await expect(player.unmutePrompt).toBeVisible({ timeout: 20_000 });
  await player.unmutePrompt.click();
  await expect.poll(async () => (await player.state()).muted).toBe(false);
  await expect(player.unmutePrompt).toBeHidden();
  await expect(player.muteButton).toHaveAttribute('aria-label', 'Mute');

  await player.muteButton.click();
  await expect.poll(async () => (await player.state()).muted).toBe(true);
  await expect(player.muteButton).toHaveAttribute('aria-label', 'Unmute');
  await player.muteButton.click();
  await expect.poll(async () => (await player.state()).muted).toBe(false);
  expect((await player.state()).paused, 'sound changes never stop the show').toBe(false);
});

test('every quality can be chosen and is then what plays', async ({ page, isMobile }) => {
  test.skip(isMobile, 'the same menu; once is enough');
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(1);
  await expect(player.qualityButton).toHaveAttribute('aria-label', /^Quality: Auto/);
  await player.qualityButton.click();
  const items = player.qualityMenu.getByRole('menuitemradio');
  await expect(items).toHaveText(['Auto', '720p', '360p']);
  await expect(items.first()).toHaveAttribute('aria-checked', 'true');
  await expect(items.first()).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(player.qualityMenu).toBeHidden();

  for (const height of [360, 720]) {
    await player.chooseQuality(`${height}p`);
    await expect(player.qualityButton).toHaveAttribute('aria-label', `Quality: ${height}p`);
    await expect.poll(async () => (await player.state()).videoHeight, { timeout: 20_000 }).toBe(height);
    await player.expectAdvancing(1);
  }
  await player.chooseQuality('Auto');
  await expect(player.qualityButton).toHaveAttribute('aria-label', /^Quality: Auto \((360|720)p\)$/);
  await player.expectAdvancing(1);
});

test('the fullscreen control puts the player in full screen and back', async ({ page }) => {
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(1);
  await player.fullscreenButton.click();
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('aria-label'))).toBe(
    'Video player',
  );
  await expect(player.fullscreenButton).toHaveAttribute('aria-label', 'Exit full screen');
  await player.fullscreenButton.click();
  await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();
  await expect(player.fullscreenButton).toHaveAttribute('aria-label', 'Full screen');
});

test('the keyboard runs the player', async ({ page, isMobile }) => {
  test.skip(isMobile, 'phones have no keyboard shortcuts');
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(1);
  await player.region.focus();

  await page.keyboard.press('k');
  await expect.poll(async () => (await player.state()).paused).toBe(true);
  await expect(player.playButton).toHaveAttribute('aria-label', 'Play');
  await page.keyboard.press(' ');
  await expect.poll(async () => (await player.state()).paused).toBe(false);

  await page.keyboard.press('m');
  await expect.poll(async () => (await player.state()).muted).toBe(false);
  await page.keyboard.press('ArrowDown');
  await expect.poll(async () => (await player.state()).volume).toBeCloseTo(0.9, 5);
  await page.keyboard.press('m');
  await expect.poll(async () => (await player.state()).muted).toBe(true);

  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement !== null)).toBe(true);
  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();

  // Behind the live edge, and back.
  await player.region.focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(player.backToLive).toBeVisible();
  await player.backToLive.click();
  await expect(player.liveBadge).toBeVisible({ timeout: 10_000 });

  // Tab reaches every control, each named and visibly focused; Space on a focused button presses it once.
  await player.region.focus();
  await page.keyboard.press('Tab');
  await expect(player.playButton).toBeFocused();
  const outline = await player.playButton.evaluate((b) => getComputedStyle(b).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press(' ');
  await expect.poll(async () => (await player.state()).paused).toBe(true);
  await page.keyboard.press('Tab');
  await expect(player.muteButton).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(player.volume).toBeFocused();

  // The menu opens from the keyboard too.
  await player.qualityButton.focus();
  await page.keyboard.press('Enter');
  await expect(player.qualityMenu).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(player.qualityMenu).toBeHidden();
});

test('controls hide while the video plays and come back on pointer movement', async ({ page, isMobile }) => {
  test.skip(isMobile, 'hover is a desktop matter');
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(1);
  await page.mouse.move(5, 5);
  await expect(player.region).toHaveAttribute('data-controls', 'hidden', { timeout: 10_000 });
  const box = (await player.region.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await expect(player.region).toHaveAttribute('data-controls', 'shown');
});

test('when the stream disappears the player says so, and resumes by itself when it returns', async ({ page }) => {
  const player = new Player(page);
  await new LivePage(page).goto();
  await player.expectAdvancing(2);

  // The network to the media goes away.
  await page.route('**/media/**', (route) => route.abort('connectionfailed'));
  await expect(player.region).toHaveAttribute('data-phase', /reconnecting|failed/, { timeout: 30_000 });
  await expect(player.region.getByRole('status').or(player.region.getByRole('alert')).first()).toBeVisible();

  // It comes back: playback resumes without the viewer doing anything, and without a reload.
  await page.evaluate(() => ((window as unknown as { mark: number }).mark = 1));
  await page.unroute('**/media/**');
  await expect(player.region).toHaveAttribute('data-phase', 'playing', { timeout: 30_000 });
  await player.expectAdvancing(2);
  expect(await page.evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(1);
});

test('an ended show plays its recording on demand, with captions', async ({ page }) => {
  const show = new LivePage(page);
  const player = new Player(page);
  await show.goto('demo-archive');
  await player.expectAdvancing(1);
  const seek = player.controls.getByRole('slider', { name: 'Seek' });
  await expect(seek).toBeVisible();
  await expect(player.liveBadge).toBeHidden();
  await expect(player.controls.locator('.player-time')).toHaveText(/^0:0\d \/ 0:20$/);
  await expect(page.getByText('Nothing is on sale in this show.')).toBeVisible();

  await expect(player.captionsButton).toHaveAttribute('aria-pressed', 'false');
  await player.captionsButton.click();
  await expect(player.captionsButton).toHaveAttribute('aria-pressed', 'true');
  await expect
    .poll(
      () =>
        player.video.evaluate((v: HTMLVideoElement) =>
          Array.from(v.textTracks)
            .filter((t) => t.mode === 'showing')
            .flatMap((t) => Array.from(t.activeCues ?? []).map((c) => (c as VTTCue).text)),
        ),
      { timeout: 15_000 },
    )
    .toEqual([expect.stringMatching(/^Caravan demo: caption \d of 5$/)]);

  // To the end: the recording offers to play again.
  await player.video.evaluate((v: HTMLVideoElement) => (v.currentTime = v.duration - 1));
  await expect(player.region.getByRole('button', { name: 'Watch again' })).toBeVisible({ timeout: 15_000 });
  await player.region.getByRole('button', { name: 'Watch again' }).click();
  await player.expectAdvancing(1);
  expect(show.errors).toEqual([]);
});

test('before the show a countdown runs to its start', async ({ page }) => {
  const player = new Player(page);
  await new LivePage(page).goto('demo-upcoming');
  const timer = player.region.getByRole('timer');
  await expect(timer).toContainText('The show starts in');
  await expect(timer.locator('.player-countdown-time')).toHaveText(/^6d 23:5\d:\d\d$/);
  const first = await timer.locator('.player-countdown-time').textContent();
  await expect(timer.locator('.player-countdown-time')).not.toHaveText(first!, { timeout: 3_000 });
  expect(await player.video.evaluate((v: HTMLVideoElement) => v.currentSrc)).toBe('');
});

test('a low-latency stream is played in low-latency mode', async ({ page, isMobile }) => {
  test.skip(isMobile, 'the same player; once is enough');
  // The packager does not write LL-HLS, so its playlists are rewritten on the way: every segment is also announced as
  // an independent partial segment (EXT-X-PART), with the server control a low-latency playlist carries. (Parts after
  // their EXTINF, or no segment left to come, made hls.js 1.7 see a sequence mismatch whenever a loaded machine made
  // it switch rungs.)
  await page.route('**/media/demo/live/*/index.m3u8', async (route) => {
    const response = await route.fetch();
    const lines = (await response.text()).split('\n');
    const last = lines.findLastIndex((line) => line.startsWith('#EXTINF:'));
    const out: string[] = [];
    for (const [i, line] of lines.entries()) {
      // As a low-latency packager writes them: each segment's parts before its EXTINF and URI, and the newest segment
      // as its parts only, its URI to come.
      if (line.startsWith('#EXTINF:')) {
        const duration = line.slice(8).replace(/,.*$/, '');
        out.push(`#EXT-X-PART:DURATION=${duration},URI="${lines[i + 1]}",INDEPENDENT=YES`);
      }
      if (i < last || i > last + 1) out.push(line);
      if (line.startsWith('#EXT-X-TARGETDURATION:')) {
        // A part is never longer than the target, and the player holds back three parts.
        const target = Number(line.slice(22));
        out.push(`#EXT-X-SERVER-CONTROL:PART-HOLD-BACK=${3 * target}.0`, `#EXT-X-PART-INF:PART-TARGET=${target}.0`);
      }
    }
    await route.fulfill({ response, body: out.join('\n') });
  });
  const player = new Player(page);
  await new LivePage(page).goto();
  await expect(player.region).toHaveAttribute('data-latency', 'low', { timeout: 20_000 });
  await player.expectAdvancing(2);
});

test('without hls.js the browser plays the stream natively, with the same controls and recovery', async ({ page }) => {
  // As on iOS Safari: no Media Source Extensions for hls.js, HLS in the <video> itself. Chromium also plays HLS
  // natively, so blocking hls.js exercises that path for real.
  await page.route('**/hls.min.js', (route) => route.abort());
  const player = new Player(page);
  await new LivePage(page).goto();
  await expect(player.region).toHaveAttribute('data-backend', 'native', { timeout: 15_000 });
  await player.expectAdvancing(2);
  await expect(player.qualityButton).toBeHidden();
  await player.playButton.click();
  await expect.poll(async () => (await player.state()).paused).toBe(true);
  await player.playButton.click();
  await player.expectAdvancing(1);

  // Native HLS reports nothing when the stream goes away: the watchdog notices the stalled picture.
  await page.route('**/media/**', (route) => route.abort('connectionfailed'));
  await expect(player.region).toHaveAttribute('data-phase', /reconnecting|failed/, { timeout: 40_000 });
  await page.unroute('**/media/**');
  await expect(player.region).toHaveAttribute('data-phase', 'playing', { timeout: 40_000 });
  await player.expectAdvancing(2);
});
