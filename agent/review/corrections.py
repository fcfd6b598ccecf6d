"""Corrections: every change an analyst makes is one row; the corrected result is derived, never stored over
the extraction.

An item is keyed by its index in the extraction plus a stable hash of it as extracted (an added item: no
index, a hash of it as added). Corrections apply in order to the document's latest successful extraction:
`reject` removes an item (`accept` restores it), `edit` changes fields, `add` appends an item, `set` changes
fields of a flat record, `reviewed` marks the document reviewed. Corrections made on an earlier extraction
carry over to a new one: item corrections to the identical item (same hash), if there is one; additions
unless the new extraction holds the identical item; flat fields always; the `reviewed` mark never.
"""

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fazhi.agent.cache import content_hash
from fazhi.agent.grounding import SourceIndex
from fazhi.agent.review.fields import ReviewError, ReviewSchema, TaskSpec, coerce, validated
from fazhi.agent.store import Store, to_json
from pydantic import BaseModel, Field

MIGRATIONS = Path(__file__).with_name("migrations")
NAMESPACE = "review"
ITEM_ACTIONS = ("accept", "reject", "edit")
Action = Literal["accept", "reject", "edit", "add", "set", "reviewed"]


class CorrectionIn(BaseModel):
    """One change, as the review page posts it."""

    action: Action
    extraction_id: int
    task: str | None = None
    key: str | None = None  # "<idx>:<hash>" of an extracted item, ":<hash>" of an added one
    values: dict[str, Any] = Field(default_factory=dict)
    start: int | None = None
    end: int | None = None
    reviewer: str | None = Field(None, max_length=200)


@dataclass
class Entry:
    """An item of a list task as the review sees it."""

    idx: int | None
    hash: str
    item: dict[str, Any]
    rejected: bool = False
    accepted: bool = False
    edited: bool = False

    @property
    def key(self) -> str:
        return f"{'' if self.idx is None else self.idx}:{self.hash}"

    @property
    def added(self) -> bool:
        return self.idx is None


@dataclass
class ReviewState:
    """A document's latest extraction with its corrections applied."""

    doc_id: str
    extraction_id: int
    text: str
    result: dict[str, Any]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[Entry]] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    reviewed_at: Any = None

    def entry(self, task: str, key: str | None) -> Entry:
        found = next((e for e in self.items.get(task, []) if e.key == key), None)
        if found is None:
            raise ReviewError(f"No item {key!r} in {task} of document {self.doc_id}: reload the page")
        return found

    def corrected(self) -> dict[str, Any]:
        """The result in its own shape with every correction applied."""
        out = copy.deepcopy(self.result)
        out.update(copy.deepcopy(self.records))
        for task, entries in self.items.items():
            out[task] = [copy.deepcopy(e.item) for e in entries if not e.rejected]
        return out


def item_hash(item: dict[str, Any]) -> str:
    return content_hash(item)[:16]


def prepare(store: Store, schema: ReviewSchema) -> None:
    """The review tables (own migration set) and the reviewed_* views generated from the genre's tables."""
    store.migrate_set(NAMESPACE, MIGRATIONS)
    for task in schema.tasks:
        store.db.execute(view_sql(task, table_columns(store, task.name)))
    refresh_stale(store, schema)


def refresh_stale(store: Store, schema: ReviewSchema) -> None:
    """Corrected results for documents extracted again since their last correction (carried-over corrections)."""
    _, stale = store.query(
        "SELECT DISTINCT c.doc_id FROM corrections c JOIN latest_extractions e USING (doc_id)"
        " LEFT JOIN reviewed_results r ON r.extraction_id = e.extraction_id WHERE r.extraction_id IS NULL")
    for (doc_id,) in stale:
        with store.transaction():
            save_result(store, load_state(store, schema, doc_id))


def has_review_tables(store: Store) -> bool:
    _, rows = store.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'corrections'")
    return bool(rows[0][0])


def table_columns(store: Store, table: str) -> list[tuple[str, str]]:
    _, rows = store.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
                          " ORDER BY ordinal_position", [table])
    if not rows:
        raise ReviewError(f"The genre has no table {table!r}: its migrations must create one per task")
    return [(str(n), str(t)) for n, t in rows]


def view_sql(task: TaskSpec, columns: list[tuple[str, str]]) -> str:
    """`reviewed_<task>`: the corrected rows, typed like the task's own table."""
    keys = ("extraction_id", "doc_id", "idx")
    if task.chunked:
        source = "u.item"
        lateral = (f", LATERAL (SELECT unnest(generate_series(0, json_array_length(s.result, '$.\"{task.name}\"')"
                   f"::BIGINT - 1)) AS idx, unnest(json_extract(s.result, '$.\"{task.name}\"[*]')) AS item) u")
    else:
        source, lateral = f"json_extract(s.result, '$.\"{task.name}\"')", ""
    picks = [f"TRY_CAST(json_extract_string({source}, '$.\"{n}\"') AS {t}) AS \"{n}\"" for n, t in columns
             if n not in keys]
    head = ["s.extraction_id", "s.doc_id", *(["u.idx::INTEGER AS idx"] if task.chunked else [])]
    return (f"CREATE OR REPLACE VIEW reviewed_{task.name} AS SELECT {', '.join(head + picks)},"
            f" s.reviewed_at IS NOT NULL AS reviewed FROM reviewed_sources s{lateral}")


def latest(store: Store, doc_id: str) -> tuple[int, dict[str, Any], str]:
    _, rows = store.query("SELECT e.extraction_id, e.result, d.text FROM latest_extractions e JOIN documents d"
                          " USING (doc_id) WHERE e.doc_id = ?", [doc_id])
    if not rows:
        raise ReviewError(f"Document {doc_id} has no successful extraction: run `fazhi extract` on it first")
    return int(rows[0][0]), json.loads(rows[0][1]), str(rows[0][2])


def load_state(store: Store, schema: ReviewSchema, doc_id: str) -> ReviewState:
    extraction_id, result, text = latest(store, doc_id)
    state = ReviewState(doc_id, extraction_id, text, result)
    for task in schema.tasks:
        if task.chunked:
            state.items[task.name] = [Entry(i, item_hash(it), dict(it)) for i, it in enumerate(result.get(task.name)
                                                                                                or [])]
        else:
            state.records[task.name] = dict(result.get(task.name) or {})
    for row in stored_corrections(store, doc_id):
        apply(state, row)
        state.corrections.append(row)
    return state


def stored_corrections(store: Store, doc_id: str) -> list[dict[str, Any]]:
    if not has_review_tables(store):
        return []
    columns, rows = store.query("SELECT * FROM corrections WHERE doc_id = ? ORDER BY correction_id", [doc_id])
    found = [dict(zip(columns, r)) for r in rows]
    for row in found:
        row["old_value"], row["new_value"] = (json.loads(row[k]) if row[k] else None
                                              for k in ("old_value", "new_value"))
    return found


def apply(state: ReviewState, c: dict[str, Any]) -> None:
    """One stored correction applied to the state (a correction of an item no longer there is skipped)."""
    action, task = c["action"], c["task"]
    carried = c["extraction_id"] != state.extraction_id
    entries = state.items.get(task, [])
    if action == "reviewed":
        state.reviewed_at = state.reviewed_at if carried else c["created_at"]
    elif action == "set":
        state.records.setdefault(task, {}).update(c["new_value"] or {})
    elif action == "add":
        if not (carried and any(e.item == c["new_value"] for e in entries)):
            entries.append(Entry(None, c["item_hash"], dict(c["new_value"])))
    else:
        key = f"{'' if c['item_idx'] is None else c['item_idx']}:{c['item_hash']}"
        entry = next((e for e in entries if (e.hash == c["item_hash"] if carried else e.key == key)), None)
        if entry is not None:
            change_entry(entry, action, c["new_value"])


def change_entry(entry: Entry, action: str, new: dict[str, Any] | None) -> None:
    if action == "reject":
        entry.rejected, entry.accepted = True, False
    elif action == "accept":
        entry.rejected, entry.accepted = False, True
    elif action == "edit":
        entry.item.update(new or {})
        entry.edited = True


def reviewed_result(store: Store, doc_id: str) -> dict[str, Any]:
    """The latest extraction's result with every correction applied, in order."""
    return load_state(store, ReviewSchema.of(store.genre), doc_id).corrected()


# ---------------------------------------------------------------- recording a change

@dataclass
class Row:
    task: str | None
    action: str
    item_idx: int | None = None
    item_hash: str | None = None
    old: Any = None
    new: Any = None


def correct(store: Store, schema: ReviewSchema, doc_id: str, change: CorrectionIn) -> int | None:
    """Validate one change against the current state and store it; None when it changes nothing."""
    state = load_state(store, schema, doc_id)
    if change.extraction_id != state.extraction_id:
        raise ReviewError(f"Document {doc_id} was extracted again since this page was loaded: reload the page")
    row = plan(state, schema, change)
    if row is None:
        return None
    with store.transaction():
        correction_id = insert(store, state, row, change.reviewer)
        save_result(store, load_state(store, schema, doc_id))
    return correction_id


def plan(state: ReviewState, schema: ReviewSchema, change: CorrectionIn) -> Row | None:
    if change.action == "reviewed":
        return Row(None, "reviewed")
    task = schema.task(change.task)
    if change.action == "set":
        return plan_set(state, task, change.values)
    if not task.chunked:
        raise ReviewError(f"{task.name} is a flat record: use action 'set' to change its fields")
    if change.action == "add":
        return plan_add(state, task, change)
    entry = state.entry(task.name, change.key)
    if change.action == "edit":
        return plan_edit(entry, task, change.values)
    return Row(task.name, change.action, entry.idx, entry.hash, old=entry.item)


def plan_set(state: ReviewState, task: TaskSpec, values: dict[str, Any]) -> Row | None:
    if task.chunked:
        raise ReviewError(f"{task.name} is a list of items: use edit, add, accept or reject")
    old = state.records.get(task.name, {})
    new = validated(task, old | coerce(task, values))
    changed = {k: new[k] for k in values if new.get(k) != old.get(k)}
    return Row(task.name, "set", old={k: old.get(k) for k in changed}, new=changed) if changed else None


def plan_edit(entry: Entry, task: TaskSpec, values: dict[str, Any]) -> Row | None:
    new = validated(task, entry.item | coerce(task, values))
    changed = {k: new[k] for k in task.names if k in new and new.get(k) != entry.item.get(k)}
    if not changed:
        return None
    return Row(task.name, "edit", entry.idx, entry.hash, old={k: entry.item.get(k) for k in changed}, new=changed)


def plan_add(state: ReviewState, task: TaskSpec, change: CorrectionIn) -> Row:
    start, end = trimmed_span(state.text, change.start, change.end)
    item = validated(task, coerce(task, change.values) | {"evidence": state.text[start:end]})
    item = {k: item.get(k) for k in (*task.names, "evidence")} | {"start": start, "end": end}
    return Row(task.name, "add", None, None, new=item)


def trimmed_span(text: str, start: int | None, end: int | None) -> tuple[int, int]:
    """The selection's offsets into the stored text, whitespace at either end left out."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        raise ReviewError(f"Select the item's text in the source first (got start={start}, end={end})")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ReviewError("The selection is only whitespace: select the item's words in the source")
    return start, end


def insert(store: Store, state: ReviewState, row: Row, reviewer: str | None) -> int:
    (correction_id,) = store.db.execute("SELECT nextval('correction_seq')").fetchone() or (0,)
    if row.action == "add":
        row.item_hash = item_hash({"added": row.new, "correction": correction_id})
    store.insert_row("corrections", {
        "correction_id": correction_id, "doc_id": state.doc_id, "extraction_id": state.extraction_id,
        "task": row.task, "item_idx": row.item_idx, "item_hash": row.item_hash, "action": row.action,
        "old_value": None if row.old is None else to_json(row.old),
        "new_value": None if row.new is None else to_json(row.new), "reviewer": reviewer or None})
    return correction_id


def save_result(store: Store, state: ReviewState) -> None:
    store.db.execute(
        "INSERT OR REPLACE INTO reviewed_results (extraction_id, doc_id, result, reviewed_at, updated_at)"
        " VALUES (?, ?, ?, ?, current_timestamp)",
        [state.extraction_id, state.doc_id, to_json(state.corrected()), state.reviewed_at])


# ---------------------------------------------------------------- gold in the fixture contract's shape

def gold(state: ReviewState, schema: ReviewSchema, fixture_id: str) -> dict[str, Any]:
    """The corrected result as a fixture's gold.json: every item with `start`, without `end`."""
    result = state.corrected()
    out: dict[str, Any] = {"fixture_id": fixture_id}
    index = SourceIndex(state.text)
    for key in schema.result_keys:
        if key == "fixture_id":
            continue
        value = result.get(key)
        out[key] = [placed(it, index) for it in value or []] if isinstance(value, list) else value
    return out


def placed(item: dict[str, Any], index: SourceIndex) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "end"}
    if out.get("start") is None and out.get("evidence"):
        found = index.locate(out["evidence"])
        out["start"] = found[0] if found else None
    return out
