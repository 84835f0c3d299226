"""A real brain server with one planned, painted project and three people who log in with passwords: a writer,
a director and a viewer, each with that role in the project (moviegen.brain.server.people)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import FIXTURES, SAMPLE
from tests.server.conftest import Brain, start_brain, stop_brain

SLUG = "lantern-road"
PASSWORD = "correct horse battery"
PEOPLE = {"wendy": "writer", "dan": "director", "vera": "viewer"}


@dataclass
class World:
    brain: Brain
    root: object
    tokens: dict  # role -> a service token of that role (for the cookie as a bearer token)

    @property
    def url(self) -> str:
        return self.brain.url

    def project_path(self):
        return self.root / "projects" / SLUG


def make_world(tmp_path_factory, name: str) -> World:
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp(name)
    source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
    local = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    try:
        local.project_import(source.read_text(encoding="utf-8"), slug=SLUG)
        config = root / "projects" / SLUG / "moviegen.toml"  # a small film: the browser test renders it
        config.write_text(config.read_text(encoding="utf-8").replace('"1280x720"', '"640x360"'), encoding="utf-8")
        local.shots_plan(SLUG)
        local.storyboard_paint(SLUG)
        for person, role in PEOPLE.items():
            local.people().add(person, role, PASSWORD)
            local.project_share(SLUG, person, role)
        local.people().add("olga", "producer", PASSWORD)  # shares nothing
    finally:
        local.close()
    store = TokenStore(root / "home" / "tokens.json")
    tokens = {role: store.create(f"{role}-token", role) for role in ("writer", "director", "viewer")}
    return World(brain=start_brain(root), root=root, tokens=tokens)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = make_world(tmp_path_factory, "web")
    yield w
    stop_brain(w.brain)
