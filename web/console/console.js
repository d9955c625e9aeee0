// The operator console: a client of the management API, with the token the operator types once
// (kept in sessionStorage, for this tab only) sent as a bearer token.
'use strict';

const kTokenKey = 'liveorigin.token';
const kFastRefreshMs = 2000;   // streams, stats, chart
const kSlowRefreshMs = 10000;  // channels, recordings, callbacks
const kChartPoints = 90;       // three minutes at kFastRefreshMs

const $ = (id) => document.getElementById(id);
let mediaOrigin = `${location.protocol}//${location.hostname}:8080`;
let timers = [];
const chart = { plot: null, keys: [], times: [], values: new Map() };

class Unauthorized extends Error {}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(kTokenKey) || ''}`,
               ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  if (response.status === 401) throw new Unauthorized();
  const answer = await response.json().catch(() => ({ code: response.status, message: response.statusText }));
  if (!response.ok || answer.code !== 0) throw new Error(answer.message || `HTTP ${response.status}`);
  return answer.data;
}

// Table cells from strings or nodes.
function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell); else td.textContent = cell ?? '';
    tr.append(td);
  }
  return tr;
}

function button(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', () => act(onClick));
  return b;
}

function link(text, href) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

function fragment(...nodes) {
  const f = document.createDocumentFragment();
  f.append(...nodes);
  return f;
}

// A URL to read and copy.
function copyable(label, url) {
  const div = document.createElement('div');
  const text = document.createElement('span');
  text.className = 'url';
  text.textContent = url;
  div.append(label ? `${label}: ` : '', text, ' ',
             button('Copy', () => navigator.clipboard.writeText(url).catch(() => {})));
  return div;
}

function showError(error) {
  if (error instanceof Unauthorized) return signOut('The API refused the token. Enter it again.');
  $('error').textContent = String(error.message || error);
  $('error').hidden = false;
}

async function act(action) {
  try {
    await action();
    $('error').hidden = true;
    refreshFast();
    refreshSlow();
  } catch (error) {
    showError(error);
  }
}

function mediaPath(app, stream) {
  return `/${encodeURIComponent(app)}/${encodeURIComponent(stream)}`;
}

// Recordings' URLs name the server as it names itself; play them from the media port as this
// browser reaches it.
function onMediaOrigin(url) {
  const parsed = new URL(url, mediaOrigin);
  return mediaOrigin + parsed.pathname + parsed.search;
}

function renderStats(s) {
  const h = Math.floor(s.uptime_s / 3600);
  const m = Math.floor((s.uptime_s % 3600) / 60);
  const items = [['uptime', `${h}h ${m}m`], ['connections', s.connections], ['streams', s.streams],
                 ['players', s.players], ['in', `${s.kbps_in} kbps`], ['out', `${s.kbps_out} kbps`]];
  $('stats').replaceChildren(...items.map(([name, value]) => {
    const span = document.createElement('span');
    const b = document.createElement('b');
    b.textContent = value;
    span.append(`${name} `, b);
    return span;
  }));
}

function renderStreams(streams) {
  $('streams').tBodies[0].replaceChildren(...streams.map((s) => {
    const key = `${s.app}/${s.stream}`;
    const v = s.video;
    const a = s.audio;
    const kbps = (v ? v.kbps : 0) + (a ? a.kbps : 0);
    const disabled = s.status === 'disabled';
    const actions = fragment(
      disabled ? button('Enable', () => api('PUT', `/api/v1/streams${mediaPath(s.app, s.stream)}/status`, { status: 'enabled' }))
               : button('Disable', () => api('PUT', `/api/v1/streams${mediaPath(s.app, s.stream)}/status`, { status: 'disabled' })),
      s.online ? button('Drop', () => api('POST', `/api/v1/streams${mediaPath(s.app, s.stream)}/drop`)) : '');
    const base = mediaOrigin + mediaPath(s.app, s.stream);
    const links = fragment(link('page', `${mediaOrigin}/play${mediaPath(s.app, s.stream)}`), ' ',
                           link('flv', `${base}.flv`), ' ', link('hls', `${base}.m3u8`));
    const tr = row([key, `${s.online ? 'live' : 'offline'}, ${s.status}`,
                    v ? `${v.codec} ${v.width}×${v.height}` : '–', v ? String(v.fps) : '–',
                    a ? `${a.codec} ${a.sample_rate} Hz` : '–', s.online ? String(kbps) : '–',
                    `${s.players.rtmp} / ${s.players.flv} / ${s.players.hls}`, actions, links]);
    tr.dataset.stream = key;
    tr.dataset.status = s.status;
    return tr;
  }));
}

// Bitrate of each live stream over the last minutes; the plot is rebuilt when the set changes.
function updateChart(streams) {
  const live = streams.filter((s) => s.online);
  const now = Date.now() / 1000;
  chart.times.push(now);
  for (const s of live) {
    const key = `${s.app}/${s.stream}`;
    if (!chart.values.has(key)) chart.values.set(key, chart.times.slice(0, -1).map(() => null));
    chart.values.get(key).push((s.video ? s.video.kbps : 0) + (s.audio ? s.audio.kbps : 0));
  }
  for (const [key, values] of chart.values) {
    if (values.length < chart.times.length) values.push(null);
    if (values.every((x) => x === null)) chart.values.delete(key);
  }
  if (chart.times.length > kChartPoints) {
    chart.times.shift();
    for (const values of chart.values.values()) values.shift();
  }
  if (!window.uPlot) return;
  const keys = [...chart.values.keys()];
  const data = [chart.times, ...keys.map((k) => chart.values.get(k))];
  const width = Math.max(300, $('chart').clientWidth || 800);
  if (!chart.plot || keys.join() !== chart.keys.join()) {
    if (chart.plot) chart.plot.destroy();
    const colors = ['#2b8cbe', '#e6550d', '#31a354', '#756bb1', '#de2d26', '#636363'];
    chart.plot = new uPlot({
      width, height: 180,
      scales: { y: { range: (u, min, max) => [0, Math.max(100, max * 1.1)] } },
      axes: [{}, { label: 'kbps', size: 60 }],
      series: [{}, ...keys.map((k, i) => ({ label: k, stroke: colors[i % colors.length], width: 2 }))],
    }, data, $('chart'));
    chart.keys = keys;
  } else {
    chart.plot.setData(data);
  }
}

async function refreshFast() {
  try {
    // state=all: streams that went offline (a disabled one is cut) stay listed, so they can be enabled again.
    const [stats, streams] = await Promise.all([api('GET', '/api/v1/stats'), api('GET', '/api/v1/streams?state=all')]);
    renderStats(stats);
    renderStreams(streams);
    updateChart(streams);
  } catch (error) {
    showError(error);
  }
}

function renderChannels(app, channels) {
  $('channels').tBodies[0].replaceChildren(...channels.map((c) => row([
    c.id, c.online ? 'live' : '–', copyable('', c.push_url),
    fragment(copyable('rtmp', c.play_urls.rtmp), copyable('flv', c.play_urls.flv), copyable('hls', c.play_urls.hls)),
    button('Delete', () => api('DELETE', `/api/v1/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(c.id)}`)),
  ])));
}

function renderRecordings(recordings) {
  $('recordings').tBodies[0].replaceChildren(...recordings.map((r) => row([
    `${r.app}/${r.stream}`, r.file_name, new Date(r.start_time * 1000).toLocaleString(),
    `${Math.round(r.duration)} s`, `${(r.file_size / 1e6).toFixed(1)} MB`,
    fragment(button('Play', () => {
      const player = $('recording');
      player.src = onMediaOrigin(r.video_url);
      player.hidden = false;
      return player.play().catch(() => {});
    }), ' ', link('file', onMediaOrigin(r.video_url))),
  ])));
}

function renderCallbacks(callbacks) {
  $('callbacks').tBodies[0].replaceChildren(...callbacks.map((c) => row([
    String(c.id), c.event, c.stream, c.url, `${c.attempts} / ${c.max_attempts}`, c.last_error,
    button('Retry', () => api('POST', `/api/v1/callbacks/${c.id}/retry`)),
  ])));
}

// The apps the channel form offers, from the config: those in channel mode first (only their
// channels may publish), then the others (any name publishes there; a channel gives its signed URLs).
async function fillApps() {
  const apps = await api('GET', '/api/v1/apps');
  const ordered = [...apps.filter((a) => a.mode === 'channel'), ...apps.filter((a) => a.mode !== 'channel')];
  const select = $('channel-app');
  const current = select.value;
  const labels = ordered.map((a) => `${a.name} (${a.mode})`);
  if (labels.join() !== [...select.options].map((o) => o.textContent).join()) {
    select.replaceChildren(...ordered.map((a, i) => new Option(labels[i], a.name)));
    if (ordered.some((a) => a.name === current)) select.value = current;
  }
}

async function refreshSlow() {
  try {
    await fillApps();
    const app = $('channel-app').value;
    const [channels, recordings, callbacks] = await Promise.all([
      app ? api('GET', `/api/v1/apps/${encodeURIComponent(app)}/channels`).catch((e) => {
        if (e instanceof Unauthorized) throw e;
        return [];
      }) : [],
      api('GET', '/api/v1/recordings?limit=20'),
      api('GET', '/api/v1/callbacks?state=failed'),
    ]);
    renderChannels(app, channels);
    renderRecordings(recordings);
    renderCallbacks(callbacks);
  } catch (error) {
    showError(error);
  }
}

function stopTimers() {
  timers.forEach(clearInterval);
  timers = [];
}

function signOut(message) {
  stopTimers();
  sessionStorage.removeItem(kTokenKey);
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-message').textContent = message;
  $('login-message').classList.toggle('refused', message.startsWith('The API refused'));
  $('token').value = '';
  $('token').focus();
}

async function signIn() {
  try {
    await api('GET', '/api/v1/stats');  // does the token work?
  } catch (error) {
    if (error instanceof Unauthorized) return signOut('The API refused the token. Enter it again.');
    $('login-message').textContent = `Cannot reach the API: ${error.message}`;
    $('login').hidden = false;
    return;
  }
  $('login').hidden = true;
  $('app').hidden = false;
  refreshFast();
  refreshSlow();
  timers = [setInterval(refreshFast, kFastRefreshMs), setInterval(refreshSlow, kSlowRefreshMs)];
}

async function main() {
  try {
    mediaOrigin = (await (await fetch('media.json', { cache: 'no-store' })).json()).media_origin;
  } catch {
    // keep the guess: this host, port 8080
  }
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(kTokenKey, $('token').value.trim());
    signIn();
  });
  $('logout').addEventListener('click', () => signOut('Signed out. Enter the API token to sign in again.'));
  $('channel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const app = $('channel-app').value;
    const id = $('channel-id').value.trim();
    act(async () => {
      const c = await api('POST', `/api/v1/apps/${encodeURIComponent(app)}/channels`, id ? { id } : {});
      $('channel-created').replaceChildren(copyable(`push ${c.id}`, c.push_url), copyable('play rtmp', c.play_urls.rtmp),
                                           copyable('play flv', c.play_urls.flv), copyable('play hls', c.play_urls.hls));
      $('channel-id').value = '';
    });
  });
  $('channel-app').addEventListener('change', refreshSlow);
  if (sessionStorage.getItem(kTokenKey)) signIn(); else $('login').hidden = false;
}

main();
