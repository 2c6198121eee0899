// The player's bootstrap: starts the show's stream as soon as hls.js has loaded, before the app's bundle has
// downloaded and hydrated, so the first frame does not wait for the app. The server writes what to play into the
// <video>'s data-start ({src, config}: caravan::api::playback::PlayerStart) when it authorized the viewer while
// rendering the page; the app's player (use_hls/engine.rs) takes over this hls.js instance at hydration.
(() => {
  const video = document.querySelector('video[data-start]');
  if (!video) return;
  let start;
  try {
    start = JSON.parse(video.dataset.start);
  } catch {
    return;
  }
  // The app takes over whatever the bootstrap cannot do alone: a refused autoplay (its play button), a failed stream.
  const wantApp = () => video.dispatchEvent(new Event('caravanappwanted'));
  const play = () => video.play().catch(wantApp);
  if (window.Hls && window.Hls.isSupported()) {
    const hls = new window.Hls(start.config);
    const started = { hls, video, src: start.src, failed: false };
    hls.on(window.Hls.Events.MANIFEST_PARSED, play);
    // A stream that fails is left to the app, which recovers it.
    hls.on(window.Hls.Events.ERROR, (_, data) => {
      if (!data.fatal || started.failed) return;
      started.failed = true;
      wantApp();
    });
    hls.loadSource(start.src);
    hls.attachMedia(video);
    window.caravanStartedPlayer = started;
  } else if (!start.config.drmSystems && video.canPlayType('application/vnd.apple.mpegurl')) {
    // The browser's own HLS (iOS Safari); encrypted streams wait for the app.
    video.src = start.src;
    play();
  }
})();
