"""Keeping secrets out of what fazhi stores and prints: API keys and credentials in URLs."""

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

from fazhi.agent.providers import LOCAL_KEY

MASK = "***"
SHORT_SECRET = 8  # a shorter secret is masked only where it stands alone, not inside other words


def without_userinfo(url: str) -> str:
    """The URL without user:password@ (as it may be stored and shown)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def secrets_of(api_key: str | None, base_url: str) -> tuple[str, ...]:
    """The secrets a client holds: its key, and the userinfo of its base URL (as written and decoded)."""
    userinfo = base_url.partition("//")[2].partition("/")[0].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    found = {api_key or "", userinfo, unquote(userinfo), password, unquote(password)}
    return tuple(s for s in found if s and s != LOCAL_KEY)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= SHORT_SECRET:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", MASK, text)
    return text
