"""The stages of story development: what each asks for (a prompt file), the JSON it must answer with (a
pydantic model, sent as the JSON schema), and the check an answer must pass before it is accepted.

The schemas are kept plain (objects, strings, arrays; every field required, no extra fields) so that
providers' strict structured-output modes accept them; the rules a schema cannot say — cue names in capitals
and unique, scene headings that start INT./EXT., a screenplay that parses as Fountain and in which only the
bible's characters speak — are checked here, and a failing answer is repaired once, then the next provider
is asked (:meth:`moviegen.brain.router.Router.call`'s ``check``).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from moviegen.core.errors import ProviderResponseError
from moviegen.core.fountain import parse as parse_fountain
from moviegen.core.scenes import scenes_of, speakers

STAGES = ["logline", "characters", "places", "outline", "screenplay"]
PROMPTS = Path(__file__).parent / "prompts" / "story"
_HEADING = re.compile(r"^(INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ]", re.I)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Logline(_Strict):
    title: str
    logline: str


class CastMember(_Strict):
    name: str
    full_name: str
    role: str
    want: str
    look: str
    voice: str


class Cast(_Strict):
    characters: list[CastMember]


class Place(_Strict):
    name: str
    description: str


class Places(_Strict):
    locations: list[Place]


class Outline(_Strict):
    outline: list[str]


class ScreenplayText(_Strict):
    screenplay: str


MODELS: dict[str, type[_Strict]] = {
    "logline": Logline,
    "characters": Cast,
    "places": Places,
    "outline": Outline,
    "screenplay": ScreenplayText,
}

MAX_TOKENS = {"logline": 400, "characters": 2000, "places": 1200, "outline": 1200, "screenplay": 8000}
"""A stage's answer at most: a cap for the model, and what a budget check reserves for the call."""


# ---------------------------------------------------------------------------------------------- prompts
@cache
def _template(name: str) -> tuple[str, str]:
    text = (PROMPTS / f"{name}.md").read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def system_prompt() -> tuple[str, str]:
    """The system message every stage shares, and its digest."""
    return _template("system")


def prompt(stage: str, premise: str, title: str, results: dict[str, Any], note: str = "") -> tuple[str, str]:
    """A stage's user message from its template and what the stages before it produced, and the template's
    digest."""
    template, digest = _template(stage)
    logline = results.get("logline", {})
    fields = {
        "premise": premise,
        "title": logline.get("title") or title,
        "title_line": f"Working title: {title}" if title else "",
        "logline": logline.get("logline", ""),
        "characters": _characters(results),
        "places": "\n".join(
            f"- {p['name']}: {p['description']}" for p in results.get("places", {}).get("locations", [])
        ),
        "outline": "\n".join(f"{n}. {b}" for n, b in enumerate(results.get("outline", {}).get("outline", []), 1)),
        "note": f"\nThe director read the last version and asked for another: {note}" if note else "",
    }
    return template.format_map(fields).strip() + "\n", digest


def _characters(results: dict[str, Any]) -> str:
    return "\n".join(
        f"- {c['name']} ({c['full_name']}): {c['role']}; wants {c['want']}; looks: {c['look']}; sounds: {c['voice']}"
        for c in results.get("characters", {}).get("characters", [])
    )


# ---------------------------------------------------------------------------------------------- answers
def parse(stage: str, text: str) -> dict[str, Any]:
    """The stage's answer as a plain, normalised dict (cue names in capitals, whitespace tidied); raises
    ProviderResponseError with what is wrong."""
    try:
        value = MODELS[stage].model_validate_json(_unfenced(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise ProviderResponseError(
            f"the {stage} answer does not fit its schema ({exc.error_count()} problems; first: {where}: {first['msg']})",
            "try again, or another provider",
        ) from None
    data = value.model_dump()
    if stage == "characters":
        for c in data["characters"]:
            c["name"] = " ".join(c["name"].split()).upper()
    problem = _problem(stage, data)
    if problem:
        raise ProviderResponseError(f"the {stage} answer cannot be used: {problem}", "try again, or another provider")
    return data


def checker(stage: str, results: dict[str, Any]):
    """The check for the router: the answer must parse, and a screenplay must fit the approved characters."""

    def check(result) -> None:
        data = parse(stage, result.text)
        if stage == "screenplay" and "characters" in results:
            problem = _cast_problem(data["screenplay"], [c["name"] for c in results["characters"]["characters"]])
            if problem:
                raise ProviderResponseError(f"the screenplay answer cannot be used: {problem}", "try again")

    return check


def _problem(stage: str, data: dict[str, Any]) -> str | None:
    if stage == "logline":
        if not data["title"].strip() or len(data["title"]) > 100:
            return "the title is empty or longer than 100 characters"
        if len(data["logline"].split()) < 5:
            return "the logline is shorter than a sentence"
    elif stage == "characters":
        names = [c["name"] for c in data["characters"]]
        if not names:
            return "there are no characters"
        if len(names) > 10:
            return f"{len(names)} characters is more than a short film holds (at most 10)"
        if any(not n or len(n) > 30 for n in names):
            return "a cue name is empty or longer than 30 characters"
        if len(set(names)) != len(names):
            return "two characters share a cue name"
    elif stage == "places":
        places = data["locations"]
        if not places:
            return "there are no places"
        bad = [p["name"] for p in places if not _HEADING.match(p["name"].strip())]
        if bad:
            return f"a place does not start with INT. or EXT. ({bad[0]!r})"
    elif stage == "outline":
        beats = [b for b in data["outline"] if b.strip()]
        if len(beats) < 2:
            return "the outline has fewer than two scenes"
    elif stage == "screenplay":
        scenes = scenes_of(parse_fountain(data["screenplay"]))
        if not scenes:
            return "the screenplay has no scenes (no INT./EXT. scene headings)"
        if not speakers(scenes):
            return "nobody speaks in the screenplay"
    return None


def _cast_problem(screenplay: str, names: list[str]) -> str | None:
    """Only the bible's characters speak, and at least one of them does."""
    spoken = speakers(scenes_of(parse_fountain(screenplay)))
    known = set(names)
    strangers = [s for s in spoken if s not in known]
    if strangers:
        return f"{', '.join(strangers[:3])} speak{'s' if len(strangers) == 1 else ''} but not in the characters ({', '.join(names)})"
    return None


def _unfenced(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text
