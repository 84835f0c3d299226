"""The render pipeline as a LangGraph graph with a SQLite checkpointer.

    [develop -> plan ->] prepare -> voices -> layout -> pictures -> assemble (shot segments + mix) -> publish

The bracketed nodes run when the film starts from a premise (``moviegen make``).

Every step's output is content-addressed by the hash of its inputs and recorded
in the project index as soon as it finishes, so an interrupted run (Ctrl-C,
kill -9) resumes where it stopped, and a re-run after an edit redoes only what
the edit touched. Heavy work fans out through a StepRunner (a process pool).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from moviegen.core import atomic, locations, shotlist
from moviegen.core.brain import Brain
from moviegen.core.errors import RenderError, UsageError
from moviegen.core.events import Event, EventSink, ignore
from moviegen.core.index import ProjectIndex
from moviegen.core.lock import exclusive
from moviegen.core.models import FilmFormat, Stage
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of, speakers
from moviegen.services import casting, uploads
from moviegen.services.render import media_steps, subtitles
from moviegen.services.render.execution import RenderRun as _Run
from moviegen.services.render.frames import action_text, frame_key, frame_request
from moviegen.services.render.steps import StepRunner
from moviegen.services.render.timeline import Timeline, content_key, draft, finalize

RENDER_VERSION = 5  # bump when the renderer's output changes, to invalidate cached steps
STAGES = ("voices", "pictures", "segments", "publish")


class RenderState(TypedDict, total=False):
    inputs: str
    timeline: dict
    voices: dict
    frames: dict
    music: dict
    clips: dict
    effects: dict
    segments: dict
    mix: dict
    report: dict


@dataclass
class RenderOptions:
    fmt: FilmFormat
    burn_subtitles: bool = False
    preset: str = "superfast"
    crf: int = 21

    @classmethod
    def for_project(
        cls, project: Project, settings, *, resolution: str | None = None, fps: int | None = None,
        aspect: str | None = None, burn_subtitles: bool = False, preset: str | None = None,
    ) -> RenderOptions:  # fmt: skip
        """The project's own format with what the caller overrides, encoded as the settings say."""
        from pydantic import ValidationError

        base = project.info.format
        try:
            fmt = FilmFormat(resolution=resolution or base.resolution, fps=base.fps if fps is None else fps,
                             aspect=aspect or base.aspect)  # fmt: skip
        except ValidationError as exc:
            err = exc.errors()[0]
            raise UsageError(f"bad {err['loc'][0]}: {err['msg'].removeprefix('Value error, ')}",
                             "resolution WIDTHxHEIGHT or 720p/1080p, fps 1..120, aspect 16:9, 9:16 or 1:1") from None  # fmt: skip
        return cls(
            fmt=fmt, burn_subtitles=burn_subtitles, preset=preset or settings.render.x264_preset,
            crf=settings.render.crf,
        )  # fmt: skip

    def stem(self, project: Project) -> str:
        if self.fmt == project.info.format:
            return project.slug
        w, h = self.fmt.size()
        return f"{project.slug}-{self.fmt.aspect.replace(':', 'x')}-{min(w, h)}p{self.fmt.fps}"


def _inputs_key(project: Project, options: RenderOptions) -> str:
    if not project.has_screenplay():  # a film from a premise: the story is still to be written
        return content_key(project.info.premise, project.info.seed, options.fmt.model_dump(), RENDER_VERSION)
    parts = [
        project.screenplay_text(),
        locations.shots_file(project.path).read_text(encoding="utf-8"),
        json.dumps([c.model_dump() for c in project.cast()]),
        options.fmt.model_dump(),
        options.burn_subtitles,
        options.preset,
        options.crf,
        project.info.seed,
        RENDER_VERSION,
    ]
    return content_key(*parts)


def build_graph(run: _Run):
    from langgraph.graph import END, START, StateGraph

    project, opts = run.project, run.options
    seed = project.info.seed
    root = str(project.path)

    def voice_step(line) -> str:
        """The index key of a line's voice: what is said, by which voice, through which provider."""
        return content_key(line.voice_key, run.providers["speech"], RENDER_VERSION)

    def prepare(state: RenderState) -> RenderState:
        screenplay = project.screenplay()
        scenes = scenes_of(screenplay)
        shots = shotlist.load(locations.shots_file(project.path))
        if run.online("speech"):
            media_steps.cast_online_voices(run, scenes)  # writes new choices into bible.md
        cast = project.cast()
        roles = casting.cast_roles(cast, speakers(scenes))
        narrator = casting.narrator(roles) if project.info.narration else None
        if narrator is not None and run.online("speech"):
            narrator.voices = media_steps.narrator_voices(run)
        tl = draft(scenes, shots, roles, opts.fmt, seed, project.info.premise, narrator)
        if narrator is not None:
            roles[narrator.name] = narrator
        return {
            "timeline": {"draft": tl.model_dump(mode="json"), "roles": {k: r.model_dump() for k, r in roles.items()}}
        }

    def voices(state: RenderState) -> RenderState:
        tl = Timeline.model_validate(state["timeline"]["draft"])
        roles = {k: casting.Role(**v) for k, v in state["timeline"]["roles"].items()}
        items = []
        for cut in tl.shots:
            for line in cut.lines:
                role = roles[line.character]
                req = {"text": line.text, "voice": role.voice, "voices": role.voices, "pitch": role.pitch,
                       "rate": role.rate, "seed": seed}  # fmt: skip
                key = voice_step(line)
                job = run.job_for("speech", {"project": root, "request": req})
                items.append(("voice", key, f"{cut.shot.id}:{line.beat}", job))
        results = run.execute("voices", items)
        return {"voices": {item[1]: results[item[1]] for item in items}}

    def layout(state: RenderState) -> RenderState:
        tl = Timeline.model_validate(state["timeline"]["draft"])
        made = {line.voice_key: state["voices"][voice_step(line)] for cut in tl.shots for line in cut.lines}
        speech = {k: v["duration"] for k, v in made.items()}
        spoken = {k: tuple(v["spoken"]) for k, v in made.items() if v.get("spoken")}
        tl = finalize(tl, speech, scenes_of(project.screenplay()), spoken)
        for note in tl.lengthened:
            run.event("warning", "layout", message=f"shot lengthened to fit its dialogue: {note}")
        return {"timeline": {**state["timeline"], "final": tl.model_dump(mode="json")}}

    def pictures(state: RenderState) -> RenderState:
        tl = Timeline.model_validate(state["timeline"]["final"])
        roles = {k: casting.Role(**v) for k, v in state["timeline"]["roles"].items()}
        cast = project.cast()
        moods = {s.id: s.mood for s in tl.scenes}
        scene_text = {s.id: action_text(s) for s in scenes_of(project.screenplay())}
        frames, music = [], []
        sheets = media_steps.ensure_sheets(run, tl, roles, cast, RENDER_VERSION) if run.online("image") else {}
        for cut in tl.shots:
            req = frame_request(cut, tl, roles, cast, seed, scene_text[cut.scene], moods.get(cut.scene, ""))
            refs = media_steps.references(sheets, req["characters"])
            key = frame_key(run.providers["image"], {**req, "references": refs} if refs else req, RENDER_VERSION)
            job = run.job_for("image", {"project": root, "request": req, "references": refs})
            if refs:  # the report names whose sheets the still was given
                job["note"] = {"references": [c["name"] for c in req["characters"] if c["name"] in sheets]}
            frames.append(("frame", key, cut.shot.id, job))
        uploaded = uploads.soundtrack(project)["music"]  # a scene's own music replaces its score cue
        for span in tl.scenes:
            if span.id in uploaded:
                continue
            req = {
                "duration": span.frames / tl.fmt.fps,
                "mood": span.mood,
                "key": tl.key,
                "tempo": tl.tempo,
                "seed": seed + int(hashlib.sha256(span.id.encode()).hexdigest()[:6], 16) % 1000,
            }
            key = content_key("music", run.providers["music"], req, RENDER_VERSION)
            music.append(("music", key, span.id, run.job_for("music", {"project": root, "request": req})))
        effects = media_steps.effect_items(run, tl, RENDER_VERSION)
        results = run.execute("pictures", music + frames + effects)  # the long score cues first: the pool stays busy
        stills = {i[2]: results[i[1]] for i in frames}
        clips = media_steps.make_clips(run, tl, stills, RENDER_VERSION)
        scored = {i[2]: results[i[1]] for i in music}
        scored |= {s.id: {"asset": uploaded[s.id], "sha": Path(uploaded[s.id]).stem, "provider": "upload"}
                   for s in tl.scenes if s.id in uploaded}  # fmt: skip
        return {"frames": stills, "music": scored, "clips": clips,
                "effects": {i[2]: results[i[1]] for i in effects if i[1] in results}}  # fmt: skip

    def assemble(state: RenderState) -> RenderState:
        """Encode every shot's segment and mix the sound, side by side in the pool."""
        tl = Timeline.model_validate(state["timeline"]["final"])
        fps = tl.fmt.fps
        items = []
        for cut in tl.shots:
            caps = []
            if opts.burn_subtitles:
                caps = [
                    (
                        int(ln.start * fps) - cut.start_frame,
                        int((ln.start + ln.duration) * fps) - cut.start_frame,
                        ln.text,
                    )
                    for ln in cut.lines
                    if not ln.narration
                ]
            frame = state["frames"][cut.shot.id]
            clip = (state.get("clips") or {}).get(cut.shot.id)
            params = {
                "width": tl.width,
                "height": tl.height,
                "fps": fps,
                "frames": cut.frames,
                "camera_move": cut.shot.camera.value,
                "preset": opts.preset,
                "crf": opts.crf,
                "captions": caps,
                "action": "" if cut.lines else cut.caption,
            }
            job = {"project": root, "frame": frame["asset"], "params": params}
            if clip is not None:  # the clip's own motion: no camera move over it
                job["clip"] = clip["asset"]
                key = content_key("segment", "clip", clip["sha"], params, RENDER_VERSION)
            else:
                key = content_key("segment", frame["sha"], params, RENDER_VERSION)
            items.append(("segment", key, cut.shot.id, job))
        voice_assets = {line.voice_key: state["voices"][voice_step(line)] for cut in tl.shots for line in cut.lines}
        mix_key = content_key(
            "mix",
            [(k, v["sha"]) for k, v in sorted(voice_assets.items())],
            [(c.shot.id, ln.start) for c in tl.shots for ln in c.lines],
            {k: v["sha"] for k, v in state["music"].items()},
            [s.model_dump() for s in tl.scenes],
            tl.total_frames,
            tl.fmt.fps,
            RENDER_VERSION,
            *(
                [effects]
                if (
                    effects := media_steps.placed_effects(tl, state.get("effects") or {})
                    + uploads.scene_sounds(project, tl)
                )
                else []
            ),
        )
        mix_job = {
            "project": root,
            "timeline": state["timeline"]["final"],
            "voices": {k: v["asset"] for k, v in voice_assets.items()},
            "music": {k: v["asset"] for k, v in state["music"].items()},
            "effects": effects,
        }
        items.sort(key=lambda item: -item[3]["params"]["frames"])  # longest first: no idle core at the end
        results = run.execute("segments", [("mix", mix_key, "film", mix_job), *items])
        mixed = {**results[mix_key], "source": {k: v for k, v in mix_job.items() if k != "project"}}
        return {"segments": {i[2]: results[i[1]] for i in items}, "mix": mixed}

    def publish(state: RenderState) -> RenderState:
        from moviegen.services.render.encode import mux_film

        started = time.perf_counter()
        run.event("stage.start", "publish", 0, 1)
        tl = Timeline.model_validate(state["timeline"]["final"])
        stem = opts.stem(project)
        out = locations.renders_dir(project.path) / f"{stem}.mp4"
        key = content_key(
            "film", [state["segments"][c.shot.id]["sha"] for c in tl.shots], state["mix"]["sha"], str(out)
        )
        previous = run.index.lookup(key)
        # the same file name serves several renders (say, with and without burned subtitles): reuse it only
        # if what is on disk is the film this key made
        if previous is None or previous.get("sha") != atomic.file_digest(out):
            mux_film(
                [(project.path / state["segments"][c.shot.id]["asset"], c.frames) for c in tl.shots],
                project.path / state["mix"]["track"],
                tl.fmt.fps,
                out,
            )
            run.index.record(key, "film", str(out.relative_to(project.path)), {"sha": atomic.file_digest(out)})
            run.computed.setdefault("film", []).append(stem)
        else:
            run.cached["film"] = run.cached.get("film", 0) + 1
        atomic.write_text(out.with_suffix(".srt"), subtitles.srt(tl))
        atomic.write_text(out.with_suffix(".vtt"), subtitles.vtt(tl))
        run.timings["publish"] = round(time.perf_counter() - started, 3)
        report = {
            "film": str(out.resolve()),
            "subtitles": [str(out.with_suffix(s).resolve()) for s in (".srt", ".vtt")],
            "duration": round(tl.duration, 4),
            "frames": tl.total_frames,
            "fps": tl.fmt.fps,
            "width": tl.width,
            "height": tl.height,
            "aspect": tl.fmt.aspect,
            "key": tl.key,
            "tempo": tl.tempo,
            "loudness_lufs": state["mix"].get("lufs"),
            "peak": state["mix"].get("peak"),
            "dialogue_lines": sum(not ln.narration for c in tl.shots for ln in c.lines),
            "narration_lines": sum(ln.narration for c in tl.shots for ln in c.lines),
            "shots": [
                {
                    "id": c.shot.id,
                    "scene": c.scene,
                    "start_frame": c.start_frame,
                    "frames": c.frames,
                    "framing": c.shot.framing.value,
                    "camera": c.shot.camera.value,
                    "frame": state["frames"][c.shot.id]["asset"],
                    "segment": state["segments"][c.shot.id]["asset"],
                    "caption": "" if c.lines else c.caption,
                    **media_steps.shot_provenance(run, state, c),
                    "lines": [
                        {
                            **ln.model_dump(include={"character", "text", "start", "duration", "beat", "spoken"}),
                            "voice": state["voices"][voice_step(ln)]["asset"],
                            "made_by": media_steps.made_by(state["voices"][voice_step(ln)], run.head("speech")),
                        }
                        for ln in c.lines
                    ],
                }
                for c in tl.shots
            ],
            "effects": media_steps.effects_report(tl, state.get("effects") or {}, run),
            "mix": state["mix"]["asset"],
            "music": {scene: cue["asset"] for scene, cue in state["music"].items()},
            # what the mix was made of and its loudness gain: the audio stems export re-makes its buses from it
            "sound": {**state["mix"]["source"], "gain": state["mix"].get("gain")},
            "lengthened": tl.lengthened,
            "providers": run.providers,
            "failed": run.failed,
            "computed": run.computed,
            "cached": run.cached,
            "timings": run.timings,
        }
        atomic.write_text(out.with_suffix(".json"), json.dumps(report, indent=2))
        run.event("stage.done", "publish", 1, 1)
        return {"report": report}

    def develop(state: RenderState) -> RenderState:
        from moviegen.services.story import develop as develop_story

        if not project.has_screenplay():
            run.event("stage.start", "story", 0, 1)
            story = develop_story(project, run.story_brain)
            run.event("info", "story", message=f"{story.title} — {story.logline}")
        run.event("stage.done", "story", 1, 1)
        return {}

    def plan(state: RenderState) -> RenderState:
        from moviegen.services.planner import plan as plan_shots

        summary = plan_shots(project)
        message = f"{summary['shots']} shots over {summary['scenes']} scenes, {summary['duration']} s planned"
        run.event("info", "plan", message=message)
        return {}

    graph = StateGraph(RenderState)
    story_nodes = [("develop", develop), ("plan", plan)] if run.story_brain is not None else []
    for name, fn in [
        *story_nodes,
        ("prepare", prepare),
        ("voices", voices),
        ("layout", layout),
        ("pictures", pictures),
        ("assemble", assemble),
        ("publish", publish),
    ]:
        graph.add_node(name, fn)
    graph.add_edge(START, "develop" if story_nodes else "prepare")
    if story_nodes:
        graph.add_edge("develop", "plan")
        graph.add_edge("plan", "prepare")
    for a, b in [
        ("prepare", "voices"),
        ("voices", "layout"),
        ("layout", "pictures"),
        ("pictures", "assemble"),
        ("assemble", "publish"),
    ]:
        graph.add_edge(a, b)
    graph.add_edge("publish", END)
    return graph


def render(
    project: Project,
    runner: StepRunner,
    providers: dict[str, str],
    options: RenderOptions | None = None,
    emit: EventSink = ignore,
    *,
    story_brain: Brain | None = None,
    memory: Brain | None = None,
    media: Any = None,
    cancel: Any = None,
    job: str = "",
    lock_wait: float = 0.0,
) -> dict[str, Any]:
    """Render the project's film; returns the render report.

    Another render of the project refuses this one at once, or after ``lock_wait`` seconds of waiting for it
    to end (a resumed job: the run it resumes may still be finishing its last step).

    With ``media`` (the LocalBrain) the steps whose provider is online (FAL, ElevenLabs) run in this process
    through its router, ``cancel`` (a threading.Event) stopping them at the provider; ``job`` names the job in
    the ledger.

    With ``story_brain`` the graph starts earlier: develop (when there is no
    screenplay yet) and plan run as its first nodes, so ``make`` is one graph.
    With ``memory`` the run, finished or failed, is recorded as workflow data.
    """

    options = options or RenderOptions(fmt=project.info.format)
    if story_brain is None and not locations.shots_file(project.path).exists():
        raise RenderError(f"{project.slug} has no shot list yet", f"run 'moviegen plan {project.slug}' first")
    from moviegen.services.workflows import remember, run_record

    started = time.time()
    flow = "make" if story_brain is not None else "render"
    choices = {"format": options.fmt.model_dump(), "burn_subtitles": options.burn_subtitles, "preset": options.preset}
    try:
        with exclusive(locations.render_lock(project.path), f"a render of {project.slug}", wait=lock_wait):
            _sweep_partial_assets(project)
            report = _render_locked(project, runner, providers, options, emit, story_brain, media, cancel, job)
    except Exception as exc:
        if memory is not None:
            remember(memory, project, *run_record(project, flow, choices, started, error=exc), emit)
        raise
    if memory is not None:
        remember(memory, project, *run_record(project, flow, choices, started, report=report), emit)
    return report


def _sweep_partial_assets(project: Project) -> None:
    """Remove half-written files a killed worker left behind (safe: we hold the render lock)."""
    for part in locations.assets_dir(project.path).glob(".*.tmp"):  # core.atomic's temp files
        part.unlink(missing_ok=True)


def _render_locked(
    project: Project,
    runner: StepRunner,
    providers: dict[str, str],
    options: RenderOptions,
    emit: EventSink,
    story_brain: Brain | None,
    media: Any = None,
    cancel: Any = None,
    job: str = "",
) -> dict[str, Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    index = ProjectIndex(project.path)
    run = _Run(
        project=project,
        options=options,
        runner=runner,
        providers=providers,
        emit=emit,
        index=index,
        story_brain=story_brain,
        media=media,
        cancel=cancel,
        job=job,
    )
    conn = sqlite3.connect(locations.checkpoints_db(project.path), check_same_thread=False)
    try:
        app = build_graph(run).compile(checkpointer=SqliteSaver(conn))
        flow = "make" if story_brain is not None else "render"
        config = {"configurable": {"thread_id": f"{flow}:{options.stem(project)}"}}
        inputs = _inputs_key(project, options)
        snapshot = app.get_state(config)
        if snapshot.next and snapshot.values.get("inputs") == inputs:
            emit(Event(kind="resume", project=project.slug, message=f"resuming at {', '.join(snapshot.next)}"))
            final = app.invoke(None, config)
        else:
            final = app.invoke({"inputs": inputs}, config)
    finally:
        conn.close()
        index.close()
    project.set_stage(Stage.RENDERED)
    return final["report"]
