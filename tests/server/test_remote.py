"""RemoteBrain reconnects after a brain restart; events reach listeners; a stopped brain checkpoints its render."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import anyio
import pytest
from websockets.asyncio.client import connect

from moviegen.brain.remote import BrainUnavailable, RemoteBrain
from moviegen.core.errors import ProjectNotFoundError
from tests.conftest import FIXTURES, SAMPLE
from tests.server.conftest import free_port, start_brain, stop_brain


def _world(tmp_path):
    env = {**os.environ, "MOVIEGEN_HOME": str(tmp_path / "home"), "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects")}
    source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
    for args in (["import", str(source), "--slug", "lr"], ["plan", "lr"]):
        subprocess.run([sys.executable, "-m", "moviegen", *args], env=env, check=True, capture_output=True)


@pytest.mark.integration
def test_remote_brain_reconnects_after_a_restart(tmp_path, monkeypatch):
    _world(tmp_path)
    port = free_port()
    brain = start_brain(tmp_path, port=port)
    remote = RemoteBrain(brain.ws)
    try:
        assert remote.call("whoami")["role"] == "admin"
        with pytest.raises(ProjectNotFoundError, match="no project 'nope'"):
            remote.call("project_status", project_id="nope")
        stop_brain(brain)
        with pytest.raises(BrainUnavailable, match="is not answering") as info:
            remote.call("whoami")
        assert "moviegen up" in info.value.hint
        brain = start_brain(tmp_path, port=port)
        assert remote.call("project_status", project_id="lr")["slug"] == "lr"
    finally:
        remote.close()
        stop_brain(brain)


@pytest.mark.integration
def test_events_reach_listeners_and_stopping_the_brain_checkpoints_a_render(tmp_path):
    _world(tmp_path)
    brain = start_brain(tmp_path)
    remote = RemoteBrain(brain.ws)
    try:

        async def listen():
            async with connect(brain.url.replace("http", "ws") + "/events") as ws:
                await anyio.sleep(0.2)
                await anyio.to_thread.run_sync(lambda: remote.store_document("an event", {"id": "e1"}, "lr"))
                with anyio.fail_after(10):
                    while True:
                        event = json.loads(await ws.recv())
                        if event["kind"] == "memory.stored":
                            return event

        assert anyio.run(listen)["project"] == "lr"
        job = remote.call("render_start", project_id="lr", resolution="320x180")
        for _ in range(300):  # wait until the render is well under way
            status = remote.call("job_status", job_id=job["id"])
            if status["stages"].get("pictures", {}).get("done", 0) > 0 or status["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    finally:
        remote.close()
        stop_brain(brain)  # SIGTERM: the job stops at its next step, its finished steps recorded
    assert brain.proc.returncode in (0, -15)  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert "Traceback" not in brain.log.read_text()
    env = {**os.environ, "MOVIEGEN_HOME": str(tmp_path / "home"), "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects")}
    report = json.loads(
        subprocess.run(
            [sys.executable, "-m", "moviegen", "render", "lr", "--resolution", "320x180", "--workers", "1", "--json"],
            env=env, check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    assert sum(report["cached"].values()) > 0  # what the brain finished before it stopped was reused


@pytest.mark.integration
def test_remote_and_local_brains_are_one_protocol(brain):
    """The same requests give byte-identical results in-process and through the server."""
    from pathlib import Path

    from moviegen.brain.local import LocalBrain
    from moviegen.core.brain import Brain, CharacterLook, ImageRequest, MusicRequest, SpeechRequest, TextRequest
    from moviegen.core.settings import Settings

    same_world = Settings(projects_dir=Path(brain.env["MOVIEGEN_PROJECTS_DIR"]), home=Path(brain.env["MOVIEGEN_HOME"]))
    remote, local = RemoteBrain(brain.ws), LocalBrain(same_world)
    try:
        assert isinstance(remote, Brain) and isinstance(local, Brain)
        assert remote.providers() == local.providers()
        text = TextRequest(project_id="lantern-road", task="story.develop", prompt="A keeper and a storm", seed=3)
        assert remote.generate_text(text) == local.generate_text(text)
        image = ImageRequest(project_id="lantern-road", prompt="a lamp room", width=320, height=180, location="SIGNAL TOWER", time_of_day="NIGHT",
                             framing="medium", characters=[CharacterLook(name="TOMAS", color="#aa3322", slot=1)])  # fmt: skip
        assert remote.generate_image(image).png == local.generate_image(image).png
        speech = SpeechRequest(
            project_id="lantern-road", text="Fifty-nine minutes.", voice="en-us+m3", pitch=40, rate=150
        )
        assert remote.generate_speech(speech).pcm == local.generate_speech(speech).pcm
        music = MusicRequest(project_id="lantern-road", duration=2.0, mood="tense")
        assert remote.generate_music(music).pcm == local.generate_music(music).pcm
    finally:
        remote.close()
        local.close()


class FrontDoor:
    """A TCP front for a real brain on 127.0.0.1 that answers the first ``refuse`` connections with the brain's
    own 408 (its head came too late, as a stalled client's does) and passes the others through."""

    def __init__(self, target_port: int, refuse: int) -> None:
        import socket
        import threading

        self.target, self.refuse, self.seen = target_port, refuse, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket
        import threading

        from moviegen.brain.server.door import TOO_SLOW

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.seen += 1
            if self.seen <= self.refuse:
                conn.recv(65536)
                conn.sendall(TOO_SLOW.raw())
                conn.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.mark.integration
def test_a_408_for_a_head_that_came_too_late_is_tried_once_more_on_a_new_connection(tmp_path):
    """Seen in CI: a client stalled between its TLS handshake and its request head on a loaded machine, and the
    brain's slow-head guard answered 408. HTTP lets a client retry a 408 on a new connection; RemoteBrain does,
    once — a brain that keeps refusing is still one clear line."""
    _world(tmp_path)
    brain = start_brain(tmp_path)
    port = int(brain.url.rsplit(":", 1)[1])
    once, always = FrontDoor(port, refuse=1), FrontDoor(port, refuse=99)
    try:
        remote = RemoteBrain(f"ws://127.0.0.1:{once.port}/mcp/ws")
        try:
            assert remote.call("whoami")["role"] == "admin" and once.seen == 2
        finally:
            remote.close()
        stubborn = RemoteBrain(f"ws://127.0.0.1:{always.port}/mcp/ws")
        with pytest.raises(BrainUnavailable, match="refused the connection: no complete request head"):
            stubborn.call("whoami")
        assert always.seen == 2  # tried twice, not forever
    finally:
        once.close()
        always.close()
        stop_brain(brain)
