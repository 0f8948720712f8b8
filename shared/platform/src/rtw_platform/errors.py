"""What a use case refuses, with a message a person can act on.

Every service's HTTP app answers a refusal with its status and `{"detail": message}` (plus
`errors: [{field, message}]` for `Invalid`), so use cases raise these and never HTTP errors.
"""

from __future__ import annotations


class Refusal(Exception):
    """Base of every refusal."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries (e.g. Retry-After)."""
        return {}


class NotFound(Refusal):
    status = 404


class Unauthorised(Refusal):
    """No credentials, or not the expected ones (for callers outside the platform's sign-in)."""

    status = 401


class Forbidden(Refusal):
    status = 403


class Conflict(Refusal):
    status = 409


class TooLarge(Refusal):
    status = 413


class UnsupportedMedia(Refusal):
    status = 415


class TooManyRequests(Refusal):
    """Asked too often (e.g. for e-mailed links): try again after `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Invalid(Refusal):
    """Answers that need correcting: one (field, message) per problem."""

    status = 422

    def __init__(self, problems: list[tuple[str, str]], message: str | None = None) -> None:
        super().__init__(message or "Some answers need correcting before you can continue.")
        self.problems = problems


class AlreadyApplied(Conflict):
    """The candidate already applied to this cohort."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"You have already applied to this cohort: your reference is {reference}.")
        self.reference = reference
