"""The export operation through the one client interface: in-process and over the wire, the same files (byte
for byte: the exports carry no time or random id), the same event, the same errors."""

from __future__ import annotations

import asyncio
import threading

import pytest

from moviegen.core.errors import ProjectStateError, UsageError
from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    brain = start_brain(tmp_path_factory.mktemp("exports"))
    yield brain
    stop_brain(brain)


@pytest.fixture(params=["local", "remote"])
def api(request):
    if request.param == "local":
        from moviegen.brain.local import LocalBrain

        brain = LocalBrain(workers=1)
    else:
        from moviegen.brain.remote import RemoteBrain

        brain = RemoteBrain(request.getfixturevalue("server").ws)
    yield brain
    brain.close()


def test_the_screenplay_exports_are_the_same_files_in_both(server):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.remote import RemoteBrain

    local, remote = LocalBrain(workers=1), RemoteBrain(server.ws)
    try:
        answers = []
        for brain in (local, remote):
            brain.project_import(TWO_LINES, slug="two")
            answers.append([brain.export("two", fmt) for fmt in ("pdf", "fdx")])
    finally:
        local.close()
        remote.close()
    assert answers[0] == answers[1]
    pdf, fdx = answers[0]
    assert pdf["format"] == "pdf" and pdf["files"][0]["path"] == "exports/two.pdf" and pdf["files"][0]["bytes"] > 1000
    assert fdx["files"][0]["path"] == "exports/two.fdx" and len(fdx["files"][0]["sha256"]) == 64


def test_errors_are_the_same_in_both(api):
    slug = f"bare-{threading.get_native_id() % 100000}-{id(api) % 1000}"
    api.project_import(TWO_LINES, slug=slug)
    with pytest.raises(ProjectStateError) as info:
        api.export(slug, "edl")
    assert info.value.message == f"{slug} has no render yet, so there is no cut to export"
    with pytest.raises(UsageError) as bad:
        api.export(slug, "docx")
    assert "format" in bad.value.message and bad.value.hint


def test_an_export_is_an_event(api):
    slug = f"ev-{threading.get_native_id() % 100000}-{id(api) % 1000}"
    api.project_import(TWO_LINES, slug=slug)

    async def listen() -> dict:
        stream = api.events(slug)

        async def first():
            async for event in stream:
                if event["kind"] == "export.written":
                    return event

        task = asyncio.create_task(first())
        await asyncio.sleep(0.5)  # subscribed
        await asyncio.to_thread(api.export, slug, "fdx")
        return await asyncio.wait_for(task, 10)

    event = asyncio.run(listen())
    assert (event["project"], event["format"], event["files"]) == (slug, "fdx", [f"exports/{slug}.fdx"])
