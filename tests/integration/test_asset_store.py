"""The shared asset store against a real S3 API on loopback (moto's server, credentials checked): the same
contract for the project folder and the bucket, damaged bytes refused, a project pushed and pulled through the
brain and the CLI, and one-line errors for what goes wrong with a store."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from pathlib import Path

import pytest

from moviegen.core.errors import NotFoundError, StorageError, UsageError
from moviegen.workers.assets import CorruptAssetError, LocalAssets, S3Assets, store_for
from tests.conftest import FIXTURES, moviegen
from tests.fakes.s3_server import s3_server

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3) -> str:
    name = f"mg-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    return name


def s3_store(s3, bucket: str, **kw) -> S3Assets:
    return S3Assets(s3.url, bucket, "assets", access_key=s3.access_key, secret_key=kw.pop("secret", s3.secret_key),
                    **kw)  # fmt: skip


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalAssets(tmp_path / "project")
    s3 = request.getfixturevalue("s3")
    return s3_store(s3, request.getfixturevalue("bucket"))


def tamper(store, sha: str, ext: str, data: bytes) -> None:
    """Replace what the store holds under ``sha`` with other bytes, behind its back."""
    if isinstance(store, LocalAssets):
        store.path(sha, ext).write_bytes(data)
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.key(sha, ext), Body=data)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------------------------------------- the contract


def test_put_get_has_round_trip(store, tmp_path):
    data = os.urandom(3000)
    sha = hashlib.sha256(data).hexdigest()
    assert not store.has(sha, "png")
    assert store.put(data, "png") == sha
    assert store.has(sha, "png") and not store.has(sha, "wav")  # the extension is part of the name
    source = tmp_path / "voice.wav"
    source.write_bytes(b"RIFF" + data)
    wav = store.put(source, "wav")
    assert wav == hashlib.sha256(b"RIFF" + data).hexdigest()
    target = tmp_path / "elsewhere" / f"{sha}.png"
    assert store.get(sha, "png", target) == target
    assert target.read_bytes() == data
    assert leftovers(target.parent) == [target.name]  # no temp file stays behind
    with pytest.raises(NotFoundError):
        store.get("0" * 64, "png", tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_put_is_idempotent_and_refuses_bytes_that_are_not_their_name(store, tmp_path):
    data = b"the same still"
    sha = store.put(data, "png")
    assert store.put(data, "png") == sha == store.put(data, "png", sha=sha)
    if isinstance(store, S3Assets):
        listed = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
        assert [o["Key"] for o in listed] == [f"assets/{sha[:2]}/{sha}.png"]  # one object, shared layout
    else:
        assert leftovers(store.folder) == [f"{sha}.png"]
    other = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(CorruptAssetError):
        store.put(data, "png", sha=other)
    assert not store.has(other, "png")
    with pytest.raises(UsageError):
        store.put(data, "../png")


def test_a_damaged_asset_is_refused_and_leaves_nothing(store, tmp_path):
    data = b"a frame of the film" * 100
    sha = store.put(data, "png")
    tamper(store, sha, "png", b"not that frame")
    target = tmp_path / "fetched" / f"{sha}.png"
    with pytest.raises(CorruptAssetError) as refused:
        store.get(sha, "png", target)
    assert sha[:12] in refused.value.message and refused.value.hint
    assert not target.exists() and leftovers(target.parent) == []


def test_store_for_picks_the_bucket_only_when_one_is_configured(s3, tmp_path):
    from moviegen.core.settings import Settings

    local = store_for(Settings(), tmp_path)
    assert isinstance(local, LocalAssets) and local.describe() == {
        "kind": "local",
        "url": (tmp_path / "assets").as_uri(),
    }
    settings = Settings(assets={"s3_url": s3.url, "s3_bucket": "films", "s3_prefix": "team/"},
                        aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret_key)  # fmt: skip
    shared = store_for(settings, tmp_path)
    assert isinstance(shared, S3Assets)
    assert shared.describe() == {"kind": "s3", "url": "s3://films/team", "endpoint": s3.url, "bucket": "films",
                                 "prefix": "team"}  # fmt: skip
    assert s3.secret_key not in repr(settings) and s3.secret_key not in json.dumps(shared.describe())


# ---------------------------------------------------------------------------------------------- errors


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("case", "says", "hint"),
    [
        ("secret", "refused the credentials", "AWS_SECRET_ACCESS_KEY"),
        ("bucket", "does not exist", "MOVIEGEN_ASSETS__S3_BUCKET"),
        ("endpoint", "cannot reach the S3 asset store", "MOVIEGEN_ASSETS__S3_URL"),
    ],
)
def test_what_goes_wrong_with_a_store_is_one_line(s3, bucket, tmp_path, case, says, hint):
    store = {
        "secret": lambda: s3_store(s3, bucket, secret="not-the-secret"),
        "bucket": lambda: s3_store(s3, "no-such-bucket"),
        "endpoint": lambda: S3Assets(
            f"http://127.0.0.1:{closed_port()}", bucket, access_key="a", secret_key="b", timeout=2
        ),
    }[case]()
    for attempt in (
        store.check,
        lambda: store.put(b"x", "png"),
        lambda: store.get("a" * 64, "png", tmp_path / "a.png"),
    ):
        with pytest.raises(StorageError) as failed:
            attempt()
        assert says in failed.value.message and hint in failed.value.hint
        assert "\n" not in failed.value.summary()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------- a project


@pytest.fixture
def shared_env(s3, bucket, monkeypatch):
    from moviegen.core.settings import reset_settings

    for key, value in s3.env(bucket).items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return s3.env(bucket)


@pytest.fixture
def brain(shared_env):
    from moviegen.brain.local import LocalBrain

    brain = LocalBrain(workers=1)
    yield brain
    brain.close()


def make_project(brain, slug: str) -> tuple[Path, dict[str, bytes]]:
    """A project with four assets and no render: a report names two, the index records one, one is a leftover."""
    from moviegen.core.index import ProjectIndex

    brain.project_import(TWO_LINES, slug=slug)
    path = brain.project(slug).path
    media = {}
    for n, ext in enumerate(("png", "wav", "mp4", "png")):
        data = f"asset {n} of {slug}".encode() * 50
        rel = f"assets/{hashlib.sha256(data).hexdigest()}.{ext}"
        (path / rel).parent.mkdir(exist_ok=True)
        (path / rel).write_bytes(data)
        media[rel] = data
    names = list(media)
    (path / "renders").mkdir(exist_ok=True)
    (path / "renders" / f"{slug}.json").write_text(json.dumps({"frames": names[:2]}), encoding="utf-8")
    index = ProjectIndex(path)
    index.record("segment-key", "segment", names[2], {"made_from": names[0]})
    index.close()
    return path, media


def test_a_project_is_pushed_then_pulled_into_a_copy_without_its_media(brain, s3, bucket):
    path, media = make_project(brain, "harbour")
    names = list(media)
    pushed = brain.assets_push("harbour")
    assert pushed["store"]["url"] == "s3://" + bucket + "/assets"
    assert sorted(pushed["uploaded"]) == sorted(names) and pushed["present"] == 0 and pushed["corrupt"] == []
    assert pushed["bytes"] == sum(len(d) for d in media.values())
    again = brain.assets_push("harbour")
    assert again["uploaded"] == [] and again["present"] == 4
    keys = {o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f"assets/{n[7:9]}/{n[7:]}" for n in names}

    for rel in names:  # a clone without its media
        (path / rel).unlink()
    pulled = brain.assets_pull("harbour")
    assert sorted(pulled["downloaded"]) == sorted(names[:3])  # the leftover is referenced by nothing
    assert pulled["referenced"] == 3 and pulled["present"] == 0 and pulled["missing"] == pulled["corrupt"] == []
    assert all((path / rel).read_bytes() == media[rel] for rel in names[:3])
    assert not (path / names[3]).exists()
    assert brain.assets_pull("harbour")["downloaded"] == []


def test_pull_lists_what_neither_side_has_and_push_skips_a_damaged_file(brain, s3, bucket):
    path, media = make_project(brain, "pier")
    names = list(media)
    (path / names[1]).write_bytes(b"changed after it was made")  # its name no longer says what it holds
    pushed = brain.assets_push("pier")
    assert pushed["corrupt"] == [names[1]] and names[1] not in pushed["uploaded"]
    (path / names[1]).unlink()
    (path / names[0]).unlink()
    tampered = f"assets/{names[0][7:9]}/{names[0][7:]}"
    s3.client().put_object(Bucket=bucket, Key=tampered, Body=b"damaged in the bucket")
    pulled = brain.assets_pull("pier")
    assert pulled["missing"] == [names[1]] and pulled["corrupt"] == [names[0]] and pulled["downloaded"] == []
    assert not (path / names[0]).exists() and not (path / names[1]).exists()
    assert [p.name for p in (path / "assets").iterdir() if p.name.startswith(".")] == []


def test_push_and_pull_need_a_configured_store(tmp_path):
    from moviegen.brain.local import LocalBrain

    brain = LocalBrain(workers=1)
    try:
        brain.project_import(TWO_LINES, slug="alone")
        for op in (brain.assets_push, brain.assets_pull):
            with pytest.raises(UsageError) as refused:
                op("alone")
            assert "MOVIEGEN_ASSETS__S3_URL" in refused.value.hint
    finally:
        brain.close()


# ---------------------------------------------------------------------------------------------- the commands


def test_the_commands_push_with_a_bar_and_pull_as_json(brain, shared_env):
    from typer.testing import CliRunner

    from moviegen.cli import context
    from moviegen.cli.main import app

    path, media = make_project(brain, "quay")
    shown = CliRunner().invoke(app, ["assets", "push", "quay"])  # its own in-process brain, as a user's
    assert shown.exit_code == 0, shown.output
    assert "pushed 4 of 4 assets" in shown.stdout and "s3://" in shown.stdout
    for rel in media:
        (path / rel).unlink()
    pulled = CliRunner().invoke(app, ["assets", "pull", "quay", "--json"])
    assert pulled.exit_code == 0, pulled.output
    assert len(json.loads(pulled.stdout)["downloaded"]) == 3
    context.close()


def test_a_refused_credential_is_one_line_and_exit_1(brain, shared_env, tmp_path):
    make_project(brain, "jetty")
    env = {**shared_env, "AWS_SECRET_ACCESS_KEY": "sekrit-not-it-42", "MOVIEGEN_HOME": str(tmp_path / "home"),
           "MOVIEGEN_PROJECTS_DIR": str(brain.settings.projects_dir)}  # fmt: skip
    failed = moviegen("assets", "pull", "jetty", env=env)
    assert failed.returncode == 1
    assert "refused the credentials" in failed.stderr and "AWS_SECRET_ACCESS_KEY" in failed.stderr
    assert "Traceback" not in failed.stderr and "sekrit" not in failed.stderr and failed.stdout == ""


@pytest.mark.integration
def test_the_remote_brain_pushes_and_pulls_the_same_way(s3, bucket, tmp_path):
    """Through a brain server (another process, as a worker machine's would be): the same results, events and
    errors as in-process."""
    import asyncio

    from moviegen.brain.remote import RemoteBrain
    from tests.server.conftest import start_brain, stop_brain

    server = start_brain(tmp_path, env_extra=s3.env(bucket))
    brain = RemoteBrain(server.ws)
    try:
        brain.project_import(TWO_LINES, slug="remote")
        path = tmp_path / "projects" / "remote"
        data = b"a still the server's project references"
        rel = f"assets/{hashlib.sha256(data).hexdigest()}.png"
        (path / "assets").mkdir(exist_ok=True)
        (path / rel).write_bytes(data)
        (path / "shots-notes.md").write_text(f"see {rel}\n", encoding="utf-8")

        async def pushed_with_events():
            events, heard = brain.events("remote"), []

            async def listen():
                async for event in events:
                    heard.append(event)
                    if event["kind"] == "assets.pushed":
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.5)  # the events socket is open
            result = await asyncio.to_thread(brain.assets_push, "remote")
            await asyncio.wait_for(listener, 10)
            await events.aclose()
            return result, heard

        result, heard = asyncio.run(pushed_with_events())
        assert result["uploaded"] == [rel] and result["store"]["bucket"] == bucket
        progress = [e for e in heard if e["kind"] == "assets.progress"]
        assert progress[-1] | {"at": 0} == {"kind": "assets.progress", "project": "remote", "direction": "push",
                                            "done": 1, "total": 1, "asset": rel, "at": 0}  # fmt: skip
        (path / rel).unlink()
        assert brain.assets_pull("remote")["downloaded"] == [rel] and (path / rel).read_bytes() == data
        client = s3.client()
        client.delete_object(Bucket=bucket, Key=f"assets/{rel[7:9]}/{rel[7:]}")
        client.delete_bucket(Bucket=bucket)
        with pytest.raises(StorageError) as gone:  # the same class and words over the wire
            brain.assets_push("remote")
        assert gone.value.message == f"the bucket '{bucket}' does not exist at {s3.url}"
    finally:
        brain.close()
        stop_brain(server)
