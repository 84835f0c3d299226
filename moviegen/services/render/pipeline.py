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
from dataclasses import dataclass, field
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
from moviegen.services import casting
from moviegen.services.render import subtitles
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


@dataclass
class _Run:
    project: Project
    options: RenderOptions
    runner: StepRunner
    providers: dict[str, str]
    emit: EventSink
    index: ProjectIndex
    story_brain: Brain | None = None  # set when the film starts from a premise: develop and plan are in the graph
    computed: dict[str, list[str]] = field(default_factory=dict)
    cached: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def event(self, kind: str, stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        self.emit(Event(kind=kind, project=self.project.slug, stage=stage, done=done, total=total, message=message))

    def execute(self, stage: str, items: list[tuple[str, str, str, dict]]) -> dict[str, dict]:
        """items: (kind, key, label, job). Returns key -> result; cached results skip the runner."""
        started = time.perf_counter()
        results: dict[str, dict] = {}
        todo: list[tuple[str, str, str, dict]] = []
        for kind, key, label, job in items:
            hit = self.index.lookup(key)
            if hit is not None and key not in results:
                results[key] = hit
                self.cached[kind] = self.cached.get(kind, 0) + 1
            elif key not in results and all(key != t[1] for t in todo):
                todo.append((kind, key, label, job))
        total = len(items)
        self.event("stage.start", stage, len(items) - len(todo), total)
        by_job = {id(job): (kind, key, label) for kind, key, label, job in todo}
        done = total - len(todo)
        for job, result in self.runner.run([(kind, job) for kind, _, _, job in todo]):
            kind, key, label = by_job[id(job)]
            self.index.record(key, kind, result["asset"], {k: v for k, v in result.items() if k != "asset"})
            results[key] = result
            self.computed.setdefault(kind, []).append(label)
            done += 1
            self.event("stage.progress", stage, done, total)
        self.event("stage.done", stage, total, total)
        self.timings[stage] = round(time.perf_counter() - started, 3)
        return results


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
        cast = project.cast()
        roles = casting.cast_roles(cast, speakers(scenes))
        narrator = casting.narrator(roles) if project.info.narration else None
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
                req = {"text": line.text, "voice": role.voice, "pitch": role.pitch, "rate": role.rate, "seed": seed}
                key = voice_step(line)
                items.append(("voice", key, f"{cut.shot.id}:{line.beat}", {"project": root, "request": req}))
        results = run.execute("voices", items)
        return {"voices": {item[1]: results[item[1]] for item in items}}

    def layout(state: RenderState) -> RenderState:
        tl = Timeline.model_validate(state["timeline"]["draft"])
        speech = {
            line.voice_key: state["voices"][voice_step(line)]["duration"] for cut in tl.shots for line in cut.lines
        }
        tl = finalize(tl, speech, scenes_of(project.screenplay()))
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
        for cut in tl.shots:
            req = frame_request(cut, tl, roles, cast, seed, scene_text[cut.scene], moods.get(cut.scene, ""))
            key = frame_key(run.providers["image"], req, RENDER_VERSION)
            frames.append(("frame", key, cut.shot.id, {"project": root, "request": req}))
        for span in tl.scenes:
            req = {
                "duration": span.frames / tl.fmt.fps,
                "mood": span.mood,
                "key": tl.key,
                "tempo": tl.tempo,
                "seed": seed + int(hashlib.sha256(span.id.encode()).hexdigest()[:6], 16) % 1000,
            }
            key = content_key("music", run.providers["music"], req, RENDER_VERSION)
            music.append(("music", key, span.id, {"project": root, "request": req}))
        results = run.execute("pictures", music + frames)  # the long score cues first: the pool stays busy
        return {"frames": {i[2]: results[i[1]] for i in frames}, "music": {i[2]: results[i[1]] for i in music}}

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
            key = content_key("segment", frame["sha"], params, RENDER_VERSION)
            items.append(("segment", key, cut.shot.id, {"project": root, "frame": frame["asset"], "params": params}))
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
        )
        mix_job = {
            "project": root,
            "timeline": state["timeline"]["final"],
            "voices": {k: v["asset"] for k, v in voice_assets.items()},
            "music": {k: v["asset"] for k, v in state["music"].items()},
        }
        items.sort(key=lambda item: -item[3]["params"]["frames"])  # longest first: no idle core at the end
        results = run.execute("segments", [("mix", mix_key, "film", mix_job), *items])
        return {"segments": {i[2]: results[i[1]] for i in items}, "mix": results[mix_key]}

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
                    "lines": [
                        {
                            **ln.model_dump(include={"character", "text", "start", "duration", "beat"}),
                            "voice": state["voices"][voice_step(ln)]["asset"],
                        }
                        for ln in c.lines
                    ],
                }
                for c in tl.shots
            ],
            "mix": state["mix"]["asset"],
            "lengthened": tl.lengthened,
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
) -> dict[str, Any]:
    """Render the project's film; returns the render report.

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
        with exclusive(locations.render_lock(project.path), f"a render of {project.slug}"):
            _sweep_partial_assets(project)
            report = _render_locked(project, runner, providers, options, emit, story_brain)
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
