"""moviegen batch, run as a user runs it: a Fountain film and a premise in two small formats, the JUnit report
a CI system reads, a resumed run that renders nothing, broken films that fail alone, --fail-fast, a manifest
refused in one line, the same batch through a running brain server, and the GitHub Actions example."""

from __future__ import annotations

import json
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES, moviegen

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parents[2] / "docs"
OFFLINE = {"MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]', "MOVIEGEN_PROVIDERS__SPEECH": '["espeak-ng"]'}
PREMISE = "A courier races a flood to relight the valley's last beacon"
SMALL = """[defaults]
fps = 4
formats = [{aspect = "16:9", resolution = "160x90"}, {aspect = "9:16", resolution = "160x90"}]
"""
GOOD = (
    SMALL
    + f"""
[[film]]
fountain = "two_lines.fountain"

[[film]]
premise = "{PREMISE}"
slug = "courier"
seed = 3
"""
)
NAMES = ["two-lines [16:9 160x90]", "two-lines [9:16 160x90]", "courier [16:9 160x90]", "courier [9:16 160x90]"]


def batch(root: Path, *args: str) -> tuple[int, dict]:
    """``moviegen batch ARGS --json`` in this process, in ``root``'s world (its home, projects and folder)."""
    from moviegen.cli import context
    from moviegen.cli.main import app
    from moviegen.core.settings import reset_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOVIEGEN_HOME", str(root / "home"))
        mp.setenv("MOVIEGEN_PROJECTS_DIR", str(root / "projects"))
        for key, value in OFFLINE.items():
            mp.setenv(key, value)
        mp.chdir(root)
        reset_settings()
        try:
            result = CliRunner().invoke(app, ["batch", *args, "--workers", "1", "--json"], catch_exceptions=False)
        finally:
            context.close()
            reset_settings()
    return result.exit_code, json.loads(result.stdout)


def junit(path: Path) -> tuple[ET.Element, list[ET.Element]]:
    """The report as CI systems read it: <testsuites><testsuite><testcase>, the counts matching the cases."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    for element in (root, suite):
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(element.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert element.get("errors") == "0" and float(element.get("time")) >= 0
    for case in cases:
        assert case.get("classname") == "moviegen.batch" and case.get("name") and float(case.get("time")) >= 0
        for failure in case.findall("failure"):
            assert failure.get("message") and "\n" not in failure.get("message")
    return suite, cases


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The good manifest rendered once: its folder, the --json output and the JUnit report's path."""
    root = tmp_path_factory.mktemp("batch")
    shutil.copy(FIXTURES / "two_lines.fountain", root)
    (root / "films.toml").write_text(GOOD, encoding="utf-8")
    code, out = batch(root, "films.toml", "--junit", "report.xml")
    return root, code, out


def test_every_film_in_every_format_with_a_junit_report(made):
    root, code, out = made
    assert code == 0, out
    assert [r["name"] for r in out["results"]] == NAMES
    assert {r["status"] for r in out["results"]} == {"done"}
    assert out["totals"] | {"seconds": 0} == {"renders": 4, "done": 4, "kept": 0, "failed": 0, "skipped": 0,
                                              "seconds": 0}  # fmt: skip
    outputs = [Path(r["output"]) for r in out["results"]]
    assert len(set(outputs)) == 4 and all(p.is_file() and p.suffix == ".mp4" for p in outputs)
    assert [p.parent.parent.name for p in outputs] == ["two-lines", "two-lines", "courier", "courier"]
    wide, tall = (json.loads(p.with_suffix(".json").read_text()) for p in outputs[:2])
    assert (wide["width"], wide["height"], wide["fps"]) == (160, 90, 4) and (tall["width"], tall["height"]) == (90, 160)
    suite, cases = junit(root / "report.xml")
    assert suite.get("name") == "films" and suite.get("failures") == "0"
    assert [c.get("name") for c in cases] == NAMES
    assert [c.findtext("system-out") for c in cases] == [r["output"] for r in out["results"]]
    state = json.loads((root / ".films.batch.json").read_text())
    assert set(state["done"]) == set(NAMES)


def test_a_second_run_resumes_and_computes_nothing(made):
    root, _, first = made
    code, again = batch(root, "films.toml")
    assert code == 0 and [r["status"] for r in again["results"]] == ["kept"] * 4
    assert [r["output"] for r in again["results"]] == [r["output"] for r in first["results"]]
    assert all(r["job"] is None for r in again["results"])  # no job was started
    code, fresh = batch(root, "films.toml", "--fresh")  # forgets the record; the renders' steps are all cached
    assert code == 0 and [r["status"] for r in fresh["results"]] == ["done"] * 4
    assert [r["made"] for r in fresh["results"]] == [0] * 4 and all(r["reused"] for r in fresh["results"])
    assert [r["sha256"] for r in fresh["results"]] == [r["sha256"] for r in first["results"]]


def test_a_changed_screenplay_is_rendered_again_and_so_is_a_lost_film(made):
    root, _, _ = made
    text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
    (root / "edit.fountain").write_text(text, encoding="utf-8")
    film = '[[film]]\nfountain = "edit.fountain"\nformats = [{resolution = "160x90"}]\n'
    (root / "edit.toml").write_text(SMALL + film, encoding="utf-8")
    code, first = batch(root, "edit.toml")
    assert code == 0 and first["results"][0]["name"] == "edit [16:9 160x90]" and first["results"][0]["made"] > 0
    (root / "edit.fountain").write_text(text.replace("They're late.", "They're very late."), encoding="utf-8")
    code, out = batch(root, "edit.toml")
    [edited] = out["results"]
    assert code == 0 and edited["status"] == "done" and edited["sha256"] != first["results"][0]["sha256"]
    assert 0 < edited["made"] < first["results"][0]["made"]  # that line's voice, the mix, the film: not the rest
    held = (root / "projects" / "edit" / "screenplay.fountain").read_text(encoding="utf-8")
    assert "They're very late." in held
    Path(edited["output"]).unlink()
    code, out = batch(root, "edit.toml")
    assert code == 0 and out["results"][0]["status"] == "done" and Path(edited["output"]).is_file()


def test_broken_films_fail_alone_and_the_others_pass(made):
    root, _, _ = made
    (root / "broken.fountain").write_text("Title: Nothing\n\nWords, and no scene heading.\n", encoding="utf-8")
    (root / "mixed.toml").write_text(SMALL + """
[[film]]
fountain = "broken.fountain"

[[film]]
fountain = "two_lines.fountain"
formats = [{aspect = "16:9", resolution = "160x90"}]

[[film]]
project = "no-such-film"
formats = [{aspect = "1:1", resolution = "160x90"}]
""", encoding="utf-8")  # fmt: skip
    code, out = batch(root, "mixed.toml", "--junit", "mixed.xml")
    assert code == 1
    assert [(r["name"], r["status"]) for r in out["results"]] == [
        ("broken [16:9 160x90]", "failed"), ("broken [9:16 160x90]", "failed"),
        ("two-lines [16:9 160x90]", "done"), ("no-such-film [1:1 160x90]", "failed"),
    ]  # fmt: skip
    assert out["totals"]["failed"] == 3 and out["totals"]["done"] == 1
    _, cases = junit(root / "mixed.xml")
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert failures["two-lines [16:9 160x90]"] is None
    assert failures["broken [9:16 160x90]"].get("message") == "line 1: the screenplay has no scene headings, so " \
                                                               "there is nothing to film"  # fmt: skip
    assert failures["broken [9:16 160x90]"].get("type") == "screenplay_parse"
    assert failures["no-such-film [1:1 160x90]"].get("message") == "no project 'no-such-film'"
    assert "moviegen list" in failures["no-such-film [1:1 160x90]"].text  # the hint, under the one line

    code, out = batch(root, "mixed.toml", "--fail-fast", "--fresh", "--junit", "fast.xml")
    assert code == 1
    assert [r["status"] for r in out["results"]] == ["failed", "skipped", "skipped", "skipped"]
    suite, _ = junit(root / "fast.xml")
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "3")


def test_an_invalid_manifest_is_refused_in_one_line_before_anything_starts(tmp_path):
    (tmp_path / "bad.toml").write_text(f'[[film]]\npremise = "{PREMISE}"\n\n[[film]]\nproject = "a"\n'
                                       f'fountain = "x.fountain"\n', encoding="utf-8")  # fmt: skip
    proc = moviegen("batch", "bad.toml", "--json", "--junit", "r.xml")
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert "bad.toml: film #2: give exactly one of project, premise, fountain" in proc.stderr
    assert not (tmp_path / "r.xml").exists() and not (tmp_path / "projects").exists()


def test_the_same_batch_through_a_running_brain_server_two_films_at_once(tmp_path):
    from tests.server.conftest import start_brain, stop_brain

    shutil.copy(FIXTURES / "two_lines.fountain", tmp_path)
    (tmp_path / "pair.toml").write_text(SMALL + """
[[film]]
fountain = "two_lines.fountain"
slug = "one"
formats = [{aspect = "1:1", resolution = "160x90"}]

[[film]]
fountain = "two_lines.fountain"
slug = "two"
formats = [{aspect = "1:1", resolution = "160x90"}]
""", encoding="utf-8")  # fmt: skip
    server = start_brain(tmp_path, env_extra=OFFLINE)
    try:
        proc = server.cli("batch", str(tmp_path / "pair.toml"), "--parallel", "2", "--json", check=False,
                          remote=True)  # fmt: skip
    finally:
        stop_brain(server)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["name"] for r in out["results"]] == ["one [1:1 160x90]", "two [1:1 160x90]"]
    assert [r["status"] for r in out["results"]] == ["done"] * 2 and all(r["sha256"] for r in out["results"])
    jobs = [r["job"] for r in out["results"]]
    assert len(set(jobs)) == 2 and all(jobs)
    assert {Path(r["output"]).parent.parent.name for r in out["results"]} == {"one", "two"}


def test_the_github_actions_example_runs_a_real_command_on_the_sample_manifest():
    import click
    import typer.main

    from moviegen.cli.main import app
    from moviegen.services.batch import load

    text = (DOCS / "ci-github-actions.yml").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("moviegen batch")]
    try:
        import yaml
    except ImportError:  # the command is still checked, read from the file's lines
        yaml = None
    if yaml is not None:
        steps = [s for job in yaml.safe_load(text)["jobs"].values() for s in job["steps"]]
        lines = [ln.strip() for s in steps for ln in s.get("run", "").splitlines() if "moviegen batch" in ln]
        assert any("pip install" in s.get("run", "") for s in steps)
        uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
        assert {s["with"]["path"].split("/")[0] for s in uploads} >= {"report.xml", "projects"}
    [command] = [shlex.split(line) for line in lines]
    group = typer.main.get_command(app)
    with click.Context(group) as ctx:
        sub = group.get_command(ctx, command[1])
        assert sub is not None, command
        parsed = sub.make_context(command[1], command[2:], parent=ctx)  # an unknown option raises here
    assert parsed.params["junit"] == Path("report.xml")
    films = load(DOCS.parent / parsed.params["manifest"])  # the sample manifest the workflow names is valid
    assert len(films) >= 2 and {f.kind for f in films} >= {"premise", "fountain"}
