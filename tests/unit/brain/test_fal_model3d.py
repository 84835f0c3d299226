"""A character's 3D model from FAL image-to-3D (TRELLIS) fed their sheet, against the local fake of FAL's queue;
and the procedural figure when FAL refuses."""

from __future__ import annotations

import io

import pytest
import trimesh

from moviegen.core.settings import FalSettings, RouterSettings, Settings
from tests.conftest import FIXTURES
from tests.fakes.fal_server import KEY, FakeFal, Job


@pytest.fixture
def fake():
    with FakeFal() as fal:
        yield fal


@pytest.fixture
def brain(tmp_path, fake):
    from moviegen.brain.local import LocalBrain

    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home", fal_key=KEY,
                        fal_queue_url=fake.base_url, fal=FalSettings(poll_interval=0.01, max_poll_interval=0.03),
                        router=RouterSettings(backoff=0.01, retries=0, breaker_failures=100))  # fmt: skip
    brain = LocalBrain(settings, workers=1)
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    yield brain
    brain.close()


def test_a_characters_model_is_made_from_their_sheet(brain, fake, tmp_path):
    made = brain.assets_3d("two", ["character:ADA"])["models"]
    assert [(m["node"], m["provider"], m["model"]) for m in made] == [("character:ada", "fal", "fal-ai/trellis")]
    project = brain.project("two")
    sheet = (project.path / made[0]["from_sheet"]).read_bytes()  # painted first: Ada had no sheet
    sent = next(r for r in fake.seen("submit") if r.path.endswith("fal-ai/trellis"))
    assert sent.files == [sheet] and sent.body["texture_size"] == "1024"
    mesh = trimesh.load(io.BytesIO((project.path / made[0]["asset"]).read_bytes()), file_type="glb", force="mesh")
    assert len(mesh.faces) > 0
    assert 'provider = "fal"' in (project.path / "models.toml").read_text()
    entries = brain.cost_report("two", entries=20)["entries"]
    assert any(e["capability"] == "model3d" and e["status"] == "ok" and e["units"] == {"images": 1} for e in entries)


def test_a_refused_key_or_a_failed_model_falls_back_to_the_procedural_figure(brain, fake):
    brain.sheet_paint("two", "ADA")
    fake.jobs = [Job(error="CUDA out of memory", error_type="runner_server_error")] * 5
    made = brain.assets_3d("two", ["character:ADA"])["models"]
    assert made[0]["provider"] == "procedural" and "CUDA out of memory" in made[0]["fallback"]
    mesh = trimesh.load(io.BytesIO((brain.project("two").path / made[0]["asset"]).read_bytes()), file_type="glb",
                        force="mesh")  # fmt: skip
    assert len(mesh.faces) > 0
