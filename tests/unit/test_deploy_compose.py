"""docs/deploy/compose.yaml (and docs/deploy.md) against the real moviegen: every moviegen command the file runs
(command, entrypoint, healthcheck, a shell's ``sh -c``) is a real command path with real options and values, found
by walking the CLI's click tree (not by reading --help); every setting it passes to a moviegen process (environment,
env files, the Dockerfile's ENV) is one the settings model reads, found by walking the pydantic models along
``__``; and the services, volumes, files and the proxy's upstream it names exist."""

from __future__ import annotations

import re
import shlex
import typing
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel

yaml = pytest.importorskip("yaml")  # PyYAML: the test extra's moto brings it

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SHELL_OPS = {";", "&&", "||", "|", "&", "(", ")", "{", "}"}
NOT_MOVIEGEN = {"PYTHONUNBUFFERED", "PATH", "TZ"}  # read by Python or the system, not the settings model
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# ---------------------------------------------------------------------- moviegen commands
# typer builds its command tree on a click of its own (typer._click in typer 0.29, click before): the walk below
# asks the objects what they are (param_type_name, commands) rather than isinstance against one click or the other
def cli_root():
    from moviegen.cli.main import app

    return typer.main.get_command(app)


def _is_group(cmd) -> bool:
    return hasattr(cmd, "list_commands")


def _options(cmd) -> dict[str, object]:
    return {
        name: p
        for p in cmd.params
        if p.param_type_name == "option"
        for name in (*p.opts, *getattr(p, "secondary_opts", ()))
    }


def _arguments(cmd) -> list:
    return [p for p in cmd.params if p.param_type_name == "argument"]


def _value_problem(param, value: str, ctx) -> str | None:
    if "$" in value:  # interpolated by compose or the shell: its value is not known here
        return None
    given = [value] if param.multiple or param.nargs != 1 else value
    try:
        if hasattr(param, "get_runtime_param"):  # typer's own coercion (types, min/max, choices)
            param.get_runtime_param().coerce(given, param=param, ctx=ctx)
        else:
            param.type.convert(value, param, ctx)
    except Exception as exc:  # noqa: BLE001 - click's and typer's BadParameter alike
        return f"bad value '{value}' for {param.opts[0]}: {getattr(exc, 'message', None) or exc}"
    return None


def command_problems(argv: list[str], root=None) -> list[str]:
    """What is wrong with ``argv`` (``["moviegen", ...]``) as a moviegen command line: unknown commands, unknown
    options, options missing a value, values their type refuses, too many arguments, required ones missing."""
    cmd = root or cli_root()
    path, i, given, positional = ["moviegen"], 1, set(), 0
    ctx = typer.Context(cmd)
    while i < len(argv):
        tok = argv[i]
        i += 1
        where = " ".join(path)
        if tok.startswith("-") and tok not in ("-", "--"):
            name, eq, value = tok.partition("=")
            opt = _options(cmd).get(name)
            if opt is None:
                known = ", ".join(sorted(o for o in _options(cmd) if o.startswith("--")))
                return [f"{where}: no option '{name}' (it has: {known})"]
            given.add(opt.name)
            if opt.is_flag or getattr(opt, "count", False):
                if eq:
                    return [f"{where}: {name} is a flag and takes no value"]
                continue
            if not eq:
                if i >= len(argv) or argv[i] in SHELL_OPS:
                    return [f"{where}: {name} needs a value"]
                value, i = argv[i], i + 1
            if problem := _value_problem(opt, value, ctx):
                return [f"{where}: {problem}"]
        elif _is_group(cmd) and positional == 0:
            sub = cmd.get_command(ctx, tok)
            if sub is None:
                return [f"{where}: no command '{tok}' (it has: {', '.join(sorted(cmd.list_commands(ctx)))})"]
            cmd, ctx, given = sub, typer.Context(sub, parent=ctx), set()
            path.append(tok)
        else:
            room = sum(10**6 if a.nargs == -1 else a.nargs for a in _arguments(cmd))
            if positional >= room:
                return [f"{where}: unexpected argument '{tok}'"]
            positional += 1
    where = " ".join(path)
    if _is_group(cmd) and not cmd.invoke_without_command:
        return [f"{where}: is a group; name one of its commands ({', '.join(sorted(cmd.list_commands(ctx)))})"]
    missing = [p.opts[0] for p in _options(cmd).values() if p.required and p.name not in given]
    needed = sum(a.nargs for a in _arguments(cmd) if a.required and a.nargs > 0)
    if missing:
        return [f"{where}: missing required option {', '.join(dict.fromkeys(missing))}"]
    if positional < needed:
        return [f"{where}: missing a required argument"]
    return []


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell line (split at ; && || | and groupings; a leading exec dropped)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|(){}")
    lexer.whitespace_split = True
    commands, current = [], []
    for tok in lexer:
        if tok in SHELL_OPS:
            commands.append(current)
            current = []
        else:
            current.append(tok)
    commands.append(current)
    return [c[1:] if c[:1] == ["exec"] else c for c in commands if c]


def moviegen_argvs(argv: list[str]) -> list[list[str]]:
    """The moviegen invocation in a simple command: directly, behind a wrapper (tini, ``docker compose exec
    SERVICE``, ``VAR=value``), or inside ``sh -c``."""
    if len(argv) >= 3 and Path(argv[0]).name in ("sh", "bash") and argv[1] == "-c":
        return [a for cmd in shell_commands(argv[2]) for a in moviegen_argvs(cmd)]
    for k, tok in enumerate(argv):
        if tok == "moviegen" or tok.endswith("/bin/moviegen"):
            return [["moviegen", *argv[k + 1 :]]]
    return []


def _argv(value) -> list[str]:
    if value is None:
        return []
    return list(map(str, value)) if isinstance(value, list) else shlex.split(str(value))


def service_invocations(service: dict) -> list[tuple[str, list[str]]]:
    found = [("command", a) for a in moviegen_argvs(_argv(service.get("entrypoint")) + _argv(service.get("command")))]
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list) and test[:1] == ["CMD"]:
        found += [("healthcheck", a) for a in moviegen_argvs(test[1:])]
    elif isinstance(test, list) and test[:1] == ["CMD-SHELL"] or isinstance(test, str):
        script = test[1] if isinstance(test, list) else test
        found += [("healthcheck", a) for cmd in shell_commands(script) for a in moviegen_argvs(cmd)]
    return found


# ---------------------------------------------------------------------- settings
def _model_of(annotation) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _is_mapping(annotation) -> bool:
    return any(typing.get_origin(c) is dict or c is dict for c in (annotation, *typing.get_args(annotation)))


def aliases() -> dict[str, str]:
    """Environment names the settings read by their conventional name (NEO4J_URI, AWS_ACCESS_KEY_ID, ...)."""
    from moviegen.core.settings import Settings

    found = {}
    for name, field in Settings.model_fields.items():
        for choice in getattr(field.validation_alias, "choices", ()):
            found[str(choice)] = name
    return found


def setting_problem(env: str) -> str | None:
    """Why the settings model would not read ``env``, or None when it does."""
    from moviegen.core.settings import Settings

    if not env.startswith("MOVIEGEN_"):
        return None if env in aliases() or env in NOT_MOVIEGEN else f"{env}: no setting reads it"
    model: type[BaseModel] = Settings
    parts = env.removeprefix("MOVIEGEN_").lower().split("__")
    for k, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            known = ", ".join(sorted(model.model_fields))
            return f"{env}: {model.__name__} has no setting '{part}' (it has: {known})"
        if model is Settings and field.validation_alias is not None:
            return f"{env}: read only as {' or '.join(map(str, field.validation_alias.choices))}"
        if k == len(parts) - 1:
            return None
        if _is_mapping(field.annotation):
            return None  # a dict setting: its keys are free
        sub = _model_of(field.annotation)
        if sub is None:
            return f"{env}: '{part}' is a single setting, not a group"
        model = sub
    return None


def env_file_entries(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file, commented-out examples (``# KEY=value``) included."""
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            entries[m[1]] = m[2]
    return entries


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


# ---------------------------------------------------------------------- the whole file
def compose_problems(doc: dict, folder: Path = DEPLOY) -> list[str]:
    problems: list[str] = []
    services = doc.get("services") or {}
    volumes = set(doc.get("volumes") or {})
    root, published = cli_root(), {}
    for name, service in services.items():
        runs_moviegen = False
        for where, argv in service_invocations(service):
            runs_moviegen = True
            problems += [f"services.{name}.{where}: {p}" for p in command_problems(argv, root)]
        if runs_moviegen:
            env = _environment(service)
            env_files = service.get("env_file") or []
            for env_file in [env_files] if isinstance(env_files, str) else env_files:
                example = folder / f"{env_file}.example"
                if not example.is_file():
                    problems.append(f"services.{name}.env_file: no {example.name} beside the compose file")
                    continue
                env |= env_file_entries(example)
            problems += [f"services.{name}.environment: {p}" for p in map(setting_problem, env) if p]
        deps = service.get("depends_on") or []
        for dep in deps if isinstance(deps, list) else list(deps):
            if dep not in services:
                problems.append(f"services.{name}.depends_on: no service '{dep}'")
        for port in service.get("ports") or []:
            m = re.fullmatch(r"(?:([\d.]+):)?(\d+):(\d+)(?:/(tcp|udp))?", str(port))
            if not m:
                problems.append(f"services.{name}.ports: cannot read '{port}'")
                continue
            key = (m[1] or "0.0.0.0", m[2], m[4] or "tcp")
            if key in published:
                problems.append(f"services.{name}.ports: {port} is published by '{published[key]}' too")
            published[key] = name
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith((".", "/")):
                if not (folder / source).exists():
                    problems.append(f"services.{name}.volumes: no file {source}")
            elif source not in volumes:
                problems.append(f"services.{name}.volumes: volume '{source}' is not declared under volumes:")
        build = service.get("build")
        if isinstance(build, dict):
            context = folder / build.get("context", ".")
            if not (context / build.get("dockerfile", "Dockerfile")).is_file():
                problems.append(f"services.{name}.build: no {build.get('dockerfile')} in {context}")
    return problems


def required_variables(text: str) -> set[str]:
    """${VAR} and ${VAR:?message} (no default): compose needs them from .env."""
    return {m[1] for m in VAR.finditer(text) if m[2] in (None, ":?", "?")}


# ---------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_the_compose_file_is_consistent_with_the_real_cli_and_settings(compose):
    problems = compose_problems(compose)
    assert not problems, "\n".join(problems)


def test_it_runs_the_scaled_setup(compose):
    services = compose["services"]
    assert {"proxy", "brain", "worker", "redis", "neo4j", "minio", "minio-init", "scheduler"} <= set(services)
    commands = {name: [a[1:] for _, a in service_invocations(s)] for name, s in services.items()}
    assert commands["brain"][0][:2] == ["brain", "serve"] and services["brain"]["deploy"]["replicas"] == 2
    assert commands["worker"][0][0] == "worker" and services["worker"]["deploy"]["replicas"] == 2
    assert commands["scheduler"][0][:2] == ["schedule", "beat"] and "deploy" not in services["scheduler"]
    for name in ("brain", "redis", "neo4j", "minio"):
        assert services[name].get("healthcheck"), f"{name} has no healthcheck"
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"proxy", "minio"}  # the brains, Redis and Neo4j are reached through the proxy or not
    assert all(p.startswith("127.0.0.1:") for p in published["minio"])  # MinIO's console: this machine only
    assert "volumes" not in services["worker"]  # workers share no disk: the S3 store carries the assets


def test_every_secret_it_needs_is_in_the_env_example():
    needed = required_variables(COMPOSE.read_text(encoding="utf-8"))
    example = env_file_entries(DEPLOY / ".env.example")
    assert needed and not needed - set(example), f"missing from .env.example: {sorted(needed - set(example))}"


def test_the_proxy_sends_to_the_brain_service_on_its_port(compose):
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    upstream = re.search(r"dynamic a (\S+) (\d+)", caddyfile)
    assert upstream, "the Caddyfile names no dynamic upstream"
    service, port = upstream[1], upstream[2]
    assert service in compose["services"], f"the proxy's upstream '{service}' is not a service"
    argv = service_invocations(compose["services"][service])[0][1]
    assert argv[argv.index("--port") + 1] == port
    assert argv[argv.index("--host") + 1] not in ("127.0.0.1", "localhost", "::1")  # the proxy must reach it


def test_the_settings_the_stack_passes_make_valid_settings(compose, monkeypatch):
    """Beyond the names: the values (an executor, a backend, the schedule's times) are ones the model accepts."""
    from moviegen.brain import schedule
    from moviegen.core.settings import Settings

    env = _environment(compose["services"]["scheduler"]) | env_file_entries(DEPLOY / "moviegen.env.example")
    for key, value in env.items():
        if key.startswith("MOVIEGEN_") and "$" not in value:
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.executor == "celery" and settings.knowledge.backend == "neo4j"
    assert [j.name for j in schedule.jobs(settings)] == ["gc", "nightly"] and schedule.zone(settings)


def test_the_dockerfile_sets_only_real_settings():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    names = re.findall(r"\b(MOVIEGEN_[A-Z0-9_]+)=", text)
    assert names and not [p for p in map(setting_problem, names) if p]


def test_every_moviegen_command_in_the_walkthrough_is_real():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, re.S)
    lines = [ln for block in blocks for ln in block.replace("\\\n", " ").splitlines() if ln.strip()]
    argvs = [
        a for ln in lines if not ln.lstrip().startswith("#") for c in shell_commands(ln) for a in moviegen_argvs(c)
    ]
    assert len(argvs) >= 8, "the walk-through runs moviegen commands"
    problems = [f"{' '.join(a)}: {p}" for a in argvs for p in command_problems(a)]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------- and it would tell
BAD = """
services:
  worker:
    image: moviegen:local
    command: moviegen worker --queues render --concurency 2
    environment:
      MOVIEGEN_ASSETS__S3_BUKET: films
      MOVIEGEN_REDIS_URL: redis://redis:6379/0
      NEO4J_PASWORD: x
    depends_on: [redis]
    volumes: [scratch:/tmp]
  brain:
    image: moviegen:local
    command: ["moviegen", "brain", "serv", "--port", "8002"]
    healthcheck:
      test: ["CMD-SHELL", "moviegen brain serve --port eighty || exit 1"]
    ports: ["8002:8002", "8002:8002"]
"""


def test_a_bogus_command_option_or_setting_is_named_exactly():
    problems = compose_problems(yaml.safe_load(BAD))
    assert problems[0].startswith("services.worker.command: moviegen worker: no option '--concurency' (it has: ")
    assert "--concurrency" in problems[0]
    assert problems[1].startswith("services.worker.environment: MOVIEGEN_ASSETS__S3_BUKET: AssetSettings has no "
                                  "setting 's3_buket' (it has: ")  # fmt: skip
    assert problems[2] == "services.worker.environment: NEO4J_PASWORD: no setting reads it"
    assert problems[3] == "services.worker.depends_on: no service 'redis'"
    assert problems[4] == "services.worker.volumes: volume 'scratch' is not declared under volumes:"
    assert problems[5].startswith("services.brain.command: moviegen brain: no command 'serv' (it has: ")
    assert problems[6].startswith("services.brain.healthcheck: moviegen brain serve: bad value 'eighty' for --port")
    assert problems[7] == "services.brain.ports: 8002:8002 is published by 'brain' too"
    assert len(problems) == 8


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        ("moviegen worker --concurrency", "moviegen worker: --concurrency needs a value"),
        ("moviegen brain", "moviegen brain: is a group; name one of its commands"),
        ("moviegen brain serve --insecure=yes", "moviegen brain serve: --insecure is a flag and takes no value"),
        ("moviegen user add alice", "moviegen user add: missing required option --role"),
        ("moviegen schedule --json extra", "moviegen schedule: no command 'extra'"),
        ("moviegen gc", "moviegen gc: missing a required argument"),
    ],
)
def test_the_command_check_catches(argv, problem):
    [found] = command_problems(shlex.split(argv))
    assert found.startswith(problem)


def test_the_command_check_passes_real_ones():
    for argv in ("moviegen --ca root.crt schedule --json", "moviegen brain serve --port 8002 --host 0.0.0.0",
                 "moviegen token create ci --role service --json", "moviegen gc demo --apply"):  # fmt: skip
        assert command_problems(shlex.split(argv)) == [], argv


def test_nested_settings_are_walked_along_their_double_underscores():
    assert setting_problem("MOVIEGEN_SCHEDULE__GC_AT") is None
    assert setting_problem("MOVIEGEN_PRICES__FAL__PER_IMAGE") is None  # a dict of models: keys are free
    assert setting_problem("MOVIEGEN_SEED__X") == "MOVIEGEN_SEED__X: 'seed' is a single setting, not a group"
    assert setting_problem("MOVIEGEN_NEO4J_URI") == "MOVIEGEN_NEO4J_URI: read only as NEO4J_URI"
    assert setting_problem("AWS_SECRET_ACCESS_KEY") is None
