"""A cache folder's entries as a user with sqlite3 would see and edit them (tests only)."""

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from fazhi.agent.cache import FILE


def entries(cache: Path, table: str = "answers") -> dict[str, Any]:
    """Key → the entry's JSON, read from the file."""
    with contextlib.closing(sqlite3.connect(cache / FILE)) as con:
        return {key: json.loads(value) for key, value in con.execute(f'SELECT key, value FROM "{table}"')}


def write(cache: Path, key: str, value: Any, table: str = "answers") -> None:
    """Overwrite one entry with `value` (a str is written as it is, anything else as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    with contextlib.closing(sqlite3.connect(cache / FILE)) as con, con:
        con.execute(f'UPDATE "{table}" SET value = ? WHERE key = ?', (text, key))
