"""People: users with passwords (``moviegen user``), projects shared with them (``moviegen project share``),
and logging in to a brain (``moviegen login``). Users live in this machine's brain home, like service tokens."""

from __future__ import annotations

import sys
import time

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out
from moviegen.cli.projects import project_app

user_app = typer.Typer(help="People who log in to the brain: add, list, passwd, logout, remove.", no_args_is_help=True)
login_app = typer.Typer()

ROLE_HELP = "producer (everything, members too), director (plan, storyboard, cast, render), writer (story, screenplay) or viewer."
_JSON = typer.Option(False, "--json", help="Print as JSON.")
_STDIN = typer.Option(False, "--password-stdin", help="Read the password from the first line of stdin (scripts).")
_SLUG = typer.Argument(..., help="The project (see 'moviegen list').")


def _people():
    from moviegen.brain.server.people import People
    from moviegen.core import locations

    return People(locations.home_dir())


def _password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="The user's name: lowercase letters, digits, '.', '_' or '-'."),
    role: str = typer.Option(..., "--role", "-r", help="Their global role: " + ROLE_HELP),
    password_stdin: bool = _STDIN,
    json_out: bool = _JSON,
) -> None:
    """Add a user with a password (asked twice). Their role here decides whether they may create projects;
    share projects with them with 'moviegen project share SLUG NAME --role ROLE'."""
    from moviegen.brain.server.people import check_name, check_role

    check_name(name), check_role(role)
    made = _people().add(name, role, _password(password_stdin))
    if json_out:
        emit_json(made)
        return
    out.print(f"user [bold]{name}[/bold] ({role}) added")
    note(f"they log in with 'moviegen login {name}'; share a project: moviegen project share SLUG {name} --role ROLE")


@user_app.command("list")
def user_list(json_out: bool = _JSON) -> None:
    """Users, their global role and the projects shared with them (never a password or its hash)."""
    users = _people().list()
    if json_out:
        emit_json(users)
        return
    if not users:
        note("no users yet: moviegen user add NAME --role ROLE")
    for u in users:
        shared = ", ".join(f"{p['slug']} ({p['role']})" for p in u["projects"]) or "no projects"
        out.print(f"{u['name']:<20} {u['role']:<9} {shared}", markup=False, highlight=False)


@user_app.command("remove")
def user_remove(name: str = typer.Argument(..., help="The user."), json_out: bool = _JSON) -> None:
    """Remove a user: their logins stop working at once."""
    result = _people().remove(name)
    emit_json(result) if json_out else note(f"user '{name}' removed")


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="The user."), password_stdin: bool = _STDIN) -> None:
    """Set a user's password (asked twice); their current logins end."""
    people = _people()
    if people.get(name) is None:
        from moviegen.core.errors import NotFoundError

        raise NotFoundError(f"no user named '{name}'", "see 'moviegen user list'")
    people.passwd(name, _password(password_stdin))
    note(f"password of '{name}' changed; their sessions were ended")


@user_app.command("logout")
def user_logout(name: str = typer.Argument(..., help="The user."), json_out: bool = _JSON) -> None:
    """End every login of a user: their refresh tokens are revoked and their access tokens refused."""
    people = _people()
    if people.get(name) is None:
        from moviegen.core.errors import NotFoundError

        raise NotFoundError(f"no user named '{name}'", "see 'moviegen user list'")
    ended = people.logout_all(name)
    emit_json({"name": name, "sessions_ended": ended}) if json_out else note(f"'{name}': {ended} session(s) ended")


@project_app.command("share")
def project_share(
    slug: str = _SLUG,
    name: str = typer.Argument(..., help="The user (see 'moviegen user list')."),
    role: str = typer.Option(..., "--role", "-r", help="Their role in this project: " + ROLE_HELP),
    json_out: bool = _JSON,
) -> None:
    """Share a project with a user, with a role in it (again: change the role). Producers only."""
    result = context.brain().project_share(slug, name, role)
    emit_json(result) if json_out else note(f"{slug} shared with '{name}' as {role}")


@project_app.command("unshare")
def project_unshare(
    slug: str = _SLUG, name: str = typer.Argument(..., help="The user."), json_out: bool = _JSON
) -> None:
    """Take a user off a project. Producers only."""
    result = context.brain().project_unshare(slug, name)
    emit_json(result) if json_out else note(f"'{name}' no longer has {slug}")


@project_app.command("members")
def project_members(slug: str = _SLUG, json_out: bool = _JSON) -> None:
    """The people a project is shared with, and their roles. Producers only."""
    members = context.brain().project_members(slug)
    if json_out:
        emit_json(members)
        return
    if not members:
        note(f"{slug} is shared with nobody: moviegen project share {slug} NAME --role ROLE")
    for m in members:
        out.print(f"{m['name']:<20} {m['role']}", markup=False, highlight=False)


@login_app.command("login")
def login(
    name: str = typer.Argument(..., help="Your user name."),
    brain: str = typer.Option(None, "--brain", help="The brain's URL (default: MOVIEGEN_BRAIN_URL or the daemon)."),
    password_stdin: bool = _STDIN,
    json_out: bool = _JSON,
) -> None:
    """Log in to a brain; the session is kept in $MOVIEGEN_HOME/session.json (0600) and used by the CLI."""
    from moviegen.brain import session
    from moviegen.brain.daemon import brain_url
    from moviegen.brain.tls import ca_from_env
    from moviegen.core.errors import UsageError

    url = brain or brain_url()[0]
    if url is None:
        raise UsageError("no brain to log in to", "pass --brain URL, or set MOVIEGEN_BRAIN_URL")
    made = session.login(url, name, _password(password_stdin, confirm=False), ca_from_env())
    if json_out:
        emit_json(made)
        return
    note(f"logged in to {made['url']} as '{name}' until {time.strftime('%H:%M', time.localtime(made['expires_at']))}"
         " (renewed as you go)")  # fmt: skip


@login_app.command("logout")
def logout() -> None:
    """End this machine's login session (its refresh token is revoked at the brain)."""
    from moviegen.brain import session
    from moviegen.brain.tls import ca_from_env

    note("logged out" if session.logout(ca_from_env()) else "no session to end")
