from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from moviegen.core.errors import ShotListError
from moviegen.core.fountain import parse
from moviegen.core.models import FilmFormat, Framing
from moviegen.core.scenes import cast_of, scenes_of
from moviegen.services import casting
from moviegen.services.planner import plan_scene, speech_seconds
from moviegen.services.render import camera
from moviegen.services.render.timeline import draft, finalize


@pytest.fixture
def film(sample_text):
    sp = parse(sample_text)
    scenes = scenes_of(sp)
    cast = cast_of(sp, scenes)
    shots = [s for i, sc in enumerate(scenes) for s in plan_scene(sc, cast, last_scene=i == len(scenes) - 1, style="x")]
    return scenes, cast, shots


def test_every_beat_is_in_exactly_one_shot(film):
    scenes, _, shots = film
    for scene in scenes:
        covered = [b for s in shots if s.scene == scene.id for b in s.beats]
        assert sorted(covered) == [b.index for b in scene.beats]


def test_shot_fields(film):
    scenes, _, shots = film
    assert {s.framing for s in shots} == set(Framing)
    assert shots[0].framing is Framing.WIDE and shots[-1].camera.value == "pull-out"
    for s in shots:
        assert s.prompt and s.subject and s.duration >= 2.0
    by_id = {sc.id: sc for sc in scenes}
    for s in shots:
        beats = [b for b in by_id[s.scene].beats if b.index in s.beats]
        if len(beats) == 1 and beats[0].kind == "dialogue":
            assert s.duration >= speech_seconds(beats[0].text, 150)


def test_offscreen_voices_are_not_on_screen(film):
    _, _, shots = film
    radio = next(s for s in shots if s.scene == "1" and 3 in s.beats)
    assert "RADIO" not in radio.characters and radio.subject == "MIRA"


def test_camera_moves_are_sub_pixel_smooth():
    """An off-centre soft blob must glide: its centroid moves one way, in fractional
    steps, with a small jerk. Whole-pixel snapping makes the jerk jump by 1-2 px."""
    yy, xx = np.mgrid[0:864, 0:1536]
    blob = 255 * np.exp(-(((xx - 1000) ** 2 + (yy - 300) ** 2) / (2 * 14.0**2)))
    still = Image.fromarray(blob.astype(np.uint8))
    for move in ("pan-right", "pan-left", "push-in", "pull-out"):
        xs = []
        for i in range(48):
            a = np.asarray(
                still.resize((1280, 720), Image.BILINEAR, box=camera.box(move, i / 47, 1536, 864)), np.float64
            )
            xs.append((a * np.arange(a.shape[1])).sum() / a.sum())
        steps = np.diff(xs)
        assert np.all(steps <= 1e-6) or np.all(steps >= -1e-6), move
        assert np.abs(np.diff(steps, 2)).max() < 0.6, move  # rounding noise ~0.3 px; snapping gives 1-2 px
        moving = steps[np.abs(steps) > 0.3]
        assert np.mean(np.abs(moving - np.round(moving)) < 0.05) < 0.5, move  # steps are not whole pixels
    assert camera.box("hold", 0.0, 1536, 864) == camera.box("hold", 1.0, 1536, 864)


def test_casting_gives_distinct_stable_voices(film):
    _, cast, _ = film
    roles = casting.cast_roles(cast, ["RADIO"])
    assert len({r.voice for r in roles.values()}) == len(roles) == 3
    assert roles["MIRA"].voice.endswith(("f2", "f3")) and roles["TOMAS"].voice.split("+")[1].startswith("m")
    assert roles["TOMAS"].pitch < roles["MIRA"].pitch  # 70s, 'patient'
    assert casting.cast_roles(cast, ["RADIO"]) == roles


def test_timeline_is_frame_exact_and_lengthens_only_when_speech_needs_it(film):
    scenes, cast, shots = film
    roles = casting.cast_roles(cast, ["RADIO"])
    tl = draft(scenes, shots, roles, FilmFormat(), 7, "")
    speech = {ln.voice_key: 1.0 for c in tl.shots for ln in c.lines}
    long_key = tl.shots[1].lines[0].voice_key
    speech[long_key] = 30.0
    tl = finalize(tl, speech, scenes)
    assert tl.total_frames == sum(c.frames for c in tl.shots)
    assert [c.start_frame for c in tl.shots] == list(np.cumsum([0] + [c.frames for c in tl.shots[:-1]]))
    assert len(tl.lengthened) == 1 and tl.shots[1].frames >= 30 * 24
    assert tl.shots[0].frames == round(shots[0].duration * 24)
    unlengthened = sum(s.duration for i, s in enumerate(shots) if i != 1)
    assert abs(sum(c.frames for i, c in enumerate(tl.shots) if i != 1) - unlengthened * 24) <= 1.5


def test_dialogue_in_no_shot_is_an_error(film):
    scenes, cast, shots = film
    with pytest.raises(ShotListError) as err:
        draft(scenes, shots[:3], casting.cast_roles(cast, ["RADIO"]), FilmFormat(), 7, "")
    assert "dialogue line" in err.value.message and "moviegen plan" in err.value.hint


@pytest.mark.parametrize("aspect, size", [("16:9", (1280, 720)), ("9:16", (720, 1280)), ("1:1", (720, 720))])
def test_formats(aspect, size):
    assert FilmFormat(aspect=aspect).size() == size
    assert FilmFormat(resolution="1920x1080", aspect=aspect).size() == tuple(v * 3 // 2 for v in size)


def test_a_speech_longer_than_a_shot_is_refused_in_one_line_not_a_validation_trace():
    from moviegen.core.errors import UsageError

    speech = " ".join(f"Sentence {i} of the long speech says something new about the flood." for i in range(200))
    screenplay = parse(f"INT. PUMP HOUSE - NIGHT\n\nMira waits.\n\nMIRA\n{speech}\n")
    [scene] = scenes_of(screenplay)
    with pytest.raises(UsageError) as caught:
        plan_scene(scene, cast_of(screenplay), last_scene=True, style="ink")
    assert "MIRA's line in scene 1" in caught.value.message and "a shot is at most 120 s" in caught.value.message
    assert "split the speech" in caught.value.hint
    short = parse(
        f"INT. PUMP HOUSE - NIGHT\n\nMira waits.\n\nMIRA\n{speech[:1200]}\n"
    )  # about a minute and a half: planned
    assert plan_scene(scenes_of(short)[0], cast_of(short), last_scene=True, style="ink")
