"""A film made through the online providers — FAL (character sheets, referenced stills, one image-to-video shot)
and ElevenLabs (voices with their alignment, one sound effect) — as local fakes over real HTTP, checked shot by
shot, line by line and cue by cue; then what an edit, a refused key and a dead clip model do to the next render."""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from moviegen.core import locations, shotlist
from moviegen.core.settings import FalSettings, RouterSettings, Settings
from tests.fakes.elevenlabs_server import KEY as ELEVEN_KEY
from tests.fakes.elevenlabs_server import FakeElevenLabs, char_seconds
from tests.fakes.elevenlabs_server import Status as ElevenStatus
from tests.fakes.fal_server import KEY as FAL_KEY
from tests.fakes.fal_server import FakeFal, Job

pytestmark = pytest.mark.slow

SCREENPLAY = """Title: The Keeper

INT. LIGHTHOUSE - NIGHT

MARA climbs the iron stairs, lamp in hand.

The door SLAMS below her.

MARA
Who's there?

TOM (O.S.)
Only the wind, Mara.

EXT. GALLERY - NIGHT

Mara steps out and lights the great lamp.

MARA
Not tonight.
"""
BIBLE = """# Story bible — The Keeper

## Characters

### MARA
- role: the last lighthouse keeper
- look: a woman in her sixties, grey braid, yellow oilskin
- voice: low, weathered, Scottish

### TOM
- role: her old friend from the village
- look: a broad man in his forties, fisherman's sweater
- voice: warm, young, American
"""
FPS = 24
SEEDREAM = "fal-ai/bytedance/seedream/v4/edit"


def settings_for(root: Path, fal: FakeFal, eleven: FakeElevenLabs) -> Settings:
    return Settings(projects_dir=root / "projects", home=root / "home", fal_key=FAL_KEY, fal_queue_url=fal.base_url,
                    elevenlabs_api_key=ELEVEN_KEY, elevenlabs_base_url=eleven.base_url,
                    fal=FalSettings(poll_interval=0.02, max_poll_interval=0.05),
                    router=RouterSettings(backoff=0.01, timeout=10.0))  # fmt: skip


def render(brain, slug: str) -> dict:
    job = brain.render_start(slug, resolution="320x180")
    final = list(brain.follow(job["id"], timeout=300))[-1]
    assert final["status"] == "done", final
    return final["result"]


def new_project(brain, slug: str) -> Path:
    brain.project_import(SCREENPLAY, slug=slug)
    project = brain.project(slug)
    (locations.story_dir(project.path) / "bible.md").write_text(BIBLE, encoding="utf-8")
    brain.shots_plan(slug)
    video_shot = next(s for s in shotlist.load(locations.shots_file(project.path)) if s.scene == "2")
    shotlist.set_fields(locations.shots_file(project.path), video_shot.id, motion="video")
    return project.path


@pytest.fixture(scope="module")
def fakes():
    with FakeFal() as fal, FakeElevenLabs() as eleven:
        yield fal, eleven


@pytest.fixture(scope="module")
def film(tmp_path_factory, fakes):
    from moviegen.brain.local import LocalBrain

    fal, eleven = fakes
    root = tmp_path_factory.mktemp("online")
    brain = LocalBrain(settings_for(root, fal, eleven), workers=1)
    path = new_project(brain, "keeper")
    report = render(brain, "keeper")
    yield brain, path, report
    brain.close()


def frames_of(mp4: Path) -> list[np.ndarray]:
    with av.open(str(mp4)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_each_character_gets_a_sheet_and_every_still_is_given_the_sheets_of_its_characters(film, fakes):
    brain, path, report = film
    fal, _ = fakes
    sheets = (path / "sheets.toml").read_text()
    assert "[MARA]" in sheets and 'provider = "fal"' in sheets
    sheet_of = {name: path / m for name, m in re.findall(r'\[(\w+)\]\napproved = 0\n\[\[\w+\.takes\]\]\nasset = "(.+?)"',
                                                         sheets)}  # fmt: skip
    assert "MARA" in sheet_of and all(p.exists() for p in sheet_of.values())
    submits = {r.body["prompt"]: r for r in fal.seen("submit") if r.path.endswith(SEEDREAM)}
    for shot in report["shots"]:
        picture = shot["picture"]
        assert picture["provider"] == "fal" and not picture.get("fallback")
        assert picture["model"] == SEEDREAM and picture["references"]  # every shot shows Mara or Tom
        sent = next(r for prompt, r in submits.items() if prompt.startswith(shotlist_prompt(path, shot["id"])))
        # the sheets travelled as PNGs, byte for byte, in the order of the still's characters
        assert sent.files == [sheet_of[name].read_bytes() for name in picture["references"]]
    assert report["providers"]["image"] == "fal"


def shotlist_prompt(path: Path, shot_id: str) -> str:
    return next(s.prompt for s in shotlist.load(locations.shots_file(path)) if s.id == shot_id)[:40]


def test_the_video_shot_is_the_clip_fitted_to_the_shot_and_the_others_are_stills(film):
    _, path, report = film
    clip_shots = [s for s in report["shots"] if "clip" in s]
    assert len(clip_shots) == 1
    shot = clip_shots[0]
    assert shot["clip"]["provider"] == "fal" and "kling" in shot["clip"]["model"]
    frames = frames_of(path / shot["segment"])
    assert len(frames) == shot["frames"]  # fitted to the planned length, frame exact
    # the fake's clip (8 fps) scrolls its still sideways: a new picture every third frame at 24 fps, where a held
    # still would not change at all
    moving = sum(np.abs(a.astype(int) - b.astype(int)).mean() > 0.5 for a, b in zip(frames, frames[1:], strict=False))
    assert moving >= len(frames) // 3 - 2
    # and it starts on the still FAL was given: the clip's first frame looks like the shot's picture
    still = np.asarray(Image.open(path / shot["frame"]).convert("RGB").resize((320, 180)), np.float32)
    assert np.abs(frames[0].astype(np.float32) - still).mean() < 40


def test_voices_come_from_elevenlabs_with_the_voice_written_into_the_bible(film, fakes):
    _, path, report = film
    _, eleven = fakes
    bible = (path / "story" / "bible.md").read_text()
    chosen = dict(re.findall(r"### (\w+)\n(?:- .*\n)*?- elevenlabs voice: .*\((\w+)\)", bible))
    assert set(chosen) == {"MARA", "TOM"} and chosen["MARA"] != chosen["TOM"]
    spoken = [(r.path.split("/")[3], r.body["text"]) for r in eleven.calls("/with-timestamps")]
    for shot in report["shots"]:
        for line in shot["lines"]:
            assert line["made_by"]["provider"] == "elevenlabs"
            assert (chosen[line["character"]], line["text"]) in spoken


def test_subtitles_are_timed_from_the_alignment_elevenlabs_returned(film, fakes):
    _, path, report = film
    _, eleven = fakes
    speed = {r.body["text"]: (r.body.get("voice_settings") or {}).get("speed", 1.0) for r in
             eleven.calls("/with-timestamps")}  # fmt: skip
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+)",
                      Path(report["subtitles"][0]).read_text())  # fmt: skip
    lines = [ln for s in report["shots"] for ln in s["lines"]]
    assert len(cues) == len(lines) == 3
    worst = 0.0
    for cue, line in zip(cues, lines, strict=True):
        start = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        end = int(cue[4]) * 3600 + int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
        text = line["text"]
        # what the fake's alignment said: each character's span, the cue from the first letter to the last
        bounds = np.cumsum([0.0] + [char_seconds(c) / speed[text] for c in text])
        letters = [i for i, c in enumerate(text) if c.isalnum()]
        expected = (line["start"] + bounds[letters[0]], line["start"] + bounds[letters[-1] + 1])
        worst = max(worst, abs(start - expected[0]), abs(end - expected[1]))
        assert cue[8] == text
    assert worst <= 1 / FPS  # within a frame (the stamps are to the millisecond)


def test_the_sound_of_the_slamming_door_is_made_and_mixed_under_the_dialogue(film, fakes):
    _, path, report = film
    _, eleven = fakes
    door = [e for e in report["effects"] if "SLAMS" in e["text"]]
    assert len(door) == 1 and door[0]["provider"] == "elevenlabs" and (path / door[0]["asset"]).exists()
    asked = [r.body["text"] for r in eleven.calls("/sound-generation")]
    assert "The door SLAMS below her." in asked


def test_the_ledger_prices_images_seconds_and_characters(film):
    brain, path, _ = film
    entries = brain.cost_report("keeper", entries=200)["entries"]
    units = {}
    for e in entries:
        if e["status"] == "ok":
            for k, v in (e.get("units") or {}).items():
                units.setdefault((e["provider"], k), 0)
                units[(e["provider"], k)] += v
    sheets = len(re.findall(r"\[\[\w+\.takes\]\]", (path / "sheets.toml").read_text()))
    assert units[("fal", "images")] == sheets + 5  # a sheet per character on screen, and five stills
    assert units[("fal", "seconds")] == 5  # one Kling clip of 5 s
    assert units[("elevenlabs", "characters")] == sum(len(t) for t in ("Who's there?", "Only the wind, Mara.",
                                                                       "Not tonight."))  # fmt: skip


def test_status_names_what_made_each_shot(film):
    brain, _, report = film
    status = brain.project_status("keeper")
    made = {s["id"]: s for s in status["last_render"]["shots"]}
    assert set(made) == {s["id"] for s in report["shots"]}
    assert all(s["picture"].startswith("fal") for s in made.values())
    assert any(s.get("clip", "").startswith("fal") for s in made.values())
    assert any("elevenlabs" in " ".join(s["voices"]) for s in made.values())


def test_a_one_line_edit_re_speaks_only_that_line(film, fakes):
    brain, path, _ = film
    fal, eleven = fakes
    submits, speeches = len(fal.seen("submit")), len(eleven.calls("/with-timestamps"))
    screenplay = locations.screenplay_file(path)
    screenplay.write_text(screenplay.read_text().replace("Not tonight.", "Not tonight, not ever."))
    report = render(brain, "keeper")
    assert len(eleven.calls("/with-timestamps")) == speeches + 1  # one billed call: the edited line
    assert len(fal.seen("submit")) == submits  # no picture, no clip made again
    assert report["computed"]["voice"] == [next(f"{s['id']}:{ln['beat']}" for s in report["shots"]
                                                for ln in s["lines"] if ln["text"] == "Not tonight, not ever.")]  # fmt: skip


def test_a_refused_key_falls_back_per_step_and_the_next_render_asks_again(tmp_path, fakes):
    from moviegen.brain.local import LocalBrain

    fal, eleven = fakes
    settings = settings_for(tmp_path, fal, eleven)
    settings.router.breaker_failures = 1000  # each step meets the refusal itself (no circuit opens)
    brain = LocalBrain(settings, workers=1)
    try:
        new_project(brain, "fallback")
        fal.key, eleven.faults = "revoked:0", [ElevenStatus(401, "quota_exceeded", "out of credits")] * 50
        report = render(brain, "fallback")
        assert Path(report["film"]).exists()  # the film finishes
        assert {s["picture"]["provider"] for s in report["shots"]} == {"storyboard-painter"}
        assert all(s["picture"]["fallback"] for s in report["shots"])
        assert all(ln["made_by"]["provider"] == "espeak-ng" for s in report["shots"] for ln in s["lines"])
        clip = next(s["clip"] for s in report["shots"] if "clip" in s)
        assert "missing" in clip and "fal" in clip["missing"].lower()  # the shot stays a still, and says why
        fal.key, eleven.faults = FAL_KEY, []
        again = render(brain, "fallback")
        assert {s["picture"]["provider"] for s in again["shots"]} == {"fal"}  # fallbacks are not reused
        assert all(ln["made_by"]["provider"] == "elevenlabs" for s in again["shots"] for ln in s["lines"])
    finally:
        fal.key, eleven.faults = FAL_KEY, []
        brain.close()


def test_a_clip_that_never_finishes_is_cancelled_at_fal_and_the_shot_stays_a_still(tmp_path, fakes):
    from moviegen.brain.local import LocalBrain

    fal, eleven = fakes
    settings = settings_for(tmp_path, fal, eleven)
    settings.fal.video_deadline = 0.5
    brain = LocalBrain(settings, workers=1)
    try:
        path = new_project(brain, "stuck")
        shutil.copy(path / "shots.toml", tmp_path / "shots.before")
        cancels = len(fal.seen("cancel"))
        fal.jobs = [Job() for _ in range(6)] + [Job(forever=True)]  # Mara's sheet, five stills, then the clip
        report = render(brain, "stuck")
        clip = next(s["clip"] for s in report["shots"] if "clip" in s)
        assert "did not finish" in clip["missing"]
        assert len(fal.seen("cancel")) == cancels + 1
        assert (path / "shots.toml").read_bytes() == (tmp_path / "shots.before").read_bytes()  # nothing lost
    finally:
        fal.jobs = []
        brain.close()


def test_sheet_pngs_are_real_portrait_images(film):
    _, path, _ = film
    for asset in re.findall(r'asset = "(.+?)"', (path / "sheets.toml").read_text()):
        image = Image.open(io.BytesIO((path / asset).read_bytes()))
        assert image.format == "PNG" and image.height > image.width


def test_cancelling_the_render_cancels_the_requests_waiting_at_fal(tmp_path, fakes):
    from moviegen.brain.local import LocalBrain

    fal, eleven = fakes
    brain = LocalBrain(settings_for(tmp_path, fal, eleven), workers=1)
    try:
        new_project(brain, "cancel")
        cancels, submits = len(fal.seen("cancel")), len(fal.seen("submit"))
        fal.jobs = [Job(forever=True) for _ in range(20)]  # the sheet and every still wait at FAL for ever
        job = brain.render_start("cancel", resolution="320x180")
        deadline = time.monotonic() + 60
        while len(fal.seen("submit")) == submits:  # this render's first request is waiting at FAL
            assert time.monotonic() < deadline, "the render never asked FAL"
            time.sleep(0.05)
        time.sleep(0.3)
        brain.job_cancel(job["id"])
        final = list(brain.follow(job["id"], timeout=60))[-1]
        assert final["status"] == "cancelled"
        assert len(fal.seen("cancel")) > cancels  # what was waiting at FAL was cancelled there, not left to bill
    finally:
        fal.jobs = []
        brain.close()


def test_the_estimate_counts_sheets_clips_and_effects_before_anything_is_sent(tmp_path, fakes):
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Price

    fal, eleven = fakes
    settings = settings_for(tmp_path, fal, eleven)
    settings.prices = {
        "fal": Price(per_image=0.03, per_second=0.05),
        "elevenlabs": Price(per_kchar=0.3, per_second=0.01),
    }
    brain = LocalBrain(settings, workers=1)
    try:
        new_project(brain, "estimate")
        sent = len(fal.requests), len(eleven.requests)
        est = brain.render_estimate("estimate", resolution="320x180")
        rows = {r["stage"]: r for r in est["steps"]}
        assert (rows["render.sheets"]["count"], rows["render.sheets"]["provider"]) == (1, "fal")  # Mara, on screen
        assert rows["render.clips"]["count"] == 1 and rows["render.clips"]["usd"] == pytest.approx(5 * 0.05)
        assert rows["render.effects"]["count"] == 1 and rows["render.effects"]["provider"] == "elevenlabs"
        assert rows["render.frames"]["usd"] == pytest.approx(5 * 0.03)
        assert (len(fal.requests), len(eleven.requests)) == sent  # nothing was sent
        assert not (brain.project("estimate").path / "sheets.toml").exists()  # nothing was written
    finally:
        brain.close()
