"""Reading a folder of fixtures in the contract's shape: `<fixture_id>/source.txt` + `gold.json`."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fazhi.agent.cache import content_hash
from fazhi.agent.errors import FazhiError

DEFAULT_FIXTURES = Path(__file__).resolve().parent / "fixtures"


UPLOADS = ("source.pdf", "source.docx", "source.txt")  # a fixture's upload: the file as users have it


@dataclass(frozen=True)
class Fixture:
    """A labelled document: `source_path` is the file uploaded (a PDF or Word file when the fixture
    has one, else source.txt), `source` the text that gold offsets index (source.txt)."""

    fixture_id: str
    source_path: Path
    source: str
    gold: dict[str, Any]


def load_fixture(folder: Path) -> Fixture:
    try:
        source = (folder / "source.txt").read_bytes().decode("utf-8-sig")
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FazhiError(f"Fixture {folder.name} is unreadable: {exc}") from exc
    upload = next(folder / name for name in UPLOADS if (folder / name).is_file())
    return Fixture(gold.get("fixture_id") or folder.name, upload, source, gold)


def load_fixtures(root: Path) -> list[Fixture]:
    """Every subfolder of `root` that has a source.txt and a gold.json, in name order."""
    if not root.is_dir():
        raise FazhiError(f"No fixtures folder at {root}: pass --fixtures DIR (folders with source.txt + gold.json)")
    folders = sorted(p for p in root.iterdir() if (p / "source.txt").is_file() and (p / "gold.json").is_file())
    if not folders:
        raise FazhiError(f"No fixtures in {root}: each needs <fixture_id>/source.txt and gold.json")
    return [load_fixture(f) for f in folders]


def fixture_set_hash(fixtures: list[Fixture]) -> str:
    return content_hash([[f.fixture_id, f.source, f.gold] for f in fixtures])[:16]
