// The player page, /play/APP/STREAM[?proto=flv|hls&txSecret=…&txTime=…]: plays HTTP-FLV with
// mpegts.js (default, low latency) or HLS with hls.js (the browser's own HLS where Media Source
// Extensions are missing, as on iPhone Safari). The query goes on to the media URL, so signed
// links work. While the stream is not live it says so and tries again on a timer.
'use strict';

const kRetryMs = 2000;        // between attempts while the stream is offline
const kStartDeadlineMs = 15000;  // an attempt that shows no frame by then starts over
const kStallMs = 8000;        // playback stuck that long starts over

const video = document.getElementById('video');
const stateBox = document.getElementById('state');
const [, , appPart, streamPart] = location.pathname.split('/');
const app = decodeURIComponent(appPart || '');
const stream = decodeURIComponent(streamPart || '');
const params = new URLSearchParams(location.search);
const proto = params.get('proto') === 'hls' ? 'hls' : 'flv';
params.delete('proto');
const query = params.toString() ? `?${params}` : '';
const base = `${location.origin}/${encodeURIComponent(app)}/${encodeURIComponent(stream)}`;
const mediaUrl = proto === 'hls' ? `${base}.m3u8${query}` : `${base}.flv${query}`;

// What the page knows, also read by tests and monitoring scripts.
const status = { proto, state: 'connecting', firstFrameMs: null, latency: null, kbps: null, errors: [] };
window.liveoriginPlayer = status;

let player = null;           // the mpegts.js or hls.js instance of the current attempt
let attempt = 0;             // bumps on every teardown; stale callbacks compare and give up
let retryTimer = null;
let lastTime = -1;
let lastProgressAt = 0;
let bytesWindow = [];        // [time ms, bytes] of recently loaded HLS fragments

function show(state, text) {
  status.state = state;
  stateBox.textContent = text;
  stateBox.hidden = state === 'playing';
  stateBox.dataset.state = state;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(script);
  });
}

function teardown() {
  attempt += 1;
  if (player) {
    try {
      if (proto === 'flv') { player.pause(); player.unload(); player.detachMediaElement(); }
      player.destroy();
    } catch (error) {
      status.errors.push(String(error));
    }
    player = null;
  }
  if (!window.MediaSource || proto === 'hls') {
    video.removeAttribute('src');
    video.load();
  }
  lastTime = -1;
  bytesWindow = [];
}

// Gives up the current attempt and tries again shortly.
function retry(reason) {
  if (reason) status.errors.push(reason);
  teardown();
  show('offline', 'offline — retrying');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(start, kRetryMs);
}

// Whether the stream is live now: HEAD of the FLV URL, GET of the playlist (no player yet, so an
// offline stream costs one small request per retry).
async function probe() {
  const response = await fetch(mediaUrl, { method: proto === 'flv' ? 'HEAD' : 'GET', cache: 'no-store' });
  if (response.status === 403) return 'forbidden';
  return response.ok ? 'live' : 'offline';
}

function startFlv() {
  const current = attempt;
  player = mpegts.createPlayer({ type: 'flv', isLive: true, url: mediaUrl }, {
    enableWorker: false,
    enableStashBuffer: false,  // hand data to the decoder at once
    lazyLoad: false,
    liveSync: true,            // play slightly faster when behind…
    liveSyncMaxLatency: 1.2,
    liveSyncTargetLatency: 0.6,
    liveBufferLatencyChasing: true,  // …and jump ahead when far behind
    liveBufferLatencyMaxLatency: 2.5,
    liveBufferLatencyMinRemain: 0.4,
  });
  player.on(mpegts.Events.ERROR, (type, detail, info) => {
    if (current !== attempt) return;
    // A media FormatError is not fatal: mpegts.js reports it for metadata it does not know (OBS's
    // enhanced-RTMP colorInfo) and plays on. The stall watch catches a stream that truly stops.
    if (type === mpegts.ErrorTypes.MEDIA_ERROR && detail === 'FormatError') {
      status.errors.push(`${type}: ${detail} (ignored)`);
      return;
    }
    retry(`${type}: ${detail}${info && info.msg ? ` (${info.msg})` : ''}`);
  });
  player.on(mpegts.Events.LOADING_COMPLETE, () => { if (current === attempt) retry('stream ended'); });
  player.on(mpegts.Events.STATISTICS_INFO, (info) => {
    if (current === attempt && info.speed >= 0) status.kbps = info.speed * 8;  // KB/s
  });
  player.attachMediaElement(video);
  player.load();
  const playing = player.play();
  if (playing && playing.catch) playing.catch(() => {});
}

function startHls() {
  const current = attempt;
  if (window.Hls && Hls.isSupported()) {
    player = new Hls({ enableWorker: false, liveSyncDurationCount: 2, maxLiveSyncPlaybackRate: 1.2 });
    player.on(Hls.Events.ERROR, (event, data) => {
      if (current === attempt && data.fatal) retry(`${data.type}: ${data.details}`);
    });
    player.on(Hls.Events.FRAG_LOADED, (event, data) => {
      bytesWindow.push([performance.now(), data.frag.stats.total, data.frag.duration]);
      if (bytesWindow.length > 5) bytesWindow.shift();
      const bytes = bytesWindow.reduce((sum, entry) => sum + entry[1], 0);
      const seconds = bytesWindow.reduce((sum, entry) => sum + entry[2], 0);
      if (seconds > 0) status.kbps = (bytes * 8) / 1000 / seconds;
    });
    player.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    player.loadSource(mediaUrl);
    player.attachMedia(video);
  } else {
    video.src = mediaUrl;  // Safari's own HLS
    video.onerror = () => { if (current === attempt) retry('media error'); };
  }
  const playing = video.play();
  if (playing && playing.catch) playing.catch(() => {});
}

async function start() {
  clearTimeout(retryTimer);
  const current = attempt;
  try {
    const state = await probe();
    if (current !== attempt) return;
    if (state !== 'live') {
      show(state, state === 'forbidden' ? 'forbidden (bad or expired signed link) — retrying' : 'offline — retrying');
      retryTimer = setTimeout(start, kRetryMs);
      return;
    }
    if (proto === 'flv' && !window.mpegts) await loadScript('/static/mpegts.js');
    if (proto === 'hls' && window.MediaSource && !window.Hls) await loadScript('/static/hls.light.min.js');
  } catch (error) {
    if (current === attempt) retry(`cannot reach the server: ${error.message}`);
    return;
  }
  if (current !== attempt) return;
  show('connecting', 'connecting…');
  lastProgressAt = performance.now() + kStartDeadlineMs - kStallMs;
  if (proto === 'flv' && window.mpegts && mpegts.getFeatureList().mseLivePlayback) {
    startFlv();
  } else if (proto === 'flv') {
    show('unsupported', 'this browser cannot play HTTP-FLV: try ?proto=hls');
  } else {
    startHls();
  }
}

function noteFirstFrame() {
  if (status.firstFrameMs === null) status.firstFrameMs = performance.now();  // since navigation start
}

function latencyBehindLive() {
  if (proto === 'hls' && player && typeof player.latency === 'number' && player.latency > 0) return player.latency;
  const ranges = proto === 'hls' && !player ? video.seekable : video.buffered;
  if (!ranges.length) return null;
  return Math.max(0, ranges.end(ranges.length - 1) - video.currentTime);
}

// Once a second: what the viewer sees, and whether playback is stuck.
function tick() {
  const now = performance.now();
  if (status.state === 'connecting' || status.state === 'playing') {
    if (video.currentTime !== lastTime && !video.paused && video.readyState >= 2) {
      lastTime = video.currentTime;
      lastProgressAt = now;
      if (video.currentTime > 0) {
        noteFirstFrame();
        show('playing', '');
      }
    } else if (video.paused && status.state === 'playing') {
      lastProgressAt = now;  // the viewer paused: not a stall
    } else if (now - lastProgressAt > kStallMs) {
      retry('no progress');
    }
  }
  status.latency = status.state === 'playing' ? latencyBehindLive() : null;
  const size = video.videoWidth ? `${video.videoWidth}×${video.videoHeight}` : '–';
  document.getElementById('resolution').textContent = size;
  document.getElementById('bitrate').textContent = status.kbps === null ? '–' : `${Math.round(status.kbps)} kbps`;
  document.getElementById('latency').textContent = status.latency === null ? '–' : `${status.latency.toFixed(1)} s`;
}

function setUpPage() {
  document.title = `${app}/${stream}`;
  document.getElementById('title').textContent = `${app}/${stream}`;
  document.getElementById('protocol').textContent = proto === 'hls' ? 'HLS' : 'HTTP-FLV';
  if (window.self !== window.top) document.body.classList.add('embedded');
  const snippet = document.getElementById('snippet');
  const src = location.href.replace(/"/g, '&quot;');
  snippet.value = `<iframe src="${src}" width="640" height="360" allow="autoplay; fullscreen" allowfullscreen style="border:0"></iframe>`;
  document.getElementById('copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(snippet.value);
    } catch {
      snippet.select();
      document.execCommand('copy');
    }
  });
  if ('requestVideoFrameCallback' in video) {
    video.requestVideoFrameCallback(noteFirstFrame);  // called when the first frame is shown
  }
  video.addEventListener('playing', () => { if (video.currentTime > 0) noteFirstFrame(); });
}

setUpPage();
setInterval(tick, 1000);
start();
