"""The web view in a real browser: Playwright driving Debian's Chromium against a real brain server, with
people who log in through the login form — a writer, a director and a viewer, each in their own browser
context. One browser for the module; screenshots of every page at 1280×800 and 390×844 go to
tests/artefacts/web/."""

from __future__ import annotations

import json
import shutil
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import tampered as broken_on_purpose
from tests.web.conftest import PASSWORD, SLUG
from tests.web.test_ask_audit import audit_cli

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "web"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's Chromium is not installed: apt-get install chromium (scripts/test does, as root)")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


def person(browser, world, name: str, viewport=DESKTOP):
    """A browser context logged in as ``name`` through the login form, and its page."""
    context = browser.new_context(viewport=viewport, base_url=world.url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(world.url + "/")
    assert SLUG in page.content()
    return page


def live(page) -> None:
    """Wait until the page's live feed is open (its own name shows among the viewers)."""
    page.wait_for_function("document.getElementById('presence').dataset.count >= 1", timeout=5000)


def shot(page, name: str) -> None:
    """A screenshot, once the pictures on screen have loaded."""
    page.wait_for_function(
        """() => Array.from(document.images).every(i =>
        i.getBoundingClientRect().top > innerHeight || (i.complete && i.naturalWidth > 0))""",
        timeout=10000,
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


def test_a_writer_s_edit_shows_on_a_director_s_open_page_within_a_second(browser, world):
    dan = person(browser, world, "dan")
    dan.goto(f"/p/{SLUG}/text/bible")
    live(dan)
    wendy = person(browser, world, "wendy")
    wendy.goto(f"/p/{SLUG}/text/bible")
    live(wendy)
    dan.wait_for_function("document.getElementById('presence').textContent.includes('wendy')", timeout=2000)
    wendy.click("#editor summary")
    box = wendy.locator("textarea[name=text]")
    box.fill(box.input_value().replace("soaked courier jacket, stubborn", "yellow raincoat, stubborn"))
    wendy.click("#edit-form button.primary")
    wendy.wait_for_selector("#save-note.ok")
    saved = time.monotonic()
    dan.wait_for_function("document.getElementById('doc').textContent.includes('yellow raincoat')", timeout=1000)
    assert time.monotonic() - saved < 1.0
    assert "yellow raincoat" in (world.project_path() / "story" / "bible.md").read_text()
    shot(dan, "story-live-1280")
    dan.context.close()
    wendy.context.close()


def test_a_viewer_sees_no_edit_controls_and_a_forged_post_is_refused(browser, world):
    vera = person(browser, world, "vera")
    vera.goto(f"/p/{SLUG}/text/bible")
    assert vera.locator("#editor").count() == 0 and "viewer" in vera.locator(".me").inner_text().lower()
    vera.goto(f"/p/{SLUG}/board")
    assert vera.locator("button.approve, button.new-take").count() == 0
    vera.goto(f"/p/{SLUG}/film")
    assert vera.locator("#render").count() == 0
    token = next(c["value"] for c in vera.context.cookies() if c["name"] == "mg_csrf")
    before = (world.project_path() / "story" / "bible.md").read_bytes()
    form = {"text": "# mine now\n", "base": "", "digest": ""}
    forged = vera.request.post(f"/p/{SLUG}/text/bible", form=form, headers={"X-CSRF-Token": token})
    assert forged.status == 403 and "may not change" in forged.text()
    cross_site = vera.request.post(f"/p/{SLUG}/render", headers={"HX-Request": "true"})
    assert cross_site.status == 403 and 'data-code="csrf"' in cross_site.text()
    assert (world.project_path() / "story" / "bible.md").read_bytes() == before
    vera.context.close()


def test_a_viewer_s_comment_appears_on_a_director_s_page(browser, world):
    dan, vera = person(browser, world, "dan"), person(browser, world, "vera")
    dan.goto(f"/p/{SLUG}")
    live(dan)
    vera.goto(f"/p/{SLUG}")
    vera.fill(".comments input[name=text]", "The flood needs more rain")
    vera.click(".comments button")
    vera.wait_for_selector("text=The flood needs more rain")
    sent = time.monotonic()
    dan.wait_for_selector(".comments >> text=The flood needs more rain", timeout=1000)
    assert time.monotonic() - sent < 1.0
    shot(dan, "overview-comment-1280")
    dan.context.close()
    vera.context.close()


def test_a_director_paints_and_approves_a_take_and_shots_toml_records_it(browser, world):
    dan = person(browser, world, "dan")
    dan.goto(f"/p/{SLUG}/board")
    card = dan.locator("#shot-2-1")
    card.locator("button.new-take").click()
    dan.wait_for_selector("#shot-2-1 .take[data-take='2']", timeout=15000)
    dan.locator("#shot-2-1 .take[data-take='2'] button.approve").click()
    dan.wait_for_selector("#shot-2-1 .take.approved[data-take='2']")
    assert dan.locator("#shot-2-1 .approved-take").inner_text() == "2"
    shots = tomllib.loads((world.project_path() / "shots.toml").read_text())
    assert next(s for s in shots["shot"] if s["id"] == "2.1")["take"] == 2
    shot(dan, "board-1280")
    dan.context.close()
    assert studio_take(world, "2.1") == 2  # the studio in the terminal, on the same brain, shows it too


def studio_take(world, shot_id: str) -> int:
    """The approved take of a shot as the studio (a Textual pilot, on this brain server) shows it in its
    Storyboard tab. In a thread of its own: Playwright's sync API holds this thread's event loop."""
    import asyncio
    import threading

    from moviegen.brain.remote import RemoteBrain
    from moviegen.tui.app import create_app
    from tests.tui.conftest import open_first_project, settle

    seen: list = []

    async def main():
        app = create_app(RemoteBrain(world.brain.ws))
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await pilot.press("f4")
            await settle(app, pilot)
            board = app.screen.pane("storyboard")
            seen.append(next(s["take"] for s in board.shots if s["id"] == shot_id))

    def run():
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            seen.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert seen and not isinstance(seen[0], BaseException), seen
    return seen[0]


def test_a_render_shows_each_stage_s_progress_and_the_film_plays(browser, world):
    dan = person(browser, world, "dan")
    dan.goto(f"/p/{SLUG}/film")
    live(dan)
    dan.evaluate("""() => { window.seen = {}; setInterval(() => {
        document.querySelectorAll('.job.running [data-stage]').forEach(el => {
          const bar = el.querySelector('progress'); const s = (window.seen[el.dataset.stage] ||= []);
          if (s[s.length - 1] !== bar.value) s.push(bar.value); }); }, 20); }""")
    dan.click("#render")
    dan.wait_for_selector(".job.done", timeout=120_000)
    seen = dan.evaluate("window.seen")
    assert {"voices", "pictures", "segments"} <= set(seen), seen  # watched while the render ran
    assert len(seen["segments"]) >= 2, seen  # its bar moved, live
    final = {
        el.get_attribute("data-stage"): el.locator("progress") for el in dan.locator(".job.done [data-stage]").all()
    }
    assert {"voices", "pictures", "segments", "publish"} <= set(final)
    dan.reload()
    dan.wait_for_function("document.getElementById('film').readyState >= 2", timeout=15000)
    duration = dan.evaluate("document.getElementById('film').duration")
    report = json.loads((world.project_path() / "renders" / f"{SLUG}.json").read_text())
    assert abs(duration - report["duration"]) < 0.1, (duration, report["duration"])
    assert dan.locator("#film track[kind=subtitles]").count() == 1
    shot(dan, "film-1280")
    dan.context.close()


def test_the_player_streams_the_films_hls_ladder_once_it_has_one(browser, world):
    """#15's HLS ladder is the player's first source (the browser plays HLS itself, or takes the MP4 after it);
    its playlists and segments are served to whoever may read the project, and nothing else under that path."""
    from moviegen.brain.remote import RemoteBrain

    admin = RemoteBrain(world.brain.ws)
    try:
        job = admin.transcode(SLUG, ["hls"])
        for _ in admin.follow(job["id"], timeout=300):
            pass
        assert admin.job_status(job["id"])["status"] == "done"
    finally:
        admin.close()
    dan = person(browser, world, "dan")
    dan.goto(f"/p/{SLUG}/film")
    sources = dan.locator("#film source").all()
    assert [s.get_attribute("type") for s in sources] == ["application/vnd.apple.mpegurl", "video/mp4"]
    dan.wait_for_function("document.getElementById('film').readyState >= 2", timeout=15000)
    master = dan.request.get(f"/p/{SLUG}/hls/master.m3u8")
    assert master.ok and master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    rung = next(line for line in master.text().splitlines() if line and not line.startswith("#"))
    playlist = dan.request.get(f"/p/{SLUG}/hls/{rung}")
    segment = next(line for line in playlist.text().splitlines() if line and not line.startswith("#"))
    got = dan.request.get(f"/p/{SLUG}/hls/{rung.rsplit('/', 1)[0]}/{segment}")
    assert got.ok and got.headers["content-type"] == "video/mp2t" and len(got.body()) > 1000
    for outside in ("moviegen.toml", "360p/..%2F..%2F..%2Fmoviegen.toml", "master.m3u8.bak"):
        assert not dan.request.get(f"/p/{SLUG}/hls/{outside}").ok, outside
    dan.context.close()


def test_the_assistant_answers_and_a_source_opens_the_screenplay_at_its_scene(browser, world):
    vera = person(browser, world, "vera", PHONE)
    vera.goto(f"/p/{SLUG}/ask")
    vera.fill("#ask-form input[name=question]", "Where does Mira push her cargo bike through the water?")
    vera.click("#ask-form button")
    vera.wait_for_selector("#answers .answer .source a", timeout=15000)
    assert vera.input_value("#ask-form input[name=question]") == ""  # ready for the next question
    first = vera.locator("#answers .source a").first
    href = first.get_attribute("href")
    assert href.startswith(f"/p/{SLUG}/text/screenplay#scene-"), href
    shot(vera, "ask-answer-390")
    first.click()
    vera.wait_for_url(world.url + href)
    assert vera.locator(f"#{href.split('#')[1]}").is_visible()
    vera.context.close()


def test_screenshots_of_every_page_on_a_desktop_and_a_phone(browser, world):
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "390")):
        dan = person(browser, world, "dan", viewport)
        shot(dan, f"projects-{size}")
        for name, path in (("overview", ""), ("screenplay", "/text/screenplay"), ("story", "/text/bible"),
                           ("board", "/board"), ("film", "/film"), ("ask", "/ask")):  # fmt: skip
            dan.goto(f"/p/{SLUG}{path}")
            assert dan.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name  # no sideways scroll
            shot(dan, f"{name}-{size}")
        dan.context.close()
    context = browser.new_context(viewport=PHONE, base_url=world.url)
    page = context.new_page()
    page.goto("/login")
    shot(page, "login-390")
    context.close()
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "390"), ({"width": 360, "height": 740}, "360")):
        context = browser.new_context(viewport=viewport, base_url=world.url)  # the local user: a producer's pages
        page = context.new_page()
        for name, path in (("exports", "/exports"), ("members", "/members")):
            page.goto(f"/p/{SLUG}{path}")
            assert page.locator("h1").inner_text() == name.capitalize()
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
            shot(page, f"{name}-{size}")
        context.close()
    narrow = person(browser, world, "dan", {"width": 360, "height": 740})  # the narrowest phone
    for path in ("", "/text/screenplay", "/text/bible", "/board", "/film", "/ask"):
        narrow.goto(f"/p/{SLUG}{path}")
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 360, path or "overview"
    narrow.context.close()


def test_the_audit_trail_of_these_flows_verifies_and_a_tampered_entry_is_detected(browser, world, tmp_path):
    """Last in the module: the log the browser flows above wrote (logins as three people, edits, comments, a take,
    a render) verifies; a copy with one old entry changed fails at that entry's number."""
    shown = audit_cli(world.brain.env, "--verify", "--json", "--limit", "1000")
    assert shown.returncode == 0, shown.stderr[-2000:]
    view = json.loads(shown.stdout)
    assert view["verify"]["ok"] and view["verify"]["entries"] == view["count"] >= 5
    ops = {(e["who"], e["op"]) for e in view["entries"]}
    assert {("wendy", "story_file_update"), ("vera", "comment_add"), ("dan", "take_approve")} <= ops, ops

    copy = tmp_path / "projects" / SLUG
    shutil.copytree(world.project_path(), copy, ignore=shutil.ignore_patterns("renders", "assets", "*.db*"))
    log = copy / ".moviegen" / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])  # an old entry: its third
    entry["who"] = "someone else"
    lines[2] = json.dumps(entry, separators=(",", ":"))
    broken_on_purpose(log).write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        **world.brain.env,
        "MOVIEGEN_HOME": str(tmp_path / "home"),
        "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects"),
    }
    tampered = audit_cli(env, "--verify", "--json", "--limit", "1")
    assert tampered.returncode == 1, (tampered.stdout[-1000:], tampered.stderr[-1000:])
    broken = json.loads(tampered.stdout)["verify"]["broken"]
    assert broken["seq"] == entry["seq"] and broken["line"] == 3 and "hash mismatch" in broken["problem"]
    assert f"broken at entry {entry['seq']}" in tampered.stderr
