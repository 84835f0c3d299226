"""The estimate of a run: the calls it would make, what they would cost and which are cached — with nothing
sent, nothing written and nothing created.

Per stage, one row: the provider that would serve it (the first of its chain; if that one fails the router falls
back down the chain, which is named but not priced), the model, how many calls, how many of them are cached, and
what the rest would cost at most. Text calls are looked up in the project's provider cache by their content
address (``router.request_key``) and priced as the router's budget check prices them (``Router.estimate``: the
prompt's length and the answer's ``max_tokens``, 4,096 when unset, at the price table's rates). Render steps are
looked up in the project's step cache (``services.render.estimate``); offline providers cost nothing. Then the
totals, the budget, what would be left, and the first call the budget check could refuse.

Where a number is a guess, its row says so (``exact: false`` and a note): story stages whose prompts depend on
earlier answers; a film from a premise whose scenes, shots and lines come from the offline writer's draft.
"""

from __future__ import annotations

from typing import Any

from moviegen.brain.router import request_key
from moviegen.core.brain import TextRequest
from moviegen.core.errors import ProviderError
from moviegen.core.models import Character, Scene
from moviegen.core.project import Project
from moviegen.services.render.estimate import StepCount
from moviegen.services.render.pipeline import RenderOptions

STAGES = {
    "sheet": "render.sheets",
    "clip": "render.clips",
    "sound": "render.effects",
    "voice": "render.voices",
    "frame": "render.frames",
    "music": "render.music",
    "segment": "render.segments",
    "mix": "render.mix",
    "film": "render.film",
}


# ---------------------------------------------------------------------- what the story would ask
def story_requests(project: Project) -> tuple[list[TextRequest], bool]:
    """The text requests story development would send for the stages not yet done (``story_flow``'s own plan,
    one ``story.<stage>`` call each), and whether all of them are exact: the first is; the later ones carry
    answers not written yet, so their prompts (and content addresses) are approximations."""
    from moviegen.services.story_flow import planned_requests

    requests = list(planned_requests(project))
    return requests, len(requests) <= 1


def draft_story(project: Project) -> tuple[list[Scene], list[Character]]:
    """Scenes and cast of the offline writer's draft of the project's premise: free, deterministic, nothing sent
    — exactly the story when the offline writer writes it, an outline of its size when a model does."""
    from moviegen.brain.providers.story_writer.writer import develop
    from moviegen.core.fountain import parse
    from moviegen.core.project import parse_bible, render_bible
    from moviegen.core.scenes import cast_of, scenes_of

    story = develop(project.info.premise, seed=project.info.seed, title=project.info.title)
    screenplay = parse(story.screenplay)
    scenes = scenes_of(screenplay)
    known = parse_bible(render_bible(story))  # the cast as the project would read it back (Project.cast)
    names = {c.name for c in known}
    return scenes, known + [c for c in cast_of(screenplay, scenes) if c.name not in names]


# ---------------------------------------------------------------------- rows
def text_rows(
    router, chain: list[tuple[str, str | None]], requests: list[TextRequest], later_approximate: bool, ledger
) -> list[dict[str, Any]]:
    """One row per stage (the request's task), in the order the calls would be made."""
    if not chain:
        raise ProviderError(
            "no text provider is configured, so this run could not develop its story",
            "set a provider's key or URL ('moviegen providers'), or put story-writer in MOVIEGEN_PROVIDERS__TEXT",
        )
    name, model = chain[0]
    offline = router.registry.get("text", name).offline
    priced = offline or router.price(name, model) is not None
    rows: dict[str, dict[str, Any]] = {}
    for i, request in enumerate(requests):
        cached = ledger is not None and ledger.cached(request_key("text", request)) is not None
        usd = 0.0 if cached or offline else router.estimate(name, model, request)
        row = rows.setdefault(
            request.task, _row(request.task, "text", name, model, offline, priced, [n for n, _ in chain[1:]])
        )
        row["count"] += 1
        row["cached"] += cached
        row["usd"] += usd
        row["calls"].append(round(usd, 6) if not cached and not offline else None)
        if i > 0 and later_approximate and not offline:  # offline: free and never cached either way
            row["exact"] = False
            row["note"] = "the prompt carries answers not written yet, so its cost and cache are approximations"
    return list(rows.values())


def step_rows(router, steps: list[StepCount]) -> list[dict[str, Any]]:
    """One row per kind of render step; an online provider is priced by the units still to make."""
    out = []
    for step in steps:
        name, _, model = step.provider.partition(":")
        offline = step.capability == "encode" or router.registry.get(step.capability, name).offline
        price = None if offline else router.price(name, model or None)
        row = _row(STAGES[step.kind], step.capability, step.provider, None, offline, offline or price is not None, [])
        row.update(count=step.count, cached=step.cached, exact=step.exact, note=step.note)
        if price is not None:  # the render checks each call against the budget as it goes (the router)
            units = step.units
            row["usd"] = (
                units.get("images", 0) * price.per_image
                + units.get("seconds", 0) * price.per_second
                + units.get("characters", 0) * price.per_kchar / 1000
            )
        out.append(row)
    return out


def _row(stage, capability, provider, model, offline, priced, fallback) -> dict[str, Any]:
    return {
        "stage": stage,
        "capability": capability,
        "provider": provider,
        "model": model,
        "offline": offline,
        "priced": priced,
        "fallback": fallback,
        "count": 0,
        "cached": 0,
        "to_run": 0,
        "usd": 0.0,
        "exact": True,
        "note": "",
        "calls": [],
    }


# ---------------------------------------------------------------------- the whole
def summary(
    run: str,
    slug: str,
    exists: bool,
    options: RenderOptions,
    rows: list[dict[str, Any]],
    budget: float | None,
    spent: float,
    notes: list[str],
) -> dict[str, Any]:
    """Totals, the budget walk and the notes. The router checks the budget before each online call that is
    not cached (what is spent so far plus that call at most, against the budget): the first call that check
    could refuse is ``refused_at``; the run stops there."""
    refused_at = None
    running = spent
    for row in rows:
        for usd in row.pop("calls"):
            if usd is None:
                continue  # cached or offline: never checked against the budget
            if budget is not None and refused_at is None and running + usd > budget:
                refused_at = row["stage"]
            running += usd
        row["to_run"] = row["count"] - row["cached"]
        row["usd"] = round(row["usd"], 6)
    total = round(sum(r["usd"] for r in rows), 6)
    unpriced = sorted(
        {
            f"{r['provider']}:{r['model']}" if r["model"] else r["provider"]
            for r in rows
            if not r["priced"] and r["to_run"]
        }
    )
    if any(not r["offline"] and r["to_run"] for r in rows):
        notes.append(
            "USD is what the budget check reserves for each call: the prompt at about 4 characters a token and "
            "the whole of the answer's max_tokens (4,096 when unset), at the price table's rates (MOVIEGEN_PRICES)"
        )
    fallbacks: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for row in rows:
        if row["fallback"] and row["to_run"] and not row["offline"]:
            fallbacks.setdefault((row["provider"], tuple(row["fallback"])), []).append(row["stage"])
    notes += [
        f"{', '.join(stages)}: if {provider} fails, the router falls back to {', '.join(rest)} (not counted here)"
        for (provider, rest), stages in fallbacks.items()
    ]
    if unpriced:
        notes.append(
            f"no price for {', '.join(unpriced)} in MOVIEGEN_PRICES: counted as 0 here and by the budget "
            "check; what the provider reports it charged goes into the ledger after the call"
        )
    if refused_at is not None:
        notes.append(
            f"the budget check could refuse {refused_at}: {spent:.4f} USD spent of {budget:g}, and this run "
            f"could cost up to {total:.4f} USD more; the run would stop there"
        )
    guesses: dict[str, list[str]] = {}
    for row in rows:
        if row["note"] and not row["exact"]:
            guesses.setdefault(row["note"], []).append(row["stage"])
    notes += [f"{', '.join(stages)}: {note}" for note, stages in guesses.items()]
    return {
        "run": run,
        "project": slug,
        "exists": exists,
        "format": options.fmt.model_dump(),
        "steps": rows,
        "count": sum(r["count"] for r in rows),
        "cached": sum(r["cached"] for r in rows),
        "to_run": sum(r["to_run"] for r in rows),
        "total_usd": total,
        "exact": all(r["exact"] for r in rows),
        "unpriced": unpriced,
        "budget_usd": budget,
        "spent_usd": round(spent, 6),
        "left_usd": None if budget is None else round(budget - spent - total, 6),
        "over_budget": budget is not None and spent + total > budget,
        "refused_at": refused_at,
        "notes": notes,
    }
