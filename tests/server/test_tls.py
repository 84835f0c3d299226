"""Transport security: a brain serving HTTPS/WSS, clients that verify it (a CA file for a self-signed one), the
refusal to serve off loopback in clear text, and the limit on wrong tokens per address."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from moviegen.brain.remote import BrainUnavailable, RemoteBrain
from moviegen.brain.server.auth import TokenStore
from tests.server.conftest import free_port, start_brain, stop_brain

pytestmark = pytest.mark.integration

ATTEMPTS, COOLDOWN = 3, 2.0  # the TLS brain's limit on wrong tokens: short, so the test waits out the block


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, names=()):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Certs:
    ca: Path  # the test CA's certificate: what --ca is given
    cert: Path  # the brain's certificate for 127.0.0.1 and localhost, signed by the CA
    key: Path
    own: Path  # a self-signed certificate for brain.example only (not 127.0.0.1), and its key
    own_key: Path


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    """A CA of our own and a server certificate it signed (what trustme does, in a few lines of cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    root = tmp_path_factory.mktemp("certs")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("moviegen test CA", ca_key, "moviegen test CA", ca_key, ca=True)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = _certificate("brain", key, "moviegen test CA", ca_key, ca=False, names=names)
    pem = serialization.Encoding.PEM
    (root / "ca.pem").write_bytes(ca.public_bytes(pem))
    (root / "brain.pem").write_bytes(cert.public_bytes(pem))
    own_key = ec.generate_private_key(ec.SECP256R1())
    own = _certificate("brain.example", own_key, "brain.example", own_key, ca=False,
                       names=[x509.DNSName("brain.example")])  # fmt: skip
    (root / "own.pem").write_bytes(own.public_bytes(pem))
    for name, k in (("brain.key", key), ("own.key", own_key)):
        (root / name).write_bytes(k.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (root / name).chmod(0o600)  # a private key is its owner's (the brain refuses one others may read)
    return Certs(ca=root / "ca.pem", cert=root / "brain.pem", key=root / "brain.key", own=root / "own.pem",
                 own_key=root / "own.key")  # fmt: skip


@dataclass
class TlsBrain:
    port: int
    env: dict
    proc: subprocess.Popen
    home: Path

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def wss(self) -> str:
        return f"wss://127.0.0.1:{self.port}/mcp/ws"


@pytest.fixture(scope="module")
def tls_brain(tmp_path_factory, certs):
    root = tmp_path_factory.mktemp("tls-brain")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(root / "home"), MOVIEGEN_PROJECTS_DIR=str(root / "projects"),
               MOVIEGEN_LOGIN_ATTEMPTS=str(ATTEMPTS), MOVIEGEN_LOGIN_COOLDOWN=str(COOLDOWN))  # fmt: skip
    port = free_port()
    log = open(root / "brain.log", "w")  # noqa: SIM115 - the brain's for its life
    proc = subprocess.Popen(
        [sys.executable, "-m", "moviegen", "brain", "serve", "--port", str(port), "--workers", "1",
         "--tls-cert", str(certs.cert), "--tls-key", str(certs.key)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    brain = TlsBrain(port=port, env=env, proc=proc, home=root / "home")
    trust = ssl.create_default_context(cafile=str(certs.ca))
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(brain.https + "/healthz", timeout=1, verify=trust).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"the TLS brain did not start:\n{(root / 'brain.log').read_text()[-3000:]}")
        time.sleep(0.1)
    yield brain
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_with_the_ca_a_tool_call_and_the_events_go_over_wss(tls_brain, certs):
    remote = RemoteBrain(tls_brain.wss, ca=str(certs.ca))
    try:
        assert remote.whoami()["name"] == "local user"
        assert remote.base_url == tls_brain.https

        async def first_event():
            async for event in remote.events():  # the studio's own connection for live changes
                return event

        async def main():
            async with anyio.create_task_group() as tg:
                got = {}

                async def listen():
                    got["event"] = await first_event()

                tg.start_soon(listen)
                await anyio.sleep(0.5)  # subscribed before the change
                await anyio.to_thread.run_sync(lambda: remote.project_create("A lighthouse keeper's last night",
                                                                             slug="lighthouse"))  # fmt: skip
                with anyio.fail_after(10):
                    while "event" not in got:
                        await anyio.sleep(0.05)
            return got["event"]

        event = anyio.run(main)
        assert (event["kind"], event["project"]) == ("project.created", "lighthouse")
    finally:
        remote.close()
    health = httpx.get(tls_brain.https + "/healthz", verify=ssl.create_default_context(cafile=str(certs.ca)))
    assert health.json()["status"] == "ok"


def test_without_the_ca_the_certificate_does_not_verify_in_one_line(tls_brain):
    with pytest.raises(BrainUnavailable) as info:
        RemoteBrain(tls_brain.wss).whoami()  # the system's trust store has never heard of our CA
    err = info.value
    assert err.message.startswith(f"the brain at {tls_brain.wss} presented a certificate that does not verify (")
    assert "certificate" in err.message.split("(", 1)[1] and "\n" not in err.message
    assert "--ca FILE" in err.hint


def test_the_cli_verifies_with_the_global_ca_option(tls_brain, certs):
    env = {**tls_brain.env, "MOVIEGEN_BRAIN_URL": tls_brain.wss, "COLUMNS": "400"}  # the error panel on one line
    run = [sys.executable, "-m", "moviegen"]
    ok = subprocess.run([*run, "--ca", str(certs.ca), "list", "--json"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert isinstance(json.loads(ok.stdout), list)
    refused = subprocess.run([*run, "list", "--json"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "presented a certificate that does not verify" in refused.stderr and "--ca FILE" in refused.stderr


def test_a_wrong_ca_file_is_one_line_before_any_connection(tmp_path, tls_brain):
    from moviegen.core.errors import UsageError

    with pytest.raises(UsageError, match="no CA file at"):
        RemoteBrain(tls_brain.wss, ca=str(tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(UsageError, match="holds no certificate"):
        RemoteBrain(tls_brain.wss, ca=str(tmp_path / "junk.pem"))


def test_plain_ws_to_the_tls_port_fails_clearly(tls_brain):
    with pytest.raises(BrainUnavailable) as info:
        RemoteBrain(f"ws://127.0.0.1:{tls_brain.port}/mcp/ws").whoami()
    assert "did not answer as a WebSocket server" in info.value.message
    assert "wss://" in info.value.hint


def test_bad_tls_files_are_refused_in_one_line(tmp_path, certs):
    from moviegen.brain.server.run import check_bind
    from moviegen.core.errors import UsageError

    with pytest.raises(UsageError, match="no TLS key at"):
        check_bind("127.0.0.1", free_port(), False, (str(certs.cert), str(tmp_path / "nope.key")))
    with pytest.raises(UsageError, match="cannot serve TLS with"):  # a key that is not the certificate's
        check_bind("127.0.0.1", free_port(), False, (str(certs.cert), str(certs.ca)))


def test_off_loopback_without_tls_is_refused_unless_insecure(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(tmp_path / "home"), MOVIEGEN_PROJECTS_DIR=str(tmp_path / "projects"))
    port = str(free_port())
    refused = subprocess.run([sys.executable, "-m", "moviegen", "brain", "serve", "--host", "0.0.0.0", "--port", port],
                             env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    assert "refusing to serve on 0.0.0.0 without TLS" in refused.stderr and "--tls-cert" in refused.stderr
    brain = start_brain(tmp_path, "--insecure", host="0.0.0.0")
    try:  # it serves, off loopback a token is still required
        assert httpx.get(brain.url + "/healthz").status_code == 200
    finally:
        stop_brain(brain)
    assert brain.proc.returncode == 0


def test_up_with_tls_records_wss_and_its_clients_pin_its_certificate(certs):
    """`moviegen up --tls-cert`: the state file says wss:// and names the certificate, which the CLI and the studio
    (daemon.remote_brain) then trust without --ca, even one self-signed for another name."""
    from moviegen.brain import daemon

    record, started = daemon.up("127.0.0.1", free_port(), 1, tls=(str(certs.own), str(certs.own_key)))
    try:
        assert started and record["ws"].startswith("wss://127.0.0.1:") and record["url"].startswith("https://")
        assert record["tls_cert"] == str(certs.own)
        remote = daemon.remote_brain()
        try:
            assert remote.url == record["ws"] and remote.whoami()["name"] == "local user"
        finally:
            remote.close()
        with pytest.raises(BrainUnavailable, match="does not verify"):
            RemoteBrain(record["ws"], ca=str(certs.ca)).whoami()  # another CA: not this brain's
        with pytest.raises(BrainUnavailable) as info:  # --ca checks the name too: this one is for brain.example
            RemoteBrain(record["ws"], ca=str(certs.own)).whoami()
        assert "address mismatch" in info.value.message and "name or address the certificate" in info.value.hint
    finally:
        assert daemon.down()["killed"] is False


def test_wrong_tokens_block_the_address_for_a_cooldown(tls_brain, certs):
    """Last in this module: it blocks 127.0.0.1 on the module's brain, then waits the block out."""
    good = TokenStore(tls_brain.home / "tokens.json").create("script")
    trust = ssl.create_default_context(cafile=str(certs.ca))

    def metrics(token: str) -> httpx.Response:
        return httpx.get(tls_brain.https + "/metrics", headers={"Authorization": f"Bearer {token}"}, verify=trust)

    assert metrics(good).status_code == 200
    statuses = [metrics(f"mgt_guess{i}").status_code for i in range(ATTEMPTS)]
    assert statuses == [401] * (ATTEMPTS - 1) + [429]  # the attempt that reaches the limit is refused as such
    blocked = metrics(good)  # the address is blocked: a good token too (a guesser learns nothing from a hit)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert httpx.get(tls_brain.https + "/healthz", verify=trust).status_code == 200  # open, as ever
    with pytest.raises(BrainUnavailable) as info:  # the WebSocket is refused the same way (before its handshake)
        RemoteBrain(tls_brain.wss, good, ca=str(certs.ca)).whoami()
    assert "too many failed logins from 127.0.0.1" in info.value.message and "wait" in info.value.hint
    time.sleep(COOLDOWN + 0.2)
    assert metrics(good).status_code == 200
    remote = RemoteBrain(tls_brain.wss, good, ca=str(certs.ca))
    try:
        assert remote.whoami()["name"] == "script"
    finally:
        remote.close()


def test_failures_count_within_the_window_and_a_success_clears_them():
    from moviegen.brain.server.limits import LoginLimiter

    now = [0.0]
    limiter = LoginLimiter(attempts=3, window=10.0, cooldown=30.0, clock=lambda: now[0])
    assert not limiter.failed("10.0.0.7") and not limiter.failed("10.0.0.7")
    now[0] = 11.0  # those two have left the window
    assert not limiter.failed("10.0.0.7") and not limiter.failed("10.0.0.7")
    limiter.succeeded("10.0.0.7")
    assert not limiter.failed("10.0.0.7") and not limiter.failed("10.0.0.7")
    assert limiter.failed("10.0.0.7") and limiter.blocked("10.0.0.7") == 30.0
    assert limiter.blocked("10.0.0.8") == 0.0 and limiter.blocked("10.0.0.7", user="ana") == 0.0  # keys apart
    now[0] = 41.0
    assert limiter.blocked("10.0.0.7") == 0.0 and not limiter.failed("10.0.0.7")  # a fresh count after the block
