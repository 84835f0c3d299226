"""The project bundle and its import, on a planned project with a painted storyboard (assets, takes in the
index, the knowledge store): what goes in, that it comes back byte for byte, and every way a bad archive is
refused with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
from pathlib import Path

import pytest

from moviegen.core import locations
from moviegen.core.errors import ConflictError, ProjectExistsError, UsageError
from moviegen.core.lock import exclusive
from moviegen.services.export.bundle import MANIFEST, project_files, safe_name
from moviegen.services.export.bundle_import import import_bundle, receive, upload_path
from tests.conftest import FIXTURES

OFFLINE = {"MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]', "MOVIEGEN_PROVIDERS__SPEECH": '["espeak-ng"]'}


@pytest.fixture
def brain(monkeypatch):
    from moviegen.brain.local import LocalBrain

    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)
    brain = LocalBrain(workers=1)
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    brain.shots_plan("two")
    brain.storyboard_paint("two")
    brain.take_new("two", "1.2")
    brain.store_document("A note the director kept.", {"kind": "note", "title": "light"}, "two")
    yield brain
    brain.close()


def bundle_of(brain, slug: str = "two") -> Path:
    [written] = brain.export(slug, "bundle")["files"]
    return brain.project(slug).path / written["path"]


def tree(root: Path) -> dict[str, str]:
    """Every bundled file's digest (the ordinary files; the databases are compared by their rows)."""
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in project_files(root)}


def rows(root: Path, db: str, query: str) -> list[tuple]:
    with sqlite3.connect(locations.state_dir(root) / db) as conn:
        return conn.execute(query).fetchall()


def leftovers(brain) -> list[str]:
    return sorted(p.name for p in brain.store.root.iterdir() if ".importing-" in p.name)


def test_the_bundle_holds_the_project_and_a_manifest_of_checksums(brain):
    project = brain.project("two")
    (project.path / ".moviegen" / "vectors-x.hnsw").write_bytes(b"cache")  # rebuildable: left out
    (project.path / "assets" / ".half.tmp").write_bytes(b"partial")  # a partial write: left out
    (project.path / "exports").mkdir(exist_ok=True)
    (project.path / "exports" / "old.pdf").write_bytes(b"%PDF")
    path = bundle_of(brain)
    assert path.name.startswith("two-") and path.name.endswith(".moviegen.tar")
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        for entry in manifest["files"]:
            data = tar.extractfile(entry["path"]).read()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"])
    assert names[-1] == MANIFEST and sorted(names[:-1]) == sorted(f["path"] for f in manifest["files"])
    assert {"moviegen.toml", "screenplay.fountain", "shots.toml", "story/bible.md"} <= set(names)
    assert {".moviegen/index.sqlite", ".moviegen/knowledge.sqlite"} <= set(names)
    assert sum(n.startswith("assets/") and n.endswith(".png") for n in names) == 4  # three shots and a take
    assert not [n for n in names if n.startswith("exports/") or "hnsw" in n or ".tmp" in n or "checkpoints" in n]
    assert (manifest["format"], manifest["version"]) == ("moviegen-bundle", 1)
    assert manifest["project"] == {"id": project.info.id, "slug": "two", "title": "Two Lines"}


def test_an_import_restores_the_files_the_steps_the_takes_and_the_memory(brain):
    from moviegen.core.index import ProjectIndex

    project = brain.project("two")
    live = ProjectIndex(project.path)  # open while the bundle is made: its last row is only in the WAL file
    try:
        live.record("written-last", "voice", "assets/none.wav", {})
        assert (locations.state_dir(project.path) / "index.sqlite-wal").stat().st_size > 0
        path = bundle_of(brain)
    finally:
        live.close()
    summary = brain.project_import_bundle(_upload(brain, path), slug="copy")
    copy = brain.project("copy")
    assert summary["slug"] == "copy" and summary["restored"]["from"]["slug"] == "two"
    assert tree(copy.path) == tree(project.path) | {"moviegen.toml": tree(copy.path)["moviegen.toml"]}
    assert copy.info.id and copy.info.id != project.info.id  # an identity of its own
    assert copy.info.model_dump(exclude={"slug", "id"}) == project.info.model_dump(exclude={"slug", "id"})
    for query in ("SELECT key, kind, asset, meta FROM steps ORDER BY key", "SELECT * FROM takes ORDER BY shot, take"):
        assert rows(copy.path, "index.sqlite", query) == rows(project.path, "index.sqlite", query)
    assert rows(copy.path, "index.sqlite", "SELECT count(*) FROM takes") == [(1,)]
    assert rows(copy.path, "index.sqlite", "SELECT kind FROM steps WHERE key = 'written-last'") == [("voice",)]
    for name, original in project_files(project.path):  # modification times too: the newest report is the last
        if name != "moviegen.toml":  # written again with the new identity
            assert (copy.path / name).stat().st_mtime == pytest.approx(original.stat().st_mtime, abs=1e-3)
    hits = brain.search_story("copy", "director kept", mode="text")
    assert any("director kept" in h.get("content", h.get("text", "")) for h in hits)
    assert brain.storyboard("copy")["shots"] == _moved(brain.storyboard("two")["shots"], project.path, copy.path)
    assert not list(upload_path(brain.store, "0" * 32).parent.glob("*.part"))  # the upload is removed


def _moved(shots: list[dict], old: Path, new: Path) -> list[dict]:
    return json.loads(json.dumps(shots).replace(str(old), str(new)))


def _upload(brain, path: Path) -> str:
    from moviegen.cli.exports import upload_bundle

    return upload_bundle(brain, path)


def test_a_taken_slug_is_refused_unless_another_name_is_given(brain):
    path = bundle_of(brain)
    with pytest.raises(ProjectExistsError) as info:
        import_bundle(brain.store, path)
    assert "'two' already exists" in info.value.message and "--as" in info.value.hint
    assert import_bundle(brain.store, path, "other")[0].slug == "other" and not leftovers(brain)


def test_a_changed_byte_is_refused_naming_the_file_and_nothing_is_written(brain, tmp_path):
    path = bundle_of(brain)
    with tarfile.open(path) as tar:
        target = next(m for m in tar.getmembers() if m.name == "shots.toml")
    data = bytearray(path.read_bytes())
    data[target.offset_data + 10] ^= 0x01
    bad = tmp_path / "bad.moviegen.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(UsageError) as info:
        import_bundle(brain.store, bad, "tampered")
    assert info.value.message == "the bundle is damaged: shots.toml does not match its checksum; nothing was imported"
    assert not brain.store.path_of("tampered").exists() and not leftovers(brain)


def test_a_changed_header_is_refused_too(brain, tmp_path):
    path = bundle_of(brain)
    with tarfile.open(path) as tar:
        first = tar.getmembers()[0]
    data = bytearray(path.read_bytes())
    at = data.index(b" mtime=") + len(b" mtime=")  # the first member's time, in its pax header
    data[at] = ord("1") if data[at] != ord("1") else ord("2")
    bad = tmp_path / "bad.moviegen.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(UsageError, match=f"damaged: {first.name} does not match"):
        import_bundle(brain.store, bad, "tampered")
    assert not brain.store.path_of("tampered").exists() and not leftovers(brain)


def forged(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes]], listed: list[dict] | None = None) -> Path:
    """A tar with these members and a manifest listing ``listed`` (default: each regular member as it is)."""
    files = listed if listed is not None else [
        {"path": m.name, "bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for m, d in members if m.isreg()
    ]  # fmt: skip
    manifest = json.dumps({"format": "moviegen-bundle", "version": 1, "project": {"slug": "evil"},
                           "files": files}).encode()  # fmt: skip
    path = tmp_path / "forged.moviegen.tar"
    with tarfile.open(path, "w") as tar:
        for info, data in [*members, (tarfile.TarInfo(MANIFEST), manifest)]:
            if info.isreg():
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def regular(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


SETTINGS = b'title = "Evil"\n'


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, b""


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (regular("../evil", b"pwned"), "unsafe path '../evil'"),
        (regular("assets/../../evil", b"pwned"), "unsafe path 'assets/../../evil'"),
        (regular("/tmp/evil", b"pwned"), "unsafe path '/tmp/evil'"),
        (special("story/link", tarfile.SYMTYPE, "/etc/passwd"), "a link 'story/link'"),
        (special("story/hard", tarfile.LNKTYPE, "moviegen.toml"), "a link 'story/hard'"),
        (special("story/pipe", tarfile.FIFOTYPE), "a special file 'story/pipe'"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "fifo"],
)
def test_unsafe_members_are_refused_before_anything_is_written(brain, tmp_path, member, words):
    path = forged(tmp_path, [regular("moviegen.toml", SETTINGS), member])
    with pytest.raises(UsageError) as info:
        import_bundle(brain.store, path)
    assert words in info.value.message and info.value.message.endswith("nothing was imported")
    assert not (brain.store.root.parent / "evil").exists() and not Path("/tmp/evil").exists()
    assert not brain.store.path_of("evil").exists() and not leftovers(brain)


def test_the_manifest_and_the_archive_must_agree(brain, tmp_path):
    settings = regular("moviegen.toml", SETTINGS)
    entry = {"path": "moviegen.toml", "bytes": len(SETTINGS), "sha256": hashlib.sha256(SETTINGS).hexdigest()}
    cases = {
        "holds story/extra.md, which its manifest does not list": ([settings, regular("story/extra.md")], [entry]),
        "lacks story/gone.md, which its manifest lists": (
            [settings], [entry, {**entry, "path": "story/gone.md"}]),
        "holds no moviegen.toml": ([regular("story/a.md")], None),
    }  # fmt: skip
    for words, (members, listed) in cases.items():
        with pytest.raises(UsageError) as info:
            import_bundle(brain.store, forged(tmp_path, members, listed))
        assert words in info.value.message
    text = tmp_path / "notes.moviegen.tar"
    text.write_text("INT. NOT A TAR - DAY\n")
    with pytest.raises(UsageError, match="not a moviegen bundle"):
        import_bundle(brain.store, text)
    assert brain.project_slugs() == ["two"] and not leftovers(brain)


def test_a_forged_bundle_that_checks_out_is_imported_with_its_own_identity(brain, tmp_path):
    path = forged(tmp_path, [regular("moviegen.toml", SETTINGS), regular("story/logline.md", b"# Evil\n")])
    project, restored = import_bundle(brain.store, path)
    assert (project.slug, project.info.title, restored["files"]) == ("evil", "Evil", 2) and project.info.id


def test_a_bundle_waits_for_a_running_render(brain):
    project = brain.project("two")
    with exclusive(locations.render_lock(project.path), "a render of two"):
        with pytest.raises(ConflictError, match="a render of two is already running"):
            brain.export("two", "bundle")
    assert not list((project.path / "exports").glob("*.tar"))


def test_uploads_come_in_order_and_a_piece_sent_twice_counts_once(brain):
    upload_id, size = receive(brain.store, b"abc", None, 0)
    assert receive(brain.store, b"def", upload_id, 3) == (upload_id, 6)
    assert receive(brain.store, b"def", upload_id, 3) == (upload_id, 6)  # a retried call
    with pytest.raises(UsageError, match="does not follow"):
        receive(brain.store, b"ghi", upload_id, 9)
    assert upload_path(brain.store, upload_id).read_bytes() == b"abcdef"
    with pytest.raises(UsageError, match="no upload"):
        receive(brain.store, b"x", "f" * 32, 0)
    with pytest.raises(UsageError, match="not a moviegen bundle"):
        brain.project_import_bundle(upload_id)
    assert not upload_path(brain.store, upload_id).exists()  # removed either way


def test_member_names_that_stay_inside():
    assert all(map(safe_name, ["a", "assets/x.png", ".moviegen/index.sqlite", "a..b/c"]))
    assert not any(map(safe_name, ["", "/a", "../a", "a/../b", "a//b", "./a", "a/.", "a\\b", "a\0b", "a/"]))


def test_the_oldest_unfinished_uploads_are_swept(brain):
    stale, _ = receive(brain.store, b"old", None, 0)
    os.utime(upload_path(brain.store, stale), (1, 1))
    fresh, _ = receive(brain.store, b"new", None, 0)
    assert not upload_path(brain.store, stale).exists() and upload_path(brain.store, fresh).exists()
