"""The player page and the operator console (PRODUCT.md section 11) in a real browser: headless
Chromium driven by Selenium, against the real server, with media published by ffmpeg."""
import gzip
import http.client
import json
import shutil
import time
import urllib.parse

import pytest

import apiclient
import testmedia
from ertmp_publisher import ErtmpPublisher, single_track_tags, video_track
from harness import FFMPEG, HOST, http_get, wait_live, wait_offline

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # pragma: no cover - depends on the machine
    webdriver = None

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and webdriver),
    reason="needs chromium, chromium-driver and python3-selenium (scripts/setup.sh --test installs them)")

WIDTH, HEIGHT = 640, 360  # of testmedia's av.flv


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1100,760"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


def wait_for(what, check, timeout):
    """CHECK's first truthy value within TIMEOUT seconds; fails with WHAT otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as error:  # a page still loading
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def fetch(port, path, headers=None):
    """(status, headers lower-cased, whole body) of a GET."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def page_url(server, path):
    return f"http://{HOST}:{server.http_port}{path}"


def video_state(browser):
    return browser.execute_script(
        "const v = document.getElementById('video');"
        "return {t: v.currentTime, w: v.videoWidth, h: v.videoHeight, status: window.liveoriginPlayer,"
        "        state: document.getElementById('state').textContent,"
        "        latency: document.getElementById('latency').textContent};")


def wait_playing(browser, timeout, past=1.0):
    """Waits until the video has played PAST seconds, then until it advances further."""
    first = wait_for("the video to play", lambda: (s := video_state(browser))["t"] > past and s, timeout)
    wait_for("the video to keep playing", lambda: video_state(browser)["t"] > first["t"] + 0.5, 10)
    return video_state(browser)


def request_urls(browser):
    return browser.execute_script("return performance.getEntries().map(e => e.name)"
                                  ".filter(n => n.startsWith('http'))")


def publish(clients, server, stream, app="live", query="", seconds=None):
    cmd = [*FFMPEG, "-re", "-stream_loop", "-1", "-i", testmedia.media_path("av.flv")]
    if seconds:
        cmd += ["-t", str(seconds)]
    cmd += ["-c", "copy", "-f", "flv", server.rtmp_url(stream, app) + query]
    return clients.run(cmd, what="publish")


def test_player_page_plays_flv_from_its_own_origin_only(browser, server, clients):
    publish(clients, server, "cam")
    wait_live(server, "cam")
    browser.get(page_url(server, "/play/live/cam"))
    state = wait_playing(browser, 30)
    assert (state["w"], state["h"]) == (WIDTH, HEIGHT)
    assert state["status"]["proto"] == "flv" and state["status"]["state"] == "playing"
    wait_for("the latency behind live to show", lambda: video_state(browser)["latency"].endswith(" s"), 10)
    wait_for("the size to show", lambda: browser.find_element(By.ID, "resolution").text == f"{WIDTH}×{HEIGHT}", 5)
    urls = request_urls(browser)
    origin = f"http://{HOST}:{server.http_port}/"
    assert urls and all(u.startswith(origin) for u in urls), urls
    assert any(u.endswith("/live/cam.flv") for u in urls), urls
    assert not any("hls" in u for u in urls), "the FLV page needs no hls.js"
    snippet = browser.find_element(By.ID, "snippet").get_attribute("value")
    assert snippet.startswith('<iframe src="' + page_url(server, "/play/live/cam") + '"'), snippet


def test_player_page_plays_hls(browser, server, clients):
    publish(clients, server, "cam")
    wait_live(server, "cam")
    browser.get(page_url(server, "/play/live/cam?proto=hls"))
    state = wait_playing(browser, 45)
    assert (state["w"], state["h"]) == (WIDTH, HEIGHT)
    assert state["status"]["proto"] == "hls"
    urls = request_urls(browser)
    assert any(".m3u8" in u for u in urls) and any(u.endswith(".ts") for u in urls), urls
    assert all(u.startswith(f"http://{HOST}:{server.http_port}/") for u in urls), urls


def test_player_page_waits_for_the_stream_and_starts_by_itself(browser, server, clients):
    browser.get(page_url(server, "/play/live/later"))
    wait_for("'offline — retrying'", lambda: video_state(browser)["state"] == "offline — retrying", 10)
    time.sleep(3)  # a few retries while offline
    assert video_state(browser)["t"] == 0
    publish(clients, server, "later")
    state = wait_playing(browser, 30)
    assert (state["w"], state["h"]) == (WIDTH, HEIGHT)


def test_play_auth_passes_through_and_such_apps_are_not_listed(browser, servers, clients):
    server = servers.start({"apps": {"live": {}, "paid": {"play_auth": {"key": "pk"}},
                                     "hidden": {"player_page": False}}})
    publish(clients, server, "open")
    publish(clients, server, "cam", app="paid")
    publish(clients, server, "cam", app="hidden")
    for app, stream in (("live", "open"), ("hidden", "cam")):
        wait_live(server, stream, app)

    query = apiclient.valid("pk", "cam")
    browser.get(page_url(server, "/play/paid/cam" + query))
    state = wait_playing(browser, 30)
    assert (state["w"], state["h"]) == (WIDTH, HEIGHT)
    assert any(u.endswith("/paid/cam.flv" + query) for u in request_urls(browser))

    browser.get(page_url(server, "/play/paid/cam"))  # no signature: refused, and says so
    wait_for("the refusal to show", lambda: video_state(browser)["status"]["state"] == "forbidden", 10)

    status, _, _ = http_get(server.http_port, "/play/hidden/cam")
    assert status == 404

    browser.get(page_url(server, "/"))
    links = wait_for("the list to show the public stream", lambda: [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#streams a")], 10)
    assert links == [page_url(server, "/play/live/open")], links
    status, _, body = fetch(server.http_port, "/streams.json")
    streams = json.loads(body)["streams"]
    assert [(s["app"], s["stream"]) for s in streams] == [("live", "open")], streams
    assert streams[0]["video"] == {"codec": "h264", "width": WIDTH, "height": HEIGHT}


def test_the_list_refreshes_by_itself(browser, server, clients):
    browser.get(page_url(server, "/"))
    wait_for("the empty list", lambda: browser.find_element(By.ID, "empty").is_displayed(), 10)
    publish(clients, server, "new")
    wait_for("the new stream to appear", lambda: [
        a.text for a in browser.find_elements(By.CSS_SELECTOR, "#streams a")] == ["live/new"], 20)


def console_url(server):
    return f"http://{HOST}:{server.api_port}/console/"


def sign_in(browser, token):
    field = wait_for("the token field", lambda: browser.find_element(By.ID, "token").is_displayed()
                     and browser.find_element(By.ID, "token"), 10)
    field.clear()
    field.send_keys(token)
    browser.find_element(By.ID, "login-button").click()


def stream_row(browser, key):
    """(text, data-status) of the console's row for KEY, or None. The tables are redrawn every few
    seconds, so rows are read and clicked in one script, never held."""
    return browser.execute_script(
        "const r = document.querySelector(`#streams tr[data-stream='${arguments[0]}']`);"
        "return r && [r.textContent, r.dataset.status];", key)


def click(browser, what, rows, contains, text, timeout=15):
    """Clicks the TEXT button in the first row of ROWS (a CSS selector) whose text has CONTAINS."""
    wait_for(what, lambda: browser.execute_script(
        "const row = [...document.querySelectorAll(arguments[0])].find(r => r.textContent.includes(arguments[1]));"
        "const b = row && [...row.querySelectorAll('button')].find(b => b.textContent === arguments[2]);"
        "if (b) b.click(); return !!b;", rows, contains, text), timeout)


def test_console_refuses_a_wrong_token_and_asks_again(browser, server):
    browser.get(console_url(server))
    browser.execute_script("sessionStorage.clear()")
    browser.get(console_url(server))
    sign_in(browser, "wrong")
    message = browser.find_element(By.ID, "login-message")
    wait_for("the refusal", lambda: "refused" in message.text, 10)
    assert browser.find_element(By.ID, "token").is_displayed()
    assert not browser.find_element(By.ID, "app").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('liveorigin.token')") is None


def test_console_streams_channels_and_recordings(browser, servers, clients):
    server = servers.start({"apps": {"live": {"record": {"enabled": True, "format": "mp4"}},
                                     "studio": {"mode": "channel", "push_auth": {"key": "studiokey"}}}})
    rec = publish(clients, server, "short", seconds=4)
    publish(clients, server, "cam")
    wait_live(server, "cam")
    rec.wait(30)
    recording = wait_for("the recording to land",
                         lambda: apiclient.data(server, "GET", "/api/v1/recordings?stream=short"), 20)[0]

    browser.get(console_url(server))
    browser.execute_script("sessionStorage.clear()")
    browser.get(console_url(server))
    sign_in(browser, apiclient.TOKEN)
    wait_for("the live stream", lambda: stream_row(browser, "live/cam"), 15)
    assert not browser.find_element(By.ID, "login").is_displayed()
    row_text = stream_row(browser, "live/cam")[0]
    assert "h264 640×360" in row_text and "aac" in row_text, row_text
    wait_for("the bitrate chart", lambda: browser.find_elements(By.CSS_SELECTOR, "#chart .uplot canvas"), 15)

    click(browser, "the Disable button", "#streams tr", "live/cam", "Disable")
    wait_for("the stream disabled", lambda: apiclient.data(server, "GET", "/api/v1/streams/live/cam")["status"]
             == "disabled", 10)
    wait_for("the row to say disabled", lambda: stream_row(browser, "live/cam")[1] == "disabled", 10)
    # Its publisher is cut: a fresh page (nothing remembered) still lists it, from the server.
    wait_offline(server, "cam")
    browser.refresh()
    wait_for("the offline disabled row after a reload",
             lambda: (row := stream_row(browser, "live/cam")) and row[1] == "disabled" and "offline" in row[0], 15)
    click(browser, "the Enable button", "#streams tr", "live/cam", "Enable")
    wait_for("the stream enabled", lambda: apiclient.data(server, "GET", "/api/v1/streams/live/cam")["status"]
             == "enabled", 10)

    # The form offers the configured apps, channel mode first.
    options = wait_for("the apps in the channel form", lambda: browser.execute_script(
        "return [...document.querySelectorAll('#channel-app option')].map(o => o.value)"), 15)
    assert options == ["studio", "live"], options
    Select(browser.find_element(By.ID, "channel-app")).select_by_value("live")
    browser.find_element(By.ID, "channel-id").send_keys("studio1")
    browser.find_element(By.CSS_SELECTOR, "#channel-form button").click()
    created = wait_for("the new channel's URLs", lambda: browser.find_element(By.ID, "channel-created").text, 10)
    assert server.rtmp_url("studio1") in created and f":{server.http_port}/live/studio1.flv" in created, created
    assert [c["id"] for c in apiclient.data(server, "GET", "/api/v1/apps/live/channels")] == ["studio1"]

    click(browser, "the recording's Play button", "#recordings tr", recording["file_name"], "Play")
    wait_for("the recording to play", lambda: browser.execute_script(
        "const v = document.getElementById('recording'); return v.currentTime > 0.5 && v.videoWidth"), 20)
    src = browser.execute_script("return document.getElementById('recording').currentSrc")
    assert src == f"http://{HOST}:{server.http_port}{urllib.parse.urlparse(recording['video_url']).path}", src


def test_pages_are_cached_compressed_and_locked_down(server):
    status, headers, body = fetch(server.http_port, "/play/live/x", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-encoding"] == "gzip" and b"player.js" in gzip.decompress(body)
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-cache"
    status, _, _ = fetch(server.http_port, "/play/live/x", headers={"If-None-Match": headers["etag"],
                                                                    "Accept-Encoding": "gzip"})
    assert status == 304
    status, _, _ = fetch(server.api_port, "/console/console.js")  # no token needed
    assert status == 200
    assert apiclient.call(server, "GET", "/api/v1/stats", token=None)[0] == 401


def test_player_page_plays_enhanced_flv_av1(browser, server):
    """An independent reader of enhanced FLV: mpegts.js (the player page's FLV player) demuxes the
    av01 tags as liveorigin sends them over HTTP-FLV, and Chromium decodes the AV1 frames. Encoded
    by libaom: mpegts.js 1.8.2 fails on SVT-AV1's frames ("ExpGolomb: readBits() bits exceeded max
    32bits" in its frame header parser), which ffmpeg decodes from our HLS and MP4 alike."""
    tags = single_track_tags(video_track(testmedia.media_path("av1-aom.mp4")))
    length = testmedia.ERTMP_DURATION_S * 1000
    # Six loops of the 10 s clip, timestamps running on: time for the page to load and play.
    looped = tags + [(t, ts + n * length, body) for n in range(1, 6) for t, ts, body in tags[1:]]
    pub = ErtmpPublisher(HOST, server.rtmp_port, "av1", looped).start()
    try:
        wait_live(server, "av1")
        browser.get(page_url(server, "/play/live/av1"))
        state = wait_playing(browser, 30)
        assert (state["w"], state["h"]) == (320, 240), state
        frames = browser.execute_script(
            "return document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames")
        assert frames > 0, state
        assert state["status"]["proto"] == "flv", state
    finally:
        pub.close()
