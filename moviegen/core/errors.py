"""One error hierarchy: every error says what went wrong and what to do about it."""

from __future__ import annotations


class MoviegenError(Exception):
    """Base error. ``message`` says what went wrong, ``hint`` what the user can do."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def line(self) -> str:
        """What went wrong → what to do, on one line (for a wire, a status line)."""
        return f"{self.message} → {self.hint}" if self.hint else self.message


class UsageError(MoviegenError):
    """The user asked for something that cannot be done as asked (bad argument)."""

    exit_code = 2
    code = "usage"


class ProjectNotFoundError(MoviegenError):
    code = "project_not_found"


class ProjectExistsError(MoviegenError):
    code = "project_exists"


class ProjectStateError(MoviegenError):
    """The project is not at a stage where the command makes sense."""

    code = "project_state"


class ConflictError(MoviegenError):
    """A file changed on disk since it was read; writing would lose someone's edit."""

    code = "conflict"


class StorageError(MoviegenError):
    """The disk refused a read or write (permissions, full disk, ...)."""

    code = "storage"


class ScreenplayParseError(MoviegenError):
    code = "screenplay_parse"

    def __init__(self, message: str, line: int, hint: str | None = None) -> None:
        super().__init__(f"line {line}: {message}", hint)
        self.line = line


class ShotListError(MoviegenError):
    code = "shot_list"


class ProviderError(MoviegenError):
    code = "provider"


class ProviderNotFoundError(ProviderError):
    code = "provider_not_found"


class RenderError(MoviegenError):
    code = "render"


class NotFoundError(MoviegenError):
    """A document, node or job the caller named does not exist."""

    code = "not_found"


class KnowledgeError(MoviegenError):
    """The knowledge store cannot do what was asked (mixed embedders, bad vectors, bad query)."""

    code = "knowledge"
