"""What looks like a secret in a job spec: one set of rules for the settings and every backend's offline check.

Names are judged by their wording, values only by their shape (a URL carrying credentials); a value is
never put into a message (it may be the secret).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

_SECRET_NAME = re.compile(r"(TOKEN|API_KEY|SECRET|PASSWORD|ACCESS_KEY|ACCOUNT_KEY|CONNECTION_STRING)$", re.I)


def secret_names(environment: Any) -> list[str]:
    """The names in an environment mapping that look like secrets, in file order; [] for a non-mapping."""
    if not isinstance(environment, dict):
        return []
    return [name for name in environment if isinstance(name, str) and _SECRET_NAME.search(name)]


def url_secret_problem(value: str) -> str | None:
    """Why a value must not go into a job spec: it carries a credential (user:password@, or a query string or
    fragment such as a storage SAS token). models:/ and runs:/ URIs and plain paths carry none."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return "is not a valid URL"
    if "@" in parts.netloc:
        return (
            "must not carry credentials (user:password@): the job spec is stored and shown by the job system"
        )
    if parts.query or parts.fragment:
        return (
            "must not carry a query string or fragment: it may hold a token (a storage SAS), and the job spec is "
            "stored and shown; the job authenticates with its own identity or credential"
        )
    return None


_QUERY = re.compile(r"\?[^=\s]+=")


def text_secret_problem(text: str) -> str | None:
    """Why a value that reaches a job spec must not: one of its words is a URL carrying credentials, or a path with
    a query (`hf.co/me/act?token=...`, a storage SAS `?sv=...&sig=...`) even without a scheme. The one rule for every
    text value of a spec; the value is never part of the answer."""
    for word in text.split():
        if "://" in word or _QUERY.search(word):
            problem = url_secret_problem(word)
            if problem:
                return problem
    return None


def secret_urls(environment: Any) -> list[str]:
    """The names in an environment mapping whose values are URLs carrying credentials, in file order."""
    if not isinstance(environment, dict):
        return []
    return [
        name
        for name, value in environment.items()
        if isinstance(name, str) and isinstance(value, str) and "://" in value and url_secret_problem(value)
    ]


MASK = "***"


def masked(value: str) -> str:
    """`value` with the parts `url_secret_problem` objects to replaced by ***: the password of user:password@ (the
    whole user part when it has no password, as it may be a token), the query string and the fragment. Scheme,
    host and path stay, so the URL can still be told apart; a value that does not split as a URL is masked whole."""
    if url_secret_problem(value) is None:
        return value
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        name, colon, _ = user.partition(":")
        netloc = f"{name}:{MASK}@{host}" if colon else f"{MASK}@{host}"
    query, fragment = (MASK if part else "" for part in (parts.query, parts.fragment))
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")


def mask_urls(text: str) -> str:
    """`text` with every URL in it `masked`."""
    return _URL.sub(lambda match: masked(match.group(0)), text)
