import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, type Page, test } from '@playwright/test';
import { OPERATOR_TOKEN } from './fixtures/api';
import { LivePage } from './fixtures/live_page';
import { OwnServer } from './fixtures/server';

// The hashtag feed in the browser, on a server of each test's own: hostile posts (from a fake Mastodon instance in
// this process, and the operator's own) render as text and run nothing; new posts arrive live, wait behind
// "N new posts" while the viewer reads further down, and a post the operator hides leaves the page.

async function operator(server: OwnServer, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: OPERATOR_TOKEN },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) throw new Error(`operator call failed: ${JSON.stringify(body)}`);
  return body.data;
}

async function postFeed(server: OwnServer, text: string): Promise<string> {
  const data = await operator(server, 'mutation($t: String!) { postFeed(eventId: "evt_demo", text: $t) { id } }', { t: text });
  return data.postFeed.id;
}

/** A Mastodon instance whose #caravan timeline holds one hostile status. */
async function fakeMastodon(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    if (!request.url?.startsWith('/api/v1/timelines/tag/caravan')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return response.end('{"error":"Record not found"}');
    }
    const status = {
      id: '113000000000000001',
      created_at: new Date(Date.now() - 120_000).toISOString(),
      content:
        '<p>&lt;script&gt;window.pwned=1&lt;/script&gt; <img src=x onerror="window.pwned=2">' +
        '<a href="javascript:window.pwned=3">click me</a> <script>window.pwned=6</script>see https://ok.example/path</p>',
      url: 'javascript:window.pwned=7',
      uri: 'https://m.example/users/eve/statuses/1',
      visibility: 'public',
      sensitive: false,
      spoiler_text: '',
      reblog: null,
      account: {
        id: '9',
        username: 'eve',
        acct: 'eve',
        display_name: 'Eve\u202Egnp.exe',
        avatar_static: 'javascript:window.pwned=8',
        url: 'https://m.example/@eve',
      },
    };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify([status]));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function openFeed(page: Page, server: OwnServer): Promise<LivePage> {
  const live = new LivePage(page);
  await page.goto(`${server.url}/live/demo`);
  await live.waitForLiveLink();
  await live.openFeed();
  return live;
}

test('hostile posts render as text, link only to http(s), and run nothing', async ({ page }) => {
  const mastodon = await fakeMastodon();
  const server = await OwnServer.start(undefined, {
    CARAVAN_FEED_MASTODON_URL: mastodon.url,
    CARAVAN_FEED_MASTODON_TAGS: 'demo=caravan',
    CARAVAN_FEED_POLL_MS: '500',
  });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  try {
    await postFeed(server, '<b>bold</b> <script>window.pwned=4</script> javascript:window.pwned=5 &amp; #caravan @aiko');
    const live = await openFeed(page, server);
    const posts = live.feedPanel.locator('.feed-post');
    await expect(posts).toHaveCount(2, { timeout: 10_000 });

    const fromMastodon = posts.filter({ hasText: 'click me' });
    await expect(fromMastodon.locator('.feed-text')).toHaveText(
      '<script>window.pwned=1</script> click me see https://ok.example/path',
    );
    // The right-to-left override is gone: the name reads as written.
    await expect(fromMastodon.locator('.feed-author')).toHaveText('Evegnp.exe');
    await expect(fromMastodon.locator('img')).toHaveCount(0);
    await expect(fromMastodon).toContainText('on Mastodon');

    const own = posts.filter({ hasText: 'bold' });
    await expect(own.locator('.feed-text')).toHaveText(
      '<b>bold</b> <script>window.pwned=4</script> javascript:window.pwned=5 &amp; #caravan @aiko',
    );
    await expect(own.locator('.feed-text b, .feed-text script')).toHaveCount(0);

    // Every link in the feed is http(s), opens in a new tab and passes no opener.
    const links = live.feedPanel.locator('a');
    const hrefs = await links.evaluateAll((anchors) =>
      anchors.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')]),
    );
    expect(hrefs).toContainEqual(['https://ok.example/path', '_blank', 'noopener noreferrer nofollow ugc']);
    for (const [href, target, rel] of hrefs) {
      expect(href).toMatch(/^https?:\/\//);
      expect(target).toBe('_blank');
      expect(rel).toContain('noopener');
    }
    await fromMastodon.getByText('click me').click();
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(live.errors).toEqual([]);
  } finally {
    await server.dispose();
    mastodon.server.close();
  }
});

test('new posts arrive live, wait while the viewer reads further down, and hidden ones leave', async ({ page }) => {
  const server = await OwnServer.start();
  try {
    for (let i = 1; i <= 15; i++) await postFeed(server, `Earlier post ${i}`);
    const live = await openFeed(page, server);
    const list = live.feedPanel.locator('.feed-list');
    const posts = list.locator('.feed-post');
    await expect(posts).toHaveCount(15);
    await expect(posts.first()).toContainText('Earlier post 15');

    // At the top, a new post takes its place at once.
    await postFeed(server, 'Sale starts now!');
    await expect(posts.first()).toContainText('Sale starts now!');
    await expect(posts.first().locator('time')).toHaveText('just now');

    // Reading further down: new posts wait behind a button instead of moving the list.
    await list.evaluate((el) => el.scrollTo({ top: 400 }));
    await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThan(300);
    await page.waitForTimeout(200);
    await postFeed(server, 'Second wave');
    await postFeed(server, 'Third wave');
    const button = live.feedPanel.getByRole('button', { name: /2 new posts/ });
    await expect(button).toBeVisible();
    await expect(posts.first()).toContainText('Sale starts now!');
    await expect(posts).toHaveCount(16);
    await button.click();
    await expect(posts).toHaveCount(18);
    await expect(posts.first()).toContainText('Third wave');
    await expect(button).toBeHidden();
    expect(await list.evaluate((el) => el.scrollTop)).toBe(0);

    // The operator hides one: it leaves this page without a reload.
    const hidden = await operator(server, 'query { feed(eventId: "evt_demo", limit: 1) { id } }', {});
    await operator(server, 'mutation($p: ID!) { hideFeedPost(eventId: "evt_demo", postId: $p) { id } }', {
      p: hidden.feed[0].id,
    });
    await expect(posts.filter({ hasText: 'Third wave' })).toHaveCount(0);
    await expect(posts).toHaveCount(17);
    expect(live.errors).toEqual([]);
  } finally {
    await server.dispose();
  }
});
