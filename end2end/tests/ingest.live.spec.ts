import { type ChildProcess, spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { OPERATOR_TOKEN, setPickup } from './fixtures/api';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';
import { OwnServer } from './fixtures/server';

// A show put on air by the operator's own encoder (ffmpeg publishing a test pattern and a tone over RTMP to the
// server's ingest), with the key from the console: the console shows the encoder's readings, and the open page
// follows the show from the countdown, through a drop of the encoder, to the replay once the operator ends it, without
// a reload. On a server of its own (its own media, a one-rung ladder), so nothing else on the machine publishes into
// its show.

/** A GraphQL operation as the operator; its data. */
async function asOperator(server: OwnServer, query: string): Promise<Record<string, any>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: OPERATOR_TOKEN },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) throw new Error(`${query}: ${JSON.stringify(body)}`);
  return body.data;
}

async function streamState(server: OwnServer, slug: string): Promise<string> {
  const data = await asOperator(server, `{ event(slug: "${slug}") { streamStatus { state } } }`);
  return data.event.streamStatus.state;
}

/** ffmpeg as the operator's encoder: a small test pattern and a tone, a keyframe a second, until killed. */
function encoder(url: string): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
      ...['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25'],
      ...['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '64k', '-f', 'flv', url],
    ],
    { stdio: 'ignore' },
  );
}

test('the page goes from the countdown to the show, waits through a drop, and plays the replay when it ends, without reloading', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const server = await OwnServer.start(undefined, { CARAVAN_INGEST_LADDER: '180:200:64' }, { ownMedia: true });
  const encoders: ChildProcess[] = [];
  try {
    // The operator takes a key from the console.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const console = await page.context().newPage();
    await console.goto(`${server.url}/admin/demo-upcoming`);
    await console.getByLabel('Operator token').fill(OPERATOR_TOKEN);
    await console.getByRole('button', { name: 'Sign in' }).click();
    const broadcast = console.getByRole('region', { name: 'Broadcast' });
    await expect(broadcast.getByTestId('broadcast-state')).toHaveText('Waiting for the encoder');
    await broadcast.getByRole('button', { name: 'New primary key' }).click();
    await broadcast.getByRole('button', { name: 'Copy the stream key' }).click();
    await expect(broadcast.getByRole('button', { name: 'Copy the stream key' })).toHaveText('Copied');
    const serverUrl = await broadcast.getByLabel('Server URL', { exact: true }).inputValue();
    const streamKey = await broadcast.getByLabel('Stream key', { exact: true }).inputValue();
    expect(serverUrl).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    expect(streamKey.length).toBeGreaterThanOrEqual(32);
    expect(await console.evaluate(() => navigator.clipboard.readText())).toBe(streamKey);
    const publishTo = `${serverUrl}/${streamKey}`;
    const show = new LivePage(page);
    const player = new Player(page);
    const badge = page.locator('.show-header .status-badge');
    await page.goto(`${server.url}/live/demo-upcoming`);
    await expect(player.region).toHaveAttribute('data-programme', 'upcoming');
    await expect(badge).toHaveText('Upcoming');
    await show.waitForLiveLink();
    await show.markDocument();

    // The encoder starts a week early: the page goes live with it.
    encoders.push(encoder(publishTo));
    await expect(player.region).toHaveAttribute('data-programme', 'live', { timeout: 30_000 });
    await expect(badge).toHaveText('LIVE');
    await player.expectAdvancing(2, 30_000);
    // The console reads the encoder as it arrives.
    await expect(broadcast.getByTestId('broadcast-state')).toHaveText('On air', { timeout: 10_000 });
    const primary = broadcast.locator('tr[data-encoder="PRIMARY"]');
    await expect(primary).toHaveAttribute('data-on-air', 'true');
    await expect(primary).toContainText('320×180');
    await expect(primary).toContainText(/2[45]\.\d fps/, { timeout: 10_000 });
    await expect(primary).toContainText('every 1.0 s');
    await expect(broadcast.locator('tr[data-encoder="BACKUP"]')).toContainText('Not connected');
    await expect(broadcast.getByRole('alert')).toContainText('Only one encoder is publishing');
    await expect(broadcast.getByTestId('transcoder')).toContainText('× real time', { timeout: 10_000 });

    // The encoder drops: the slate says the show comes back, not that something failed.
    encoders[0].kill('SIGKILL');
    await expect(player.region).toHaveAttribute('data-programme', 'interrupted', { timeout: 20_000 });
    await expect(player.region.getByText("We'll be right back")).toBeVisible();
    await expect(badge).toHaveText('LIVE');

    // It comes back: so does the picture.
    encoders.push(encoder(publishTo));
    await expect(player.region).toHaveAttribute('data-programme', 'live', { timeout: 30_000 });
    await player.expectAdvancing(2, 40_000);

    // The operator ends the show: the page plays its recording, from the start, as a recording.
    await broadcast.getByText('End the show…').click();
    await broadcast.getByRole('button', { name: 'End the show now' }).click();
    await expect(broadcast.getByRole('status').filter({ hasText: 'The show has ended' })).toBeVisible();
    await expect(player.region).toHaveAttribute('data-programme', 'replay', { timeout: 30_000 });
    await expect(badge).toHaveText('Ended');
    await player.expectAdvancing(1, 30_000);
    await expect
      .poll(() => player.video.evaluate((v: HTMLVideoElement) => v.duration), { timeout: 15_000 })
      .toBeGreaterThan(4);
    expect(await player.video.evaluate((v: HTMLVideoElement) => Number.isFinite(v.duration))).toBe(true);
    expect(await show.isSameDocument()).toBe(true);
    expect(show.errors).toEqual([]);
  } finally {
    for (const running of encoders) running.kill('SIGKILL');
    await server.dispose();
  }
});

test('the replay shows each pick-up at its moment, and a product that was on jumps the replay there', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const server = await OwnServer.start(undefined, { CARAVAN_INGEST_LADDER: '180:200:64' }, { ownMedia: true });
  let running: ChildProcess | undefined;
  try {
    // On air: a few seconds in, the operator picks up the matcha set; a few seconds later the show ends.
    const { issueStreamKey: issued } = await asOperator(
      server,
      'mutation { issueStreamKey(eventId: "evt_demo", role: PRIMARY) { rtmpUrl key } }',
    );
    running = encoder(`${issued.rtmpUrl}/${issued.key}`);
    await expect.poll(() => streamState(server, 'demo'), { timeout: 30_000 }).toBe('LIVE');
    await new Promise((done) => setTimeout(done, 3_000));
    await setPickup(server.url, 'prd_demo_03', true);
    await new Promise((done) => setTimeout(done, 3_000));
    await asOperator(server, 'mutation { endShow(eventId: "evt_demo") { status } }');
    await expect.poll(() => streamState(server, 'demo'), { timeout: 20_000 }).toBe('ENDED');

    const show = new LivePage(page);
    const player = new Player(page);
    await page.goto(`${server.url}/live/demo`);
    await expect(player.region).toHaveAttribute('data-programme', 'replay');
    await player.expectAdvancing(0.5, 30_000);
    // From the start, the banner is as it was then: empty.
    await player.video.evaluate((v: HTMLVideoElement) => {
      v.pause();
      v.currentTime = 0;
    });
    await expect(show.pickupBanner.locator('.pickup-card')).toHaveCount(0);
    // Only the product that was on offers its moment; it plays the replay from there, with the banner as it was.
    await expect(show.product('静岡煎茶 100g').getByRole('button', { name: /Jump to when this was on/ })).toHaveCount(0);
    const jump = show.product('抹茶ラテセット').getByRole('button', { name: /Jump to when this was on/ });
    await jump.click();
    await expect(show.pickedUp('抹茶ラテセット')).toBeVisible({ timeout: 5_000 });
    const at = await player.video.evaluate((v: HTMLVideoElement) => v.currentTime);
    expect(at).toBeGreaterThan(1);
    expect(at).toBeLessThan(12);
    await player.expectAdvancing(0.5, 15_000);
    expect(show.errors).toEqual([]);
  } finally {
    running?.kill('SIGKILL');
    await server.dispose();
  }
});

test('with a backup encoder publishing, the primary is killed and the picture keeps moving through the switch', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const server = await OwnServer.start(undefined, { CARAVAN_INGEST_LADDER: '180:200:64' }, { ownMedia: true });
  const encoders: ChildProcess[] = [];
  try {
    const issue = async (role: string) => {
      const data = await asOperator(
        server,
        `mutation { issueStreamKey(eventId: "evt_demo_upcoming", role: ${role}) { rtmpUrl key } }`,
      );
      return `${data.issueStreamKey.rtmpUrl}/${data.issueStreamKey.key}`;
    };
    encoders.push(encoder(await issue('PRIMARY')));
    encoders.push(encoder(await issue('BACKUP')));
    const player = new Player(page);
    await page.goto(`${server.url}/live/demo-upcoming`);
    await expect(player.region).toHaveAttribute('data-programme', 'live', { timeout: 30_000 });
    await player.expectAdvancing(2, 30_000);
    // Every stall the page meets from here on.
    await player.video.evaluate((video: HTMLVideoElement) => {
      (window as any).__stalls = 0;
      video.addEventListener('waiting', () => (window as any).__stalls++);
    });

    encoders[0].kill('SIGKILL');
    await expect
      .poll(
        async () => {
          const data = await asOperator(server, '{ event(slug: "demo-upcoming") { streamStatus { encoders { role onAir } } } }');
          return data.event.streamStatus.encoders;
        },
        { timeout: 15_000 },
      )
      .toEqual([{ role: 'BACKUP', onAir: true }]);
    // Through the switch and after it: the picture advances every second, the page never waits, the show stays live.
    let last = await player.video.evaluate((v: HTMLVideoElement) => v.currentTime);
    for (let second = 0; second < 6; second++) {
      await page.waitForTimeout(1000);
      const now = await player.video.evaluate((v: HTMLVideoElement) => v.currentTime);
      expect(now - last, `second ${second + 1} after the primary went`).toBeGreaterThan(0.5);
      last = now;
    }
    expect(await page.evaluate(() => (window as any).__stalls)).toBe(0);
    await expect(player.region).toHaveAttribute('data-programme', 'live');
  } finally {
    for (const running of encoders) running.kill('SIGKILL');
    await server.dispose();
  }
});
