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

    def summary(self) -> str:
        """What went wrong → what to do, on one line (for a wire, a status line)."""
        return f"{self.message} → {self.hint}" if self.hint else self.message

    def to_wire(self) -> dict[str, str | None]:
        """The error as it crosses the wire: a stable code, the message and the hint."""
        return {"code": self.code, "message": self.message, "hint": self.hint}


def error_from_wire(data: dict) -> MoviegenError:
    """The same MoviegenError subclass the other side raised, rebuilt from ``to_wire()``'s dict
    (an unknown code becomes a plain MoviegenError that keeps the code)."""
    code = str(data.get("code") or "error")
    message = str(data.get("message") or "the brain refused the call")
    hint = data.get("hint")
    cls = _by_code().get(code, MoviegenError)
    exc = MoviegenError.__new__(cls)
    MoviegenError.__init__(exc, message, hint)
    if cls is MoviegenError and code != MoviegenError.code:
        exc.code = code
    if isinstance(exc, ScreenplayParseError):
        exc.line = int(data.get("line") or 0)
    return exc


def _by_code() -> dict[str, type[MoviegenError]]:
    found: dict[str, type[MoviegenError]] = {}
    pending = [MoviegenError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


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

    def to_wire(self) -> dict:
        return {**super().to_wire(), "line": self.line}


class ShotListError(MoviegenError):
    code = "shot_list"


class ProviderError(MoviegenError):
    code = "provider"


class ProviderNotFoundError(ProviderError):
    code = "provider_not_found"


class ProviderAuthError(ProviderError):
    """The provider refused the key (401/403) or the account cannot pay (402): not retried, the next provider
    in the chain is tried."""

    code = "provider_auth"


class RateLimitedError(ProviderError):
    """429: retried after ``retry_after`` seconds (the provider's Retry-After when it sent one)."""

    code = "rate_limited"

    def __init__(self, message: str, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class ProviderUnavailableError(ProviderError):
    """5xx, a timeout, a dropped connection or stream: retried with backoff, then the next provider."""

    code = "provider_unavailable"


class ProviderDeadlineError(ProviderError):
    """A queued request (a FAL still or clip) did not finish in the time it was given and was cancelled at the
    provider: not retried (another wait as long would rarely end better), the next provider is tried."""

    code = "provider_deadline"


class ProviderResponseError(ProviderError):
    """The provider answered, but not with what was asked (malformed JSON, an answer that does not fit the
    schema): one repair attempt, then the next provider."""

    code = "provider_response"


class BudgetExceededError(ProviderError):
    """A call would take the project past its budget_usd; refused before it is sent."""

    code = "budget_exceeded"


class RenderError(MoviegenError):
    code = "render"


class NotFoundError(MoviegenError):
    """A document, node or job the caller named does not exist."""

    code = "not_found"


class KnowledgeError(MoviegenError):
    """The knowledge store cannot do what was asked (mixed embedders, bad vectors, bad query)."""

    code = "knowledge"


class AccessDeniedError(MoviegenError):
    """The caller may not do this to this project (or the project is not theirs to know about)."""

    code = "access_denied"


class JobCancelledError(MoviegenError):
    code = "cancelled"


class CypherError(KnowledgeError):
    """A query_graph Cypher query was refused (it would write, or this engine cannot read it) or ran out of time."""

    code = "cypher"
