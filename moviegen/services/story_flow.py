"""Story development as a LangGraph graph: premise -> logline -> characters -> places -> outline -> screenplay.

Each stage is one text call through the brain's router (task ``story.<stage>``), asked for JSON of the stage's
schema and checked on arrival (:mod:`moviegen.services.story_stages`): an answer that does not fit is repaired
once, then the next provider of the chain is tried. Each stage is a node with a review node after it; in step
mode the review is a LangGraph ``interrupt`` that waits — across processes, in the project's checkpoint
database — for "approve" (go on) or "redo" (write the stage again, with an optional note for the writer). The
last node writes story/ and the screenplay and marks the project developed.

Prompts are files in the package (``services/prompts/story/``); a prompt's digest is part of each request, so
editing a prompt never answers from a cache filled by the old one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from moviegen.core import locations
from moviegen.core.brain import TextRequest, TextResult
from moviegen.core.errors import ConflictError, ProjectStateError, UsageError
from moviegen.core.lock import exclusive
from moviegen.core.models import Stage, Story
from moviegen.core.project import Project
from moviegen.services import story_stages as stages
from moviegen.services.story import validate_premise

THREAD = "develop"
VARIANT_SEED = 1009  # a redo changes the seed by this much per try: a procedural writer answers differently

# generate(request, check) -> result: the brain's router (LocalBrain.generate_text with check=...)
Writer = Callable[..., TextResult]
Notify = Callable[[str, dict[str, Any]], None]


class DevelopState(TypedDict, total=False):
    premise: str
    title: str
    seed: int
    step: bool
    results: dict[str, Any]  # stage -> its validated output (as JSON-able dict)
    made_by: dict[str, str]  # stage -> "provider:model"
    variants: dict[str, int]  # stage -> how many times it was redone
    notes: dict[str, str]  # stage -> the director's note for the next try


def request_for(stage: str, state: DevelopState, project_id: str) -> TextRequest:
    """The text call a stage makes from what the earlier stages produced."""
    results = state.get("results", {})
    variants = state.get("variants", {})
    note = state.get("notes", {}).get(stage, "")
    prompt, digest = stages.prompt(stage, state["premise"], state.get("title", ""), results, note)
    system, system_digest = stages.system_prompt()
    variant = sum(variants.get(s, 0) for s in stages.STAGES[: stages.STAGES.index(stage) + 1])
    params: dict[str, Any] = {
        "premise": state["premise"],
        "title": results.get("logline", {}).get("title") or state.get("title") or None,
        "stage": stage,
        "prompt": f"story/{stage}@{digest}+system@{system_digest}",
        "variant": variant,
        "note": note,
    }
    if stage == "screenplay" and "characters" in results:
        params["characters"] = [c["name"] for c in results["characters"]["characters"]]
    return TextRequest(
        project_id=project_id,
        task=f"story.{stage}",
        system=system,
        prompt=prompt,
        json_schema=stages.MODELS[stage].model_json_schema(),
        max_tokens=stages.MAX_TOKENS[stage],
        seed=state["seed"] + VARIANT_SEED * variant,
        params=params,
    )


def build(project: Project, write: Writer, notify: Notify):
    """The graph (not compiled): write_<stage> -> review_<stage> for each stage, then finish."""
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    graph = StateGraph(DevelopState)

    def writer(stage: str):
        def node(state: DevelopState) -> DevelopState:
            notify("story.stage", {"stage": stage, "state": "writing"})
            request = request_for(stage, state, project.slug)
            results = state.get("results", {})
            result = write(request, check=stages.checker(stage, results))
            value = stages.parse(stage, result.text)
            made_by = f"{result.provider}:{result.model}" if result.model else result.provider
            notify("story.stage", {"stage": stage, "state": "written", "provider": made_by})
            return {"results": {**results, stage: value}, "made_by": {**state.get("made_by", {}), stage: made_by}}

        return node

    def reviewer(stage: str, following: str):
        def node(state: DevelopState) -> Command:
            if not state.get("step"):
                return Command(goto=following)
            decision = interrupt({"stage": stage})
            mode = {} if decision.get("step") is None else {"step": decision["step"]}
            if decision.get("action") == "redo":
                variants = {**state.get("variants", {}), stage: state.get("variants", {}).get(stage, 0) + 1}
                notes = {**state.get("notes", {}), stage: decision.get("note") or ""}
                return Command(goto=f"write_{stage}", update={"variants": variants, "notes": notes, **mode})
            return Command(goto=following, update=mode)

        return node

    def finish(state: DevelopState) -> DevelopState:
        story = assemble(state)
        project.write_story(story)
        project.write_screenplay(story.screenplay)
        project.update(stage=Stage.DEVELOPED)
        return {}

    for n, stage in enumerate(stages.STAGES):
        following = f"write_{stages.STAGES[n + 1]}" if n + 1 < len(stages.STAGES) else "finish"
        graph.add_node(f"write_{stage}", writer(stage))
        graph.add_node(f"review_{stage}", reviewer(stage, following), destinations=(f"write_{stage}", following))
        graph.add_edge(f"write_{stage}", f"review_{stage}")
    graph.add_node("finish", finish)
    graph.add_edge(START, f"write_{stages.STAGES[0]}")
    graph.add_edge("finish", END)
    return graph


def assemble(state: DevelopState) -> Story:
    r = state["results"]
    return Story(
        title=r["logline"]["title"],
        logline=r["logline"]["logline"],
        characters=r["characters"]["characters"],
        locations=r["places"]["locations"],
        outline=r["outline"]["outline"],
        screenplay=r["screenplay"]["screenplay"],
    )


# ---------------------------------------------------------------------------------------------- running it
@contextmanager
def _app(project: Project, write: Writer, notify: Notify) -> Iterator[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = locations.story_checkpoints_db(project.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        yield build(project, write, notify).compile(checkpointer=SqliteSaver(conn))
    finally:
        conn.close()


CONFIG = {"configurable": {"thread_id": THREAD}}
RESUME_WAIT = 15.0  # seconds a decision waits for the run that has just paused to let go of the project


def status(project: Project) -> dict[str, Any]:
    """Where development stands: 'none' (never started), 'paused' at a stage (with what it wrote and who wrote
    it), 'running' or 'interrupted' (a run stopped midway: resume continues it), or 'done'."""
    if not locations.story_checkpoints_db(project.path).exists():
        return {"state": "done" if project.has_screenplay() else "none"}
    with _app(project, _no_writer, _quiet) as app:
        snapshot = app.get_state(CONFIG)
    return _describe(project, snapshot)


def develop(project: Project, write: Writer, notify: Notify = None, *, force: bool = False, step: bool = False,
            ) -> dict[str, Any]:  # fmt: skip
    """Start development afresh (``force`` replaces an existing screenplay); with ``step`` it pauses after the
    first stage. Returns the status (see :func:`status`)."""
    notify = notify or _quiet
    if project.has_screenplay() and not force:
        raise ProjectStateError(
            f"{project.slug} already has a screenplay; developing again would replace it",
            f"run 'moviegen develop {project.slug} --force' to start the story over (your edits would be lost)",
        )
    premise = validate_premise(project.info.premise or "")
    with exclusive(locations.state_dir(project.path) / "develop.lock", f"developing {project.slug}"):
        with _app(project, write, notify) as app:
            app.checkpointer.delete_thread(THREAD)
            state: DevelopState = {"premise": premise, "title": project.info.title, "seed": project.info.seed,
                                   "step": step, "results": {}, "made_by": {}, "variants": {}, "notes": {}}  # fmt: skip
            app.invoke(state, CONFIG)
            return _describe(project, app.get_state(CONFIG))


def resume(project: Project, write: Writer, notify: Notify = None, *, action: str = "approve",
           note: str | None = None, step: bool | None = None) -> dict[str, Any]:  # fmt: skip
    """Continue a paused or interrupted development: approve the paused stage (or ``redo`` it with ``note``).
    ``step`` False runs to the end without further pauses; None keeps the mode it was started in."""
    from langgraph.types import Command

    notify = notify or _quiet
    if action not in ("approve", "redo"):
        raise UsageError(f"unknown review action '{action}'", "approve or redo")
    # A decision is about the pause its caller saw. It may come the moment that pause is stored, while the run
    # that stored it still closes: then it waits for the run a little. If the pause was decided meanwhile (by
    # another client, or a retried call), it is refused rather than taken for the next one.
    seen = status(project)
    wait = RESUME_WAIT if seen["state"] == "paused" else 0.0
    with exclusive(locations.state_dir(project.path) / "develop.lock", f"developing {project.slug}", wait=wait):
        with _app(project, write, notify) as app:
            snapshot = app.get_state(CONFIG)
            where = _describe(project, snapshot)
            if seen["state"] == "paused" and _moved(seen, where):
                raise ConflictError(
                    f"the {seen['stage']} of {project.slug} was decided meanwhile (now {summary(where)})",
                    f"see the stage that waits now with 'moviegen develop {project.slug} --review', then decide again",
                )
            if where["state"] == "paused":
                app.invoke(Command(resume={"action": action, "note": note, "step": step}), CONFIG)
            elif where["state"] == "interrupted":
                if action == "redo":
                    raise ProjectStateError(f"{project.slug}'s development stopped while writing; nothing to redo",
                                            f"run 'moviegen develop {project.slug} --resume' to continue it")  # fmt: skip
                app.invoke(None, CONFIG)  # the stage that failed runs again
                if step is False and _describe(project, app.get_state(CONFIG))["state"] == "paused":
                    app.invoke(Command(resume={"action": "approve", "step": False}), CONFIG)
            else:
                raise ProjectStateError(
                    f"{project.slug} has no story development waiting ({where['state']})",
                    f"run 'moviegen develop {project.slug} --step' to develop it stage by stage",
                )
            return _describe(project, app.get_state(CONFIG))


def _moved(seen: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether development has gone past the pause ``seen``: another stage, or the same one written again."""
    stage = seen["stage"]
    return (now["state"] != "paused" or now["stage"] != stage
            or now["variants"].get(stage) != seen["variants"].get(stage))  # fmt: skip


def _describe(project: Project, snapshot) -> dict[str, Any]:
    values = snapshot.values or {}
    results = values.get("results", {})
    out: dict[str, Any] = {
        "project_id": project.slug,
        "stages": {s: {"done": s in results, "by": values.get("made_by", {}).get(s)} for s in stages.STAGES},
        "variants": values.get("variants", {}),
    }
    if not values:
        return {**out, "state": "done" if project.has_screenplay() else "none"}
    pending = [i.value for task in snapshot.tasks for i in task.interrupts]
    if pending:
        stage = pending[0]["stage"]
        return {**out, "state": "paused", "stage": stage, "result": results.get(stage),
                "by": values.get("made_by", {}).get(stage)}  # fmt: skip
    if snapshot.next:
        return {**out, "state": "interrupted", "next": list(snapshot.next)}
    story = assemble(values).model_dump() if len(results) == len(stages.STAGES) else {}
    return {**out, "state": "done", **story}


def planned_requests(project: Project) -> list[TextRequest]:
    """The text calls development would send now, for the stages not written yet: the first exactly; the later
    ones with what is known (their prompts depend on answers not written yet, so they never show as cached)."""
    premise = validate_premise(project.info.premise or "")
    state: DevelopState = {"premise": premise, "title": project.info.title, "seed": project.info.seed,
                           "results": {}, "variants": {}, "notes": {}}  # fmt: skip
    if locations.story_checkpoints_db(project.path).exists():
        with _app(project, _no_writer, _quiet) as app:
            values = app.get_state(CONFIG).values or {}
        if values and not project.has_screenplay():
            state = {**state, **values}  # type: ignore[typeddict-item]
    done = state.get("results", {})
    return [request_for(s, state, project.slug) for s in stages.STAGES if s not in done]


def _no_writer(request: TextRequest, check=None) -> TextResult:
    raise RuntimeError("a status read does not write")  # never called: reading state runs no node


def _quiet(kind: str, fields: dict[str, Any]) -> None:
    return None


def summary(where: dict[str, Any]) -> str:
    """One line for a person: where development stands."""
    if where["state"] == "paused":
        return f"paused after {where['stage']} (written by {where.get('by') or 'unknown'})"
    return where["state"]
