import { expect, test } from '@playwright/test';
import { OPERATOR_TOKEN } from './fixtures/api';
import { ConsolePage } from './fixtures/console_page';
import { LivePage } from './fixtures/live_page';
import { Player } from './fixtures/player';
import { OwnServer } from './fixtures/server';

test.describe.configure({ timeout: 90_000 });

/** The operator gives the viewer a ticket (commerce will sell them). */
async function grantTicket(baseURL: string, viewerId: string) {
  const response = await fetch(`${baseURL}/api/admin/entitlements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: OPERATOR_TOKEN },
    body: JSON.stringify({ slug: 'demo-paid', viewerId, kind: 'ticket' }),
  });
  expect(response.status).toBe(204);
}

test('a paid show asks for the terms and a ticket, then plays its encrypted stream', async ({ page, baseURL }) => {
  const show = new LivePage(page);
  const player = new Player(page);
  await show.goto('demo-paid');
  const notice = player.region.getByRole('alert');
  await expect(notice).toHaveAttribute('data-reason', 'terms', { timeout: 15_000 });
  await notice.getByRole('button', { name: 'Accept the terms and watch' }).click();
  await expect(notice).toHaveAttribute('data-reason', 'entitlement');
  await expect(notice).toContainText('This show needs a ticket.');

  // Without a ticket the media and the keys are refused, whatever the page does.
  const refused = await page.evaluate(async () => {
    const media = await fetch('/media/demo/clearkey/master.m3u8');
    const license = await fetch('/drm/clearkey/demo-paid', {
      method: 'POST',
      body: JSON.stringify({ kids: ['ASNFZ4mrze8BI0VniavN7w'], type: 'temporary' }),
    });
    return [media.status, license.status];
  });
  expect(refused).toEqual([403, 403]);

  await grantTicket(baseURL!, (await notice.getByTestId('viewer-id').textContent())!);
  const license = page.waitForResponse('**/drm/clearkey/demo-paid');
  await notice.getByRole('button', { name: 'I have a ticket: try again' }).click();
  expect((await license).status(), 'the license server gave the keys').toBe(200);
  await player.expectAdvancing(2);
  await expect(notice).toBeHidden();
  // The refusals above are 403s the browser logs; nothing else went wrong.
  expect(show.errors.filter((error) => !error.includes('status of 403'))).toEqual([]);
});

test('a short authorization is renewed while the show plays, without a break', async ({ page }) => {
  // Authorizations of 6 s: the player renews every 3 s (halfway), the recording plays 20 s.
  const server = await OwnServer.start(undefined, { CARAVAN_PLAYBACK_AUTHORIZATION_SECONDS: '6' });
  try {
    const player = new Player(page);
    const authorizations: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/api/playback/demo-paid')) authorizations.push(response.status());
    });
    await page.goto(`${server.url}/live/demo-paid`);
    const notice = player.region.getByRole('alert');
    await notice.getByRole('button', { name: 'Accept the terms and watch' }).click();
    await grantTicket(server.url, (await notice.getByTestId('viewer-id').textContent())!);
    await notice.getByRole('button', { name: 'I have a ticket: try again' }).click();

    // Well past the first authorization's end, the picture still moves, and no reload or error came between.
    await player.expectAdvancing(10);
    expect(authorizations.filter((status) => status === 200).length).toBeGreaterThanOrEqual(3);
    await expect(player.region).toHaveAttribute('data-phase', /playing|ended/);
    await expect(notice).toBeHidden();
  } finally {
    await server.dispose();
  }
});

test('the operator gives access from the console by the code the player shows', async ({ browser, baseURL }) => {
  const viewerContext = await browser.newContext();
  const operatorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await viewerContext.newPage();
    const player = new Player(page);
    await page.goto(`${baseURL}/live/demo-paid`);
    const notice = player.region.getByRole('alert');
    await notice.getByRole('button', { name: 'Accept the terms and watch' }).click();
    const code = (await notice.getByTestId('viewer-id').textContent())!;

    const console = new ConsolePage(await operatorContext.newPage());
    await console.signIn(baseURL!);
    await console.expectSignedIn();
    await console.page.goto(`${baseURL}/admin/demo-paid`);
    const form = console.page.getByRole('region', { name: 'Give access' });
    await form.getByLabel('Viewer code').fill('not-a-code-not-a-code!');
    await form.getByRole('button', { name: 'Give access' }).click();
    await expect(form.getByRole('alert')).toContainText('22 characters');
    await form.getByLabel('Viewer code').fill(code);
    await form.getByLabel('Kind').selectOption('rental');
    await form.getByLabel("E-mail for the rental's reminder (optional)").fill('fan@example.com');
    await form.getByRole('button', { name: 'Give access' }).click();
    await expect(form.getByRole('status')).toHaveText(
      `Gave a 48-hour rental to viewer ${code}; the reminder goes to fan@example.com 5 hours before it ends.`,
    );
    // The reminder is 43 hours away: the console's outbox has nothing for this viewer yet (other tests' mail may be
    // there: the server is shared).
    const outbox = console.page.getByRole('region', { name: 'Mail to viewers' });
    await expect(outbox).toBeVisible();
    await expect(outbox).not.toContainText('fan@example.com');

    await notice.getByRole('button', { name: 'I have a ticket: try again' }).click();
    await player.expectAdvancing(1);
  } finally {
    await Promise.all([viewerContext.close(), operatorContext.close()]);
  }
});
