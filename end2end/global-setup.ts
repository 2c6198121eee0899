// Before any test: the server's demo media is ready (the live stream has started and the recording and its
// ClearKey variant are made), so tests measure the page, not the first seconds of encoding.
import type { FullConfig } from '@playwright/test';

const MEDIA = ['/media/demo/live/master.m3u8', '/media/demo/archive/master.m3u8', '/media/demo/clearkey/master.m3u8'];

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
  // The live playlist has a few segments, as a viewer arriving mid-show finds it.
  while (Date.now() < deadline) {
    const playlist = await (await fetch(`${baseURL}/media/demo/live/720p/index.m3u8`)).text().catch(() => '');
    if ((playlist.match(/#EXTINF/g) ?? []).length >= 4) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the live stream did not grow to 4 segments in 90 s');
}
