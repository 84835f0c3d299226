"""The local brain daemon: `moviegen up` / `down` / `logs`, with a pid file and a log under MOVIEGEN_HOME."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from moviegen.core import locations
from moviegen.core.errors import MoviegenError, UsageError


def pid_file() -> Path:
    return locations.home_dir() / "brain.pid"


def log_file() -> Path:
    return locations.home_dir() / "brain.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed daemon whose parent never reaped it is a zombie: gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def running() -> dict | None:
    """The daemon's record if it is running; a stale pid file (the process is gone) is removed."""
    path = pid_file()
    try:
        record = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(int(record.get("pid", 0))):
        path.unlink(missing_ok=True)
        return None
    return record


def healthy(url: str, timeout: float = 1.0, verify=True) -> bool:
    """Whether /healthz answers 200; ``verify``: an ``ssl.SSLContext`` for an https:// brain (else the system's)."""
    import httpx

    try:
        return httpx.get(url + "/healthz", timeout=timeout, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def up(
    host: str,
    port: int,
    workers: int,
    wait: float = 60.0,
    tls: tuple[str, str] | None = None,
    insecure: bool = False,
    processes: int = 1,
) -> tuple[dict, bool]:
    """Start the daemon (or find it running). Returns (record, started_now). With ``tls`` (certificate file,
    key file) it serves https/wss, and the record names the certificate, which this user's clients then pin."""
    from moviegen.brain.server.run import check_bind

    stale = pid_file().exists()
    record = running()
    if record is not None:
        return record, False
    if tls is not None:
        tls = (str(Path(tls[0]).resolve()), str(Path(tls[1]).resolve()))
    check_bind(host, port, False, tls, insecure)
    extra = (["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []) + (["--insecure"] if insecure else [])
    extra += ["--processes", str(processes)] if processes > 1 else []
    log = log_file()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        out.write(f"\n--- moviegen up {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
        out.flush()
        proc = subprocess.Popen(
            [sys.executable, "-m", "moviegen", "brain", "serve", "--host", host, "--port", str(port), "--workers", str(workers), *extra],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    url = f"{'https' if tls else 'http'}://{_reachable(host)}:{port}"
    record = {"pid": proc.pid, "host": host, "port": port, "url": url, "ws": url.replace("http", "ws", 1) + "/mcp/ws",
              "tls_cert": tls[0] if tls else None, "started": time.time(), "recovered_stale_pid_file": stale}  # fmt: skip
    verify = _trust(record) or True
    deadline = time.time() + wait
    while not healthy(url, verify=verify):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-5:]).strip()
            raise MoviegenError(f"the brain did not start: {tail[-300:]}", f"see {log}")
        time.sleep(0.1)
    tmp = pid_file().with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(pid_file())
    return record, True


STOP_TIMEOUT = 5.0  # seconds `moviegen down` waits for a graceful stop before it kills


def down(timeout: float = STOP_TIMEOUT) -> dict | None:
    """Stop the daemon: SIGTERM, then up to ``timeout`` seconds for its graceful stop (running renders stop at
    a step and resume later; it stops its render workers itself), then SIGKILL to its whole process group
    (``up`` starts it in a session of its own, so the group is the brain and everything it started).
    Returns its record with ``stop_seconds`` and ``killed`` (whether the graceful stop ran out of time)."""
    record = running()
    if record is None:
        return None
    pid = int(record["pid"])
    group = _group_led_by(pid)
    os.kill(pid, signal.SIGTERM)
    start = time.time()
    while _alive(pid) and time.time() < start + timeout:
        _reap(pid)
        time.sleep(0.05)
    killed = _alive(pid)
    if group is not None:  # what is left of the group (nothing, after a graceful stop) ends now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    elif killed:
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    pid_file().unlink(missing_ok=True)
    return {**record, "stop_seconds": round(time.time() - start, 2), "killed": killed}


def _group_led_by(pid: int) -> int | None:
    """``pid``'s process group if ``pid`` leads it (a daemon ``up`` started), else None: never kill a group
    the daemon merely belongs to."""
    try:
        return pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(lines: int) -> list[str]:
    path = log_file()
    if not path.exists():
        raise UsageError("the brain has no log yet", "start it with 'moviegen up'")
    return path.read_text(errors="replace").splitlines()[-lines:]


def _reachable(host: str) -> str:
    """The address a client on this machine reaches a brain bound to ``host`` at."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _trust(record: dict):
    """The TLS context that trusts a daemon's own certificate (pinned), or None for a plain one."""
    if not record.get("tls_cert"):
        return None
    from moviegen.brain.tls import pinned_context

    return pinned_context(record["tls_cert"])


def remote_brain():
    """The running brain's client (a RemoteBrain) for the CLI and the studio, or None when there is none:
    MOVIEGEN_BRAIN_URL (with MOVIEGEN_BRAIN_TOKEN), else the daemon 'moviegen up' started. A wss:// brain is
    verified against MOVIEGEN_BRAIN_CA (the global --ca) when set, else the daemon's own certificate, else the
    system's trust store."""
    url, token = brain_url()
    if url is None:
        return None
    from moviegen.brain.remote import RemoteBrain
    from moviegen.brain.tls import ca_from_env

    ca = ca_from_env()
    if ca is None and not os.environ.get("MOVIEGEN_BRAIN_URL"):
        record = running()
        ca = _trust(record) if record is not None and record.get("ws") == url else None
    if token is None:  # a person's login ('moviegen login'), refreshed at each connection when about to expire
        from moviegen.brain import session

        if session.token_for(url, ca) is not None:
            token = functools.partial(session.token_for, url, ca)
    return RemoteBrain(url, token, ca=ca)


def brain_url() -> tuple[str | None, str | None]:
    """(url, token) of the brain the CLI should use: MOVIEGEN_BRAIN_URL, else a running daemon, else none."""
    url = os.environ.get("MOVIEGEN_BRAIN_URL")
    token = os.environ.get("MOVIEGEN_BRAIN_TOKEN")
    if url:
        return url, token
    record = running()
    if record is not None:
        return record["ws"], token
    return None, None
