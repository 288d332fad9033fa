"""One error hierarchy, turned into exit codes at one boundary (submit.cli)."""

from __future__ import annotations


class SubmitError(Exception):
    """A runtime failure: exit 1."""

    exit_code = 1


class BadInput(SubmitError):
    """Input the user can fix: exit 2, one line naming the flag and what is accepted."""

    exit_code = 2


class SpecError(SubmitError):
    """A spec file that is not valid (submit validate, or a job spec read back): exit 1."""


class AuthError(SubmitError):
    """Credentials missing or refused: exit 1, with the fix named."""


class UnreadableSpec(SpecError):
    """A file that cannot be read as the backend's spec it was given as (`submit validate` then names the backend
    it looks like)."""


class GateFailed(SubmitError):
    """An evaluation that ran and was logged, but a --gate did not hold: the alias is unchanged. Exit 3, as the
    trainer's (a pipeline tells "not good enough" from "broken")."""

    exit_code = 3
