"""The storyboard frame of one shot: the image request and its step key, shared by the render's pictures
step and by painting a new take of a single shot, so an approved take is exactly what the next render uses."""

from __future__ import annotations

from typing import Any

from moviegen.core.models import Character, Scene
from moviegen.services import casting
from moviegen.services.render.camera import OVERSCAN
from moviegen.services.render.timeline import ShotCut, Timeline, content_key

TAKE_SEED_STEP = 7919  # a prime: take N paints with seed + (N - 1) * step, so takes never share a backdrop


def action_text(scene: Scene) -> str:
    """A scene's action, which chooses its backdrop (never one shot's words: the shots of a scene match)."""
    return " ".join(b.text for b in scene.beats if b.kind == "action")


def take_seed(seed: int, take: int) -> int:
    return seed + (take - 1) * TAKE_SEED_STEP


def frame_request(
    cut: ShotCut,
    tl: Timeline,
    roles: dict[str, casting.Role],
    cast: list[Character],
    seed: int,
    scene_text: str,
    mood: str,
    take: int | None = None,
) -> dict[str, Any]:
    """The ImageRequest fields of a shot's still (painted larger than the frame, for the camera move)."""
    ow, oh = (int(round(v * OVERSCAN / 2)) * 2 for v in (tl.width, tl.height))
    speaker = next((ln.character for ln in cut.lines if ln.character in cut.shot.characters), None)
    return {
        "prompt": cut.shot.prompt,
        "width": ow,
        "height": oh,
        "seed": take_seed(seed, take or cut.shot.take),
        "location": cut.location,
        "setting": cut.setting,
        "time_of_day": cut.time_of_day,
        "framing": cut.shot.framing.value,
        "characters": [c.model_dump() for c in casting.looks(roles, cast, cut.shot.characters)],
        "speaker": speaker,
        "caption": cut.caption,
        "draw_caption": False,
        "scene_text": scene_text,
        "mood": mood,
    }


def frame_key(provider: str, request: dict[str, Any], version: int) -> str:
    return content_key("frame", provider, request, version)
