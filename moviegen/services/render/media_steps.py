"""The render's generated media beyond stills and voices: character sheets (references for the stills), the
characters' online voices, image-to-video clips for shots marked ``motion = "video"``, sound effects for action
that names a sound — and the provenance the report gives for each (provider, model, reference, fallback).

Each runs only when its chain's head can make it: sheets when stills come from an online model (the offline
painter draws each character from the bible itself), online voices when speech does, clips when a video
provider is configured, effects when a sound provider is.
"""

from __future__ import annotations

from typing import Any

from moviegen.core.errors import ProviderError
from moviegen.core.models import Character, Scene
from moviegen.services import casting, sheets
from moviegen.services.render.timeline import ShotCut, Timeline, content_key
from moviegen.services.sound_cues import sound_cues

EFFECT_DELAY, EFFECT_SPACING = 0.25, 0.8  # seconds into the shot the first effect starts; between two effects
EFFECT_SECONDS = (0.5, 5.0)  # an effect's length: the shot's, within these bounds
NARRATOR_VOICE = "a calm, warm, unhurried narrator, middle-aged, neutral accent"


def made_by(result: dict[str, Any], head: str) -> dict[str, Any]:
    out = {"provider": result.get("provider") or head, "model": result.get("model", "")}
    if result.get("fallback"):
        out["fallback"] = True
    return out


# ---------------------------------------------------------------------- voices
def cast_online_voices(run, scenes: list[Scene]) -> None:
    """Give every character without an online voice one from the speech provider's library, chosen by their
    description, and write it into bible.md ("- elevenlabs voice: Rachel (21m00Tcm4TlvDq8ikWAM)")."""
    project = run.project
    cast = project.cast()
    if all(casting.online_voices(c) for c in cast):
        return
    described = {c.name: ". ".join(p for p in (c.role, c.look, c.voice) if p) or c.name.title() for c in cast}
    try:
        chosen = run.media.cast_voices(project.slug, described)
    except ProviderError as exc:
        run.event("warning", "voices", message=f"no online voices could be chosen ({exc.message}); eSpeak speaks")
        return
    for c in cast:
        pick = chosen.get(c.name)
        if pick and not casting.online_voices(c):
            project.set_character(c.name, elevenlabs_voice=f"{pick['voice_name']} ({pick['voice_id']})")
            run.event("info", "voices", message=f"{c.name} speaks with {pick['voice_name']}: "
                                                f"{', '.join(pick.get('reasons', [])) or 'closest match'}")  # fmt: skip


def narrator_voices(run) -> dict[str, str]:
    """The narrator's online voice (chosen each render from the library; not a character of the bible)."""
    try:
        pick = run.media.cast_voices(run.project.slug, {casting.NARRATOR: NARRATOR_VOICE}).get(casting.NARRATOR)
    except ProviderError:
        return {}
    return {pick["provider"]: pick["voice_id"]} if pick else {}


# ---------------------------------------------------------------------- sheets
def ensure_sheets(run, tl: Timeline, roles: dict[str, casting.Role], cast: list[Character], version: int) -> dict:
    """name -> the sheet asset a still uses; paints a first take for each shown character that has none."""
    project = run.project
    known = sheets.load(project)
    described = {c.name: c for c in cast}
    shown = list(dict.fromkeys(n for cut in tl.shots for n in cut.shot.characters if n in roles))
    items = []
    for name in shown:
        if sheets.reference(known, name, project.path) is None:
            seed = sheets.next_seed(known, name, project.info.seed)
            req = sheets.request(described.get(name, Character(name=name)), roles[name].color, seed)
            key = content_key("sheet", run.providers["image"], req, version)
            items.append(("sheet", key, f"sheet:{name}", run.job_for("image", {"project": str(project.path),
                                                                                "request": req})))  # fmt: skip
    if items:
        results = run.execute("sheets", items)
        for _, key, label, job in items:
            sheets.add_take(project, label.removeprefix("sheet:"), results[key], job["request"]["seed"])
        known = sheets.load(project)
    return {name: ref for name in shown if (ref := sheets.reference(known, name, project.path)) is not None}


def references(made: dict[str, str], characters: list[dict[str, Any]]) -> list[str]:
    """The sheet assets of a still's characters, in the order the request lists them."""
    return [made[c["name"]] for c in characters if c["name"] in made]


# ---------------------------------------------------------------------- clips
def make_clips(run, tl: Timeline, stills: dict[str, dict], version: int) -> dict[str, dict]:
    """shot id -> its clip, for shots marked motion = "video" (none without a video provider)."""
    wanted = [cut for cut in tl.shots if cut.shot.motion == "video"]
    if not wanted:
        return {}
    if not run.head("video"):
        run.event("warning", "clips", message=f"{len(wanted)} shot(s) want video, but no video provider is "
                                              "configured (FAL_KEY): they stay stills")  # fmt: skip
        return {}
    items = []
    for cut in wanted:
        still = stills[cut.shot.id]
        req = {"prompt": cut.shot.prompt or cut.caption or cut.location, "duration": round(cut.frames / tl.fmt.fps, 3),
               "width": tl.width, "height": tl.height, "seed": run.project.info.seed}  # fmt: skip
        key = content_key("clip", run.providers["video"], req, still["sha"], version)
        job = run.job_for("video", {"project": str(run.project.path), "request": req, "still": still["asset"]})
        items.append(("clip", key, cut.shot.id, job))
    results = run.execute("clips", items)
    return {label: results[key] for _, key, label, _ in items if key in results}


# ---------------------------------------------------------------------- sound effects
def _cues(tl: Timeline) -> list[tuple[ShotCut, int, str]]:
    return [(cut, n, text) for cut in tl.shots for n, text in enumerate(sound_cues(cut.caption))]


def effect_items(run, tl: Timeline, version: int) -> list[tuple[str, str, str, dict]]:
    if not run.head("sound"):
        return []
    items = []
    for cut, n, text in _cues(tl):
        seconds = min(max(cut.frames / tl.fmt.fps - EFFECT_DELAY - n * EFFECT_SPACING, EFFECT_SECONDS[0]),
                      EFFECT_SECONDS[1])  # fmt: skip
        req = {"text": text, "duration": round(seconds, 2), "seed": run.project.info.seed}
        key = content_key("sound", run.providers["sound"], req, version)
        items.append(("sound", key, f"{cut.shot.id}:sfx{n}", run.job_for("sound", {"project": str(run.project.path),
                                                                                    "request": req})))  # fmt: skip
    return items


def placed_effects(tl: Timeline, effects: dict[str, dict]) -> list[list]:
    """[asset, start seconds, sha] of each effect that was made, where it plays in the film."""
    out = []
    for cut, n, _ in _cues(tl):
        made = effects.get(f"{cut.shot.id}:sfx{n}")
        if made is not None:
            start = cut.start_frame / tl.fmt.fps + EFFECT_DELAY + n * EFFECT_SPACING
            out.append([made["asset"], round(start, 4), made["sha"]])
    return out


def effects_report(tl: Timeline, effects: dict[str, dict], run) -> list[dict[str, Any]]:
    out = []
    for cut, n, text in _cues(tl):
        label = f"{cut.shot.id}:sfx{n}"
        row: dict[str, Any] = {"shot": cut.shot.id, "text": text}
        if label in effects:
            row.update(asset=effects[label]["asset"], **made_by(effects[label], run.head("sound")))
        else:
            row["missing"] = run.failed.get(label, "no sound provider is configured")
        out.append(row)
    return out


# ---------------------------------------------------------------------- provenance
def shot_provenance(run, state: dict[str, Any], cut: ShotCut) -> dict[str, Any]:
    """What made the shot's picture (provider, model, the sheets it was given, fallback) and its clip."""
    frame = state["frames"][cut.shot.id]
    picture = made_by(frame, run.head("image"))
    if frame.get("references"):
        picture["references"] = frame["references"]
    out: dict[str, Any] = {"picture": picture}
    clip = (state.get("clips") or {}).get(cut.shot.id)
    if clip is not None:
        out["clip"] = {**made_by(clip, run.head("video")), "asset": clip["asset"], "duration": clip.get("duration")}
    elif cut.shot.motion == "video":
        out["clip"] = {"missing": run.failed.get(cut.shot.id, "no video provider is configured")}
    return out
