#!/usr/bin/env node
// Live ingest as a viewer sees it, in Chromium, against a running caravan-server (ingest on, demo shows seeded):
//
// 1. Glass-to-glass latency. The "camera" is this script: it draws each frame (1280x720, 30 fps) with the moment it
//    hands it to the encoder (ms since the epoch, low 20 bits) as a strip of black and white blocks, and pipes it
//    into ffmpeg (libx264 ultrafast, zerolatency, a keyframe a second), which publishes over RTMP as OBS would. The
//    page reads the strip off each frame it presents (requestVideoFrameCallback, a canvas) and compares it with the
//    clock. The same run measures a plain ffmpeg HLS pipeline with Owncast's lowest-latency settings (1 s segments,
//    25 in the playlist, veryfast, the same two rungs, ffmpeg's own playlists), fed the same way and played by a bare
//    hls.js page.
// 2. The player's stall during a failover: a primary and a backup encoder publish; the primary is killed, then
//    comes back. The longest time the page's picture stood still around each switch, against the longest in a
//    quiet window before.
//
//   node bench/live_latency.mjs <base-url> [samples]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { chromium } from '@playwright/test';
import { chromium as launch } from '../chromium.mjs';

const [base, samplesArg] = process.argv.slice(2);
if (!base) {
  console.error('usage: live_latency.mjs <base-url> [samples]');
  process.exit(2);
}
const SAMPLES = Number(samplesArg ?? 40);
const OPERATOR = { 'content-type': 'application/json', authorization: 'caravan-dev-operator-token' };
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
const BITS = 20;
const BLOCK = WIDTH / 32;
const STRIP = 48;

async function operator(query, variables) {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: OPERATOR, body: JSON.stringify({ query, variables }) });
  const answer = await response.json();
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data;
}

async function issue(role) {
  const data = await operator(
    'mutation($e: ID!, $r: StreamKeyRole!) { issueStreamKey(eventId: $e, role: $r) { rtmpUrl key } }',
    { e: 'evt_demo_upcoming', r: role },
  );
  return `${data.issueStreamKey.rtmpUrl}/${data.issueStreamKey.key}`;
}

// One frame: mid grey, a bar that moves (so the encoder has motion to code), and the capture time in the strip.
function frame(now, index) {
  const pixels = Buffer.alloc(WIDTH * HEIGHT, 96);
  const value = now % 2 ** BITS;
  for (let bit = 0; bit < BITS; bit++) {
    const level = (value >> bit) & 1 ? 235 : 16;
    for (let y = 0; y < STRIP; y++) pixels.fill(level, y * WIDTH + bit * BLOCK, y * WIDTH + (bit + 1) * BLOCK);
  }
  const x = (index * 8) % (WIDTH - 80);
  for (let y = 200; y < 520; y++) pixels.fill(220, y * WIDTH + x, y * WIDTH + x + 80);
  return pixels;
}

// A camera feeding `encoder`'s stdin at 30 fps until stopped.
function camera(encoder) {
  // An encoder that stops (killed, or refused) takes no more frames.
  encoder.stdin.on('error', () => {});
  let index = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    // Catch up after a late tick: the frames an encoder gets are the clock's.
    while (index <= ((Date.now() - started) * FPS) / 1000) {
      if (!encoder.stdin.writable) return;
      encoder.stdin.write(frame(Date.now(), index));
      index += 1;
    }
  }, 1000 / FPS / 2);
  return () => {
    clearInterval(timer);
    encoder.stdin.end();
  };
}

const CAMERA_INPUT = ['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${WIDTH}x${HEIGHT}`, '-r', String(FPS), '-i', 'pipe:0'];
const SILENCE = ['-re', '-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000'];

// An encoder as an operator runs one (OBS: x264, zerolatency, a keyframe a second), publishing to `url`.
function encoder(url) {
  const child = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', ...CAMERA_INPUT, ...SILENCE,
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30',
    '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-b:v', '4000k', '-c:a', 'aac', '-b:a', '96k',
    '-f', 'flv', url,
  ], { stdio: ['pipe', 'ignore', 'inherit'] });
  const stop = camera(child);
  return () => {
    stop();
    child.kill('SIGKILL');
  };
}

// Owncast's pipeline at its lowest latency (level 0: 1 s segments, 25 in the playlist; CPU level 2: veryfast), fed
// FLV on its stdin as Owncast feeds it, with the same two rungs as Caravan's default ladder, into `dir`.
function owncastLike(dir) {
  const encoderToFlv = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', ...CAMERA_INPUT, ...SILENCE, '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30',
    '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-b:v', '4000k', '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', 'pipe:1',
  ], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rung = (n, height, kbps) => [
    '-map', 'v:0', `-c:v:${n}`, 'libx264', `-b:v:${n}`, `${kbps}k`, `-maxrate:v:${n}`, `${Math.round(kbps * 1.06)}k`,
    `-bufsize:v:${n}`, `${Math.round(kbps * 1.2)}k`, `-g:v:${n}`, '30', `-keyint_min:v:${n}`, '30', `-r:v:${n}`, '30',
    `-filter:v:${n}`, `scale=-2:${height}`, '-map', 'a:0?', `-c:a:${n}`, 'copy',
  ];
  const transcoder = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'warning', '-fflags', '+genpts', '-f', 'flv', '-i', 'pipe:0',
    ...rung(0, 720, 2000), ...rung(1, 360, 600), '-preset', 'veryfast',
    '-var_stream_map', 'v:0,a:0 v:1,a:1', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '25',
    '-hls_flags', 'delete_segments+program_date_time', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-sc_threshold', '0', '-master_pl_name', 'stream.m3u8', '-hls_segment_filename', join(dir, '%v/stream-%d.ts'),
    '-max_muxing_queue_size', '400', join(dir, '%v/stream.m3u8'),
  ], { stdio: ['pipe', 'ignore', 'inherit'] });
  // Either may go first when the run ends: a closed pipe is not an error then.
  transcoder.stdin.on('error', () => {});
  encoderToFlv.stdout.on('error', () => {});
  encoderToFlv.stdout.pipe(transcoder.stdin);
  const stop = camera(encoderToFlv);
  return () => {
    stop();
    encoderToFlv.kill('SIGKILL');
    transcoder.kill('SIGKILL');
  };
}

// Serves `dir` (the baseline's HLS) and a bare hls.js page playing it.
async function staticServer(dir, hlsScript) {
  const types = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.html': 'text/html' };
  const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="${hlsScript}"></script></head><body>
<video muted autoplay playsinline style="width:1280px;height:720px"></video>
<script>
  const video = document.querySelector('video');
  const hls = new Hls();
  hls.loadSource('/stream.m3u8');
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
</script></body></html>`;
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    response.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

// In the page: every presented frame's capture time (from its strip) and when it was presented.
const PROBE = `
  window.__frames = [];
  window.__watch = () => {
    const video = document.querySelector('video');
    if (!video || !video.requestVideoFrameCallback) return false;
    const canvas = new OffscreenCanvas(${WIDTH}, ${STRIP});
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const onFrame = (now, meta) => {
      const presented = Date.now();
      context.drawImage(video, 0, 0, video.videoWidth, video.videoHeight * ${STRIP} / ${HEIGHT}, 0, 0, ${WIDTH}, ${STRIP});
      const strip = context.getImageData(0, ${STRIP / 2}, ${WIDTH}, 1).data;
      let value = 0;
      for (let bit = 0; bit < ${BITS}; bit++) {
        if (strip[(bit * ${BLOCK} + ${BLOCK / 2}) * 4] > 128) value |= 1 << bit;
      }
      window.__frames.push({ presented, value, mediaTime: meta.mediaTime });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return true;
  };
`;

async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(PROBE);
  await page.goto(url);
  await page.waitForFunction(() => {
    const video = document.querySelector('video');
    return video && video.readyState >= 3 && !video.paused && window.__watch();
  }, null, { timeout: 60_000 });
  return page;
}

const latencyOf = (frame) => (((frame.presented % 2 ** BITS) - frame.value) + 2 ** BITS) % 2 ** BITS;

// `SAMPLES` latencies, one every 500 ms, after 8 s of playing (the player settles at its live distance).
async function sampleLatency(page) {
  await page.waitForTimeout(8000);
  await page.evaluate(() => { window.__frames = []; });
  const samples = [];
  while (samples.length < SAMPLES) {
    await page.waitForTimeout(500);
    const last = await page.evaluate(() => {
      const video = document.querySelector('video');
      const ranges = video.buffered;
      const ahead = ranges.length ? ranges.end(ranges.length - 1) - video.currentTime : 0;
      return { ...window.__frames.at(-1), ahead };
    });
    if (last.value !== undefined) {
      samples.push(latencyOf(last));
      if (process.env.BENCH_DEBUG) console.error(`latency ${latencyOf(last)} ms, buffered ahead ${last.ahead.toFixed(2)} s`);
    }
  }
  return samples.filter((ms) => ms < 60_000);
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const summary = (values) => `${quantile(values, 0.5)} | ${quantile(values, 0.95)} | ${values.length}`;

// The longest time between two presented frames while `during` runs, in ms.
async function longestStill(page, during) {
  await page.evaluate(() => { window.__frames = []; });
  await during();
  const frames = await page.evaluate(() => window.__frames);
  let longest = 0;
  for (let i = 1; i < frames.length; i++) longest = Math.max(longest, frames[i].presented - frames[i - 1].presented);
  return { longest, frames: frames.length };
}

const browser = await chromium.launch({ ...launch, args: ['--headless', '--autoplay-policy=no-user-gesture-required', ...launch.args] });
const manifest = await (await fetch(`${base}/manifest.json`)).json();
const hlsScript = `${base}/${manifest.pkg}/hls.min.js`;
const rows = [];
try {
  // Caravan: RTMP ingest, the default ladder, the server's playlists, the live page.
  const primaryUrl = await issue('PRIMARY');
  let stopPrimary = encoder(primaryUrl);
  // A viewer who joins the show after it started, as most do.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const caravan = await openPage(browser, `${base}/live/demo-upcoming`);
  const caravanLatency = await sampleLatency(caravan);
  rows.push(`| Caravan (RTMP → ladder → server's playlists → live page) | ${summary(caravanLatency)} |`);

  // The failover, on the same page: the backup joins, the primary goes, then comes back.
  const stopBackup = encoder(await issue('BACKUP'));
  await caravan.waitForTimeout(5000);
  const quiet = await longestStill(caravan, () => caravan.waitForTimeout(8000));
  const toBackup = await longestStill(caravan, async () => {
    stopPrimary();
    await caravan.waitForTimeout(8000);
  });
  const backToPrimary = await longestStill(caravan, async () => {
    stopPrimary = encoder(primaryUrl);
    await caravan.waitForTimeout(10000);
  });
  stopPrimary();
  stopBackup();
  await caravan.close();

  // The baseline, in the same run.
  const dir = mkdtempSync(join(tmpdir(), 'caravan-owncast-like-'));
  const stopBaseline = owncastLike(dir);
  const server = await staticServer(dir, hlsScript);
  try {
    for (let i = 0; i < 100 && !existsSync(join(dir, 'stream.m3u8')); i++) await new Promise((r) => setTimeout(r, 200));
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const baseline = await openPage(browser, server.url);
    rows.push(`| ffmpeg's HLS with Owncast's lowest-latency settings, bare hls.js page | ${summary(await sampleLatency(baseline))} |`);
    await baseline.close();
  } finally {
    stopBaseline();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| glass to glass | median ms | p95 ms | samples |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\n| the page\'s picture during a failover | longest still ms | frames presented |');
  console.log('|---|---|---|');
  console.log(`| quiet, both encoders publishing (8 s) | ${quiet.longest} | ${quiet.frames} |`);
  console.log(`| the primary killed: the backup takes over (8 s) | ${toBackup.longest} | ${toBackup.frames} |`);
  console.log(`| the primary back: it takes over again (10 s) | ${backToPrimary.longest} | ${backToPrimary.frames} |`);
} finally {
  await browser.close();
}
