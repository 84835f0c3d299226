"""A project's members: the people it is shared with and their role in it (a producer's matter).

Membership is kept with the people (moviegen.brain.server.people, ``$MOVIEGEN_HOME/users.json``), bound to the
project's identity: a project deleted and re-created under the same slug starts with no members. Each change
is announced on the bus.
"""

from __future__ import annotations

from typing import Any


class MemberOps:
    def people(self):
        """The brain home's people (users, memberships, logins)."""
        from moviegen.brain.server.people import People

        if getattr(self, "_people", None) is None:
            self._people = People(self.settings.home)
        return self._people

    def project_share(self, project_id: str, name: str, role: str) -> dict[str, Any]:
        shared = self.people().share(name, project_id, self.identity(project_id), role)
        self.bus.publish("project.shared", project=project_id, name=name, role=role)
        return shared

    def project_unshare(self, project_id: str, name: str) -> dict[str, Any]:
        removed = self.people().unshare(name, project_id, self.identity(project_id))
        self.bus.publish("project.unshared", project=project_id, name=name)
        return removed

    def project_members(self, project_id: str) -> list[dict[str, Any]]:
        return self.people().members(self.identity(project_id))
