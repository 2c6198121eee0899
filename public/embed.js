/* Caravan's embeddable widget (docs/EMBEDDING.md). A partner page writes
 *   <script src="https://HOST/embed.js" async></script>
 *   <div data-caravan-event="demo" data-caravan-mode="player"></div>
 * and each such element gets an iframe of https://HOST/embed/demo. The widget talks to the page with postMessage,
 * origins checked on both sides: commands go in (element.caravan.play(), pause(), mute(), unmute(), seekToLive()),
 * events come out as DOM events on the element ("caravan:ready", "caravan:play", "caravan:pause", "caravan:like",
 * "caravan:pickup", "caravan:addtocart", "caravan:checkout"; event.detail holds the details). No dependencies. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var host = new URL(script.src).origin;
  var ALLOW = 'autoplay; fullscreen; encrypted-media; picture-in-picture';

  function mount(element) {
    if (element.caravan) return;
    var slug = element.getAttribute('data-caravan-event');
    if (!slug) return;
    var mode = element.getAttribute('data-caravan-mode') === 'full' ? 'full' : 'player';
    var query = '?mode=' + mode;
    // Optional: the widget's language (ja, en) and theme (dark, light); otherwise the viewer's own choice.
    var lang = element.getAttribute('data-caravan-lang');
    var theme = element.getAttribute('data-caravan-theme');
    if (lang) query += '&lang=' + encodeURIComponent(lang);
    if (theme) query += '&theme=' + encodeURIComponent(theme);
    var frame = document.createElement('iframe');
    frame.src = host + '/embed/' + encodeURIComponent(slug) + query;
    frame.title = element.getAttribute('data-caravan-title') || 'Live show';
    frame.allow = ALLOW;
    frame.allowFullscreen = true;
    frame.loading = 'lazy';
    frame.referrerPolicy = 'strict-origin-when-cross-origin';
    // Until the widget reports its height: the video's 16:9 and a little for the bar under it.
    frame.style.cssText = 'display:block;width:100%;border:0;aspect-ratio:16/10;';
    element.appendChild(frame);

    function send(command) {
      if (frame.contentWindow) frame.contentWindow.postMessage({ caravan: 1, type: 'command', command: command }, host);
    }
    element.caravan = {
      frame: frame,
      play: function () { send('play'); },
      pause: function () { send('pause'); },
      mute: function () { send('mute'); },
      unmute: function () { send('unmute'); },
      seekToLive: function () { send('seekToLive'); },
    };

    window.addEventListener('message', function (message) {
      if (message.origin !== host || message.source !== frame.contentWindow) return;
      var data = message.data;
      if (!data || data.caravan !== 1) return;
      if (data.type === 'resize' && typeof data.height === 'number' && data.height > 0) {
        frame.style.aspectRatio = 'auto';
        frame.style.height = Math.ceil(data.height) + 'px';
      } else if (data.type === 'event' && typeof data.event === 'string') {
        element.dispatchEvent(
          new CustomEvent('caravan:' + data.event.toLowerCase(), { detail: data.detail || {}, bubbles: true }),
        );
      }
    });
  }

  function mountAll(root) {
    var elements = root.querySelectorAll ? root.querySelectorAll('[data-caravan-event]') : [];
    for (var i = 0; i < elements.length; i++) mount(elements[i]);
  }

  mountAll(document);
  // Widgets added later (pages that render after load).
  new MutationObserver(function (changes) {
    for (var i = 0; i < changes.length; i++) {
      var added = changes[i].addedNodes;
      for (var j = 0; j < added.length; j++) {
        var node = added[j];
        if (node.nodeType !== 1) continue;
        if (node.hasAttribute('data-caravan-event')) mount(node);
        mountAll(node);
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
