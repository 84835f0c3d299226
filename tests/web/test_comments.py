"""Comments as brain operations (comment_add / comment_list, access ``read``), in-process."""

from __future__ import annotations

import json

import pytest

from moviegen.core.errors import UsageError
from tests.conftest import FIXTURES


@pytest.fixture
def brain():
    from moviegen.brain.local import LocalBrain

    b = LocalBrain(workers=1)
    b.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    yield b
    b.close()


def test_comments_are_kept_in_the_project_by_target_and_announced(brain):
    with brain.bus.listen() as events:
        first = brain.comment_add("two", "Too dark", target="shot:1.1")
        brain.comment_add("two", "Love the pace")
        heard = [events.get_nowait() for _ in range(events.qsize())]
    assert first["target"] == "shot:1.1" and first["who"] and first["role"] == "owner"
    assert [c["text"] for c in brain.comment_list("two")] == ["Too dark", "Love the pace"]
    assert [c["text"] for c in brain.comment_list("two", target="shot:1.1")] == ["Too dark"]
    assert [c["text"] for c in brain.comment_list("two", limit=1)] == ["Love the pace"]
    lines = (brain.project("two").path / "comments.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Too dark", "Love the pace"]
    assert [e["kind"] for e in heard if e["kind"] == "comment.added"] == ["comment.added"] * 2


@pytest.mark.parametrize("target", ["../x", "shot:", "everything", "scene:1 2"])
def test_a_target_must_name_the_project_a_scene_a_shot_or_a_line(brain, target):
    with pytest.raises(UsageError):
        brain.comment_add("two", "x", target=target)
