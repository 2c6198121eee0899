// Before any test: the server's demo media is ready (the live stream has started and the recording and its
// ClearKey variant are made), so tests measure the page, not the first seconds of encoding.
import type { FullConfig } from '@playwright/test';
import { OPERATOR_TOKEN } from './tests/fixtures/api';

const MEDIA = ['/media/demo/live/master.m3u8', '/media/demo/archive/master.m3u8'];

/** The `name=value` pairs of a response's cookies, as a Cookie header. */
const cookiesOf = (response: Response) =>
  response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');

/** The paid demo's encrypted recording, fetched as an entitled viewer (it is behind the media gate). */
async function clearKeyReady(baseURL: string): Promise<boolean> {
  const playback = (cookie = '') =>
    fetch(`${baseURL}/api/playback/demo-paid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ acceptTerms: true }),
    });
  const first = await playback();
  const viewer = cookiesOf(first);
  const { viewerId } = await first.json();
  await fetch(`${baseURL}/api/admin/entitlements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: OPERATOR_TOKEN },
    body: JSON.stringify({ slug: 'demo-paid', viewerId, kind: 'grant' }),
  });
  const allowed = await playback(viewer);
  const master = await fetch(`${baseURL}/media/demo/clearkey/master.m3u8`, {
    headers: { cookie: `${viewer}; ${cookiesOf(allowed)}` },
  });
  return master.ok;
}

export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const deadline = Date.now() + 90_000;
  for (const path of MEDIA) {
    for (;;) {
      const response = await fetch(baseURL + path).catch(() => null);
      if (response?.ok) break;
      if (Date.now() > deadline) throw new Error(`${path} is not ready after 90 s (is ffmpeg installed?)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  while (!(await clearKeyReady(baseURL).catch(() => false))) {
    if (Date.now() > deadline) throw new Error('the ClearKey recording is not ready after 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The live playlist has a few segments, as a viewer arriving mid-show finds it.
  while (Date.now() < deadline) {
    const playlist = await (await fetch(`${baseURL}/media/demo/live/720p/index.m3u8`)).text().catch(() => '');
    if ((playlist.match(/#EXTINF/g) ?? []).length >= 4) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the live stream did not grow to 4 segments in 90 s');
}
