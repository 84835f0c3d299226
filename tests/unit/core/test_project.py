from __future__ import annotations

import os
import stat

import pytest

from moviegen.core import atomic, locations, shotlist
from moviegen.core.errors import ConflictError, ProjectExistsError, ProjectNotFoundError, StorageError, UsageError
from moviegen.core.models import FilmFormat, ProjectInfo, Stage
from moviegen.core.project import ProjectStore, parse_bible
from moviegen.core.slug import slugify, validate_slug


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Lantern Road", "lantern-road"),
        ("Café Über Alles", "cafe-uber-alles"),
        ("../../etc/passwd", "etc-passwd"),
        ("  spaces   everywhere ", "spaces-everywhere"),
        ("東京", "untitled"),
        ("A" * 200, "a" * 48),
    ],
)
def test_slugify_is_safe(title, slug):
    assert slugify(title) == slug
    validate_slug(slug)


@pytest.mark.parametrize("bad", ["../x", "a/b", ".hidden", "", "UPPER", "x" * 80, "a b"])
def test_validate_slug_refuses_paths(bad):
    with pytest.raises(UsageError):
        validate_slug(bad)


def test_create_open_list(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    project = store.create(ProjectInfo(slug="lantern-road", title="Lantern Road", premise="A courier races a flood"))
    for sub in ("story", "assets", "renders", ".moviegen"):
        assert (project.path / sub).is_dir()
    assert store.open("lantern-road").info.title == "Lantern Road"
    assert [p.slug for p in store.list()] == ["lantern-road"]
    with pytest.raises(ProjectNotFoundError) as err:
        store.open("nope")
    assert "moviegen list" in err.value.hint and str(tmp_path) not in err.value.message  # names no path


def test_existing_slug_is_refused_and_untouched(tmp_path):
    store = ProjectStore(tmp_path)
    project = store.create(ProjectInfo(slug="film", title="Film", premise="first premise here"))
    before = locations.project_config(project.path).read_bytes()
    with pytest.raises(ProjectExistsError):
        store.create(ProjectInfo(slug="film", title="Other", premise="second premise here"))
    assert locations.project_config(project.path).read_bytes() == before


def test_settings_edits_keep_comments_and_order(tmp_path):
    store = ProjectStore(tmp_path)
    project = store.create(ProjectInfo(slug="film", title="Film", premise="a premise of words"))
    cfg = locations.project_config(project.path)
    text = cfg.read_text().replace('title = "Film"', '# my own note\ntitle = "Film"  # keep this')
    cfg.write_text(text + "\n[mine]\nanswer = 42 # mine too\n")
    project.update(stage=Stage.PLANNED, format=FilmFormat(aspect="9:16"))
    after = cfg.read_text()
    assert "# my own note" in after and "# keep this" in after and "answer = 42 # mine too" in after
    assert 'stage = "planned"' in after and 'aspect = "9:16"' in after
    assert after.index("title") < after.index("premise") < after.index("stage")


def test_atomic_write_refuses_to_overwrite_a_changed_file(tmp_path):
    path = tmp_path / "screenplay.fountain"
    digest = atomic.write_text(path, "one")
    path.write_text("someone else's edit")
    with pytest.raises(ConflictError):
        atomic.write_text(path, "mine", expect_digest=digest)
    assert path.read_text() == "someone else's edit"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_projects_dir_gives_storage_error(tmp_path):  # pragma: no cover - CI runs as root
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    with pytest.raises(StorageError):
        ProjectStore(root).create(ProjectInfo(slug="x", title="X", premise="a premise of words"))


def test_bible_round_trip():
    text = "# Story bible — X\n\n## Characters\n\n### MIRA\n- full name: Mira Okafor\n- role: courier\n- voice: quick\n\n## Places\n"
    [mira] = parse_bible(text)
    assert (mira.name, mira.full_name, mira.role, mira.voice) == ("MIRA", "Mira Okafor", "courier", "quick")


def test_bad_shot_list_values_name_the_shot(tmp_path):
    path = tmp_path / "shots.toml"
    path.write_text('[[shot]]\nid = "1.1"\nscene = "1"\nframing = "extreme"\nduration = 3\n')
    with pytest.raises(Exception) as err:
        shotlist.load(path)
    assert "1.1" in str(err.value) and "framing" in str(err.value)
    path.write_text("[[shot]\nbroken")
    with pytest.raises(Exception) as err:
        shotlist.load(path)
    assert "not valid TOML" in str(err.value)
