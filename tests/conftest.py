"""Shared fixtures. Every test runs in its own temp world: MOVIEGEN_HOME, projects
dir and working directory are fresh, and no provider keys leak in.

The run leaves no process behind: every process started under it inherits SESSION_MARK in its
environment, and at the end the outermost pytest process (xdist's controller, once its workers
are gone) fails the run if any process carrying the mark is still running, and kills it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings

# Property tests run every phase but 'explain': once a test has failed, explaining traces every line with
# sys.settrace, which on a busy machine kept a failing test running past pytest-timeout's 300 s, and the
# timeout's signal handler never ended the run (a CI run hung at 96 % for 15 min). A failure is still found,
# shrunk and printed, with the example to reproduce it.
hypothesis_settings.register_profile("moviegen", phases=[p for p in Phase if p is not Phase.explain])
hypothesis_settings.load_profile("moviegen")

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
SAMPLE = SAMPLES / "lantern_road.fountain"
FIXTURES = Path(__file__).parent / "fixtures"

SESSION_MARK = "PYTEST_MOVIEGEN_SESSION"  # not MOVIEGEN_*: isolated_world and the brain fixtures drop those
LEFTOVER_WAIT = 10.0  # seconds the session's processes get to end on their own after the last test
_OWNS_MARK = pytest.StashKey[bool]()


def marked_processes(value: str, mark: str = SESSION_MARK) -> dict[int, str]:
    """Running processes whose environment holds ``mark=value`` (children inherit it), with their command
    lines. Reads /proc (Linux); a zombie has no environment left, so it is not running here."""
    needle = f"{mark}={value}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return found


def pytest_configure(config):
    if SESSION_MARK not in os.environ and Path("/proc/self/environ").exists():
        os.environ[SESSION_MARK] = uuid.uuid4().hex  # set before xdist starts its workers: they inherit it
        config.stash[_OWNS_MARK] = True


TAMPERED = ".audit-tampered-on-purpose"  # beside an audit log a test breaks to see it caught: not checked at the end


def tampered(log: Path) -> Path:
    """Mark ``log`` as broken on purpose by the test (the session's last check leaves it alone); returns it."""
    (log.parent / TAMPERED).touch()
    return log


def _audit_logs_that_do_not_verify(session) -> list[str]:
    """Every project audit trail the suite wrote (its temp folders, xdist workers' included) walked again after
    the last test: each must verify (brain/audit.py), except those a test broke on purpose."""
    from moviegen.brain.audit import verify

    try:
        root = session.config._tmp_path_factory.getbasetemp()
    except Exception:  # noqa: BLE001 - no temp folder was made: no trail to check
        return []
    bad = []
    for log in root.rglob("audit.jsonl"):
        if (log.parent / TAMPERED).exists():
            continue
        result = verify(log)
        if not result["ok"]:
            bad.append(f"{log}: {result.get('broken')}")
    return bad


@pytest.hookimpl(trylast=True)  # after xdist's own sessionfinish, which stops its workers
def pytest_sessionfinish(session):
    if not session.config.stash.get(_OWNS_MARK, False):
        return  # an xdist worker, or a pytest started by a test: the outermost run checks
    broken = _audit_logs_that_do_not_verify(session)
    if broken:
        _fail_session(session, f"{len(broken)} audit trail(s) written by the tests do not verify", broken)
    pytest_processes = _ancestors(os.getpid())
    deadline = time.monotonic() + LEFTOVER_WAIT
    while True:
        left = {
            pid: cmd
            for pid, cmd in marked_processes(os.environ[SESSION_MARK]).items()
            if pid not in pytest_processes and "exec(eval(sys.stdin.readline()))" not in cmd  # an execnet worker
        }
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if not left:
        return
    for pid in left:  # so that one leaky test does not leave the machine full of them
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    title = f"{len(left)} process(es) started by the tests still ran {LEFTOVER_WAIT:.0f} s after the last test"
    lines = [f"{pid}  {cmd[:200]}" for pid, cmd in sorted(left.items())] + ["(killed now; the run fails)"]
    _fail_session(session, title, lines)


def _fail_session(session, title: str, lines: list[str]) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", title, red=True, bold=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print(title, *lines, sep="\n", file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


SHARED_SETUPS = ("rendered", "painted_template")  # session fixtures that render or paint: worth one worker's while


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under xdist (`--dist loadgroup`, pyproject's addopts) a module with a module-scoped fixture of ours (a brain
    server, a rendered film) runs on one worker, so the fixture is set up once rather than once per worker (a test
    may also ask for it by name, with request.getfixturevalue); so do the tests sharing one of SHARED_SETUPS. A
    test that names its own group keeps it."""
    here = Path(__file__).parent
    shared, modules = {}, set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)  # pytest's record of the fixtures a test uses, indirect ones too
        for name, defs in info.name2fixturedefs.items() if info else ():
            ours = [d for d in defs if Path(d.func.__code__.co_filename).is_relative_to(here)]
            if ours and ours[-1].scope == "session" and name in SHARED_SETUPS:
                shared[item.nodeid] = name
            elif ours and ours[-1].scope == "module":
                modules.add(item.path)
    for item in items:
        group = shared.get(item.nodeid) or (item.path in modules and str(item.path.relative_to(here)))
        if group and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def isolated_world(tmp_path, monkeypatch):
    dropped = ("MOVIEGEN_", "NEO4J_", "OPENROUTER_", "OPENAI_COMPAT_", "ELEVENLABS_", "FAL_")
    for key in list(os.environ):
        if key.startswith(dropped) or key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MOVIEGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOVIEGEN_PROJECTS_DIR", str(tmp_path / "projects"))
    monkeypatch.chdir(tmp_path)
    from moviegen.cli import context
    from moviegen.core.settings import reset_settings

    reset_settings()
    context.close()
    yield
    reset_settings()
    context.close()


@pytest.fixture
def sample_text() -> str:
    if not SAMPLE.exists():  # pragma: no cover - the repo ships a copy for clones without shared/
        return (FIXTURES / "lantern_road.fountain").read_text(encoding="utf-8")
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def sample_path(tmp_path, sample_text) -> Path:
    path = tmp_path / "lantern_road.fountain"
    path.write_text(sample_text, encoding="utf-8")
    return path


def moviegen(
    *args: str, check: bool = False, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real console entry point, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "moviegen", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"moviegen {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc
