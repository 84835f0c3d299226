"""Who may do what: the one access check every door calls (tools, resources, prompts, /events, /metrics).

Roles rise in rights: viewer (read) < writer (+ story files, screenplay, memory) < director (+ plan,
storyboard, cast, renders, generation that spends; may create projects) < producer (+ delete, exports,
members, webhooks, audit); ``service`` tokens (workers, scripts) and the ``admin`` (the local user on
loopback) may do everything. A token limited to projects is bound to each project's identity (the UUID in its moviegen.toml), not to its slug: a project
deleted and re-created under the same name is a different project. A caller who may not touch a project gets
the same answer whether or not it exists.

A person (a login, moviegen.brain.server.people) has a role in each project shared with them, and no access to
any other; their global role decides only whether they may create projects.
"""

from __future__ import annotations

from collections.abc import Callable

from moviegen.brain.server.auth import Principal
from moviegen.core.errors import AccessDeniedError, MoviegenError

EVERYONE = ("admin", "service", "producer", "director", "writer", "viewer")
ROLES_FOR = {
    "open": EVERYONE,
    "read": EVERYONE,
    "job_read": EVERYONE,
    "write": ("admin", "service", "producer", "director", "writer"),
    "direct": ("admin", "service", "producer", "director"),
    "job_direct": ("admin", "service", "producer", "director"),
    "create": ("admin", "service", "producer", "director"),
    "produce": ("admin", "service", "producer"),
}
VERBS = {
    "read": "read", "job_read": "read", "write": "change", "direct": "plan, paint, cast or render",
    "job_direct": "control the jobs of", "produce": "delete or administer",
}  # fmt: skip


def may(principal: Principal, level: str, project_id: str | None, identity: Callable[[str], str]) -> bool:
    try:
        authorize(principal, level, project_id, identity)
    except AccessDeniedError:
        return False
    return True


def authorize(principal: Principal, level: str, project_id: str | None, identity: Callable[[str], str]) -> None:
    """Raise AccessDeniedError unless ``principal`` may act at ``level`` on ``project_id`` (None for levels that
    name no project). ``identity(slug)`` gives a project's identity, raising when there is no such project."""
    if level == "open":
        return
    if principal.is_user:
        _authorize_person(principal, level, project_id, identity)
        return
    if principal.role not in ROLES_FOR[level]:
        raise _role_refusal(principal.name, principal.role, level, project_id)
    if level == "create":
        if "*" not in principal.projects:
            raise AccessDeniedError(
                f"'{principal.name}' is limited to some projects and may not create new ones",
                "use a token that is not limited to projects",
            )
        return
    if "*" in principal.projects:
        return
    denied = AccessDeniedError(
        f"'{principal.name}' may not {VERBS.get(level, 'read')} project '{project_id}'",
        "ask an administrator for a token that includes this project",
    )
    if not project_id:
        raise denied
    try:
        ident = identity(project_id)
    except MoviegenError:
        raise denied from None  # the same answer whether or not it exists: no probing other people's projects
    if ident not in principal.projects and f"slug:{project_id}" not in principal.projects:
        raise denied


def _authorize_person(principal: Principal, level: str, project_id: str | None, identity: Callable[[str], str]) -> None:
    """A person (a login): creating projects takes their global role; anything on a project takes their role
    in that project, and a project not shared with them is refused like one that does not exist."""
    if level == "create":
        if principal.role not in ROLES_FOR["create"]:
            raise _role_refusal(principal.name, principal.role, level, None)
        return
    denied = AccessDeniedError(
        f"'{principal.name}' may not {VERBS.get(level, 'read')} project '{project_id}'",
        "ask the project's producer to share it with you (moviegen project share SLUG NAME --role ROLE)",
    )
    if not project_id:
        raise denied
    try:
        role = principal.role_in(identity(project_id))
    except MoviegenError:
        raise denied from None
    if role is None:
        raise denied
    if role not in ROLES_FOR[level]:
        raise _role_refusal(principal.name, role, level, project_id)


def _role_refusal(name: str, role: str, level: str, project_id: str | None) -> AccessDeniedError:
    return AccessDeniedError(
        f"'{name}' ({role}) may not {VERBS.get(level, 'create projects')}"
        + (f" project '{project_id}'" if project_id else ""),
        "ask a producer for a role that may (roles: viewer < writer < director < producer)",
    )
