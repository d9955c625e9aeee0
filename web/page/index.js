// The list of live streams on /: polls /streams.json (public apps only) and links each stream to
// its player page.
'use strict';

const kRefreshMs = 3000;

function describe(stream) {
  const parts = [];
  if (stream.video) {
    parts.push(stream.video.codec + (stream.video.width ? ` ${stream.video.width}×${stream.video.height}` : ''));
  }
  if (stream.audio) parts.push(stream.audio.codec);
  return parts.join(' · ');
}

function render(streams) {
  const list = document.getElementById('streams');
  list.replaceChildren(...streams.map((s) => {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `/play/${encodeURIComponent(s.app)}/${encodeURIComponent(s.stream)}`;
    link.textContent = `${s.app}/${s.stream}`;
    const info = document.createElement('span');
    info.className = 'muted';
    info.textContent = describe(s);
    item.append(link, ' ', info);
    return item;
  }));
  document.getElementById('empty').hidden = streams.length > 0;
}

async function refresh() {
  try {
    const response = await fetch('/streams.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render((await response.json()).streams);
    document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    document.getElementById('updated').textContent = `cannot reach the server (${error.message}), retrying`;
  } finally {
    setTimeout(refresh, kRefreshMs);
  }
}

refresh();
