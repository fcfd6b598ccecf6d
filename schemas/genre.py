"""The rule-of-law government report genre, as the engine sees it."""

from pathlib import Path
from typing import Any

from fazhi import prompts
from fazhi.agent.genre import Genre, Layout, LayoutCodec, Task
from fazhi.schemas.crosscheck import crosscheck
from fazhi.schemas.enums import CATEGORY_ZH
from fazhi.schemas.report import IssuesAnswer, MetricsAnswer, ReportExtraction, ReportMeta
from fazhi.schemas.taxonomy import TAXONOMY_FILE, load_taxonomy

PROMPTS_DIR = Path(prompts.__file__).resolve().parent
HERE = Path(__file__).resolve().parent


def read_layout(text: str) -> Layout:
    from fazhi.schemas.rules import read_layout  # the rules are imported when a document is read, not to query

    return read_layout(text)


def dump_layout(layout: Layout) -> dict[str, Any]:
    from fazhi.schemas.rules import dump_layout

    return dump_layout(layout)


def load_layout(text: str, data: dict[str, Any]) -> Layout:
    from fazhi.schemas.rules import load_layout

    return load_layout(text, data)


def extract_offline(text: str) -> ReportExtraction:
    from fazhi.schemas.rules import extract_offline

    return extract_offline(text)


def categories_table() -> str:
    return "，".join(f"{key} {zh}" for key, zh in CATEGORY_ZH.items())


def taxonomy_table() -> str:
    return "，".join(f"{m.key} {m.zh}" for m in load_taxonomy())


GENRE = Genre(
    name="fazhi_report",
    result=ReportExtraction,
    tasks=(
        Task("meta", "meta", ReportMeta, ("header", "title", "opening", "closing"), chunked=False,
             lead=600),
        Task("metrics", "metrics", MetricsAnswer, ("opening", "achievements", "problems"),
             fallback=("plans", "closing")),
        Task("issues", "issues", IssuesAnswer, ("problems",), fallback=("opening", "achievements", "plans", "closing")),
    ),
    segment=read_layout,
    layout_codec=LayoutCodec(dump_layout, load_layout),
    frame=("header", "footer"),
    offline=extract_offline,
    prompts_dir=PROMPTS_DIR,
    migrations_dir=HERE / "migrations",
    offline_sources=(*sorted((HERE / "rules").glob("*.py")), HERE / "numerals.py", TAXONOMY_FILE),
    prompt_vars={"categories": categories_table(), "taxonomy": taxonomy_table()},
    crosscheck=crosscheck,
)
