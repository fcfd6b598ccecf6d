"""What each page shows, read from the store: the document list, one document, the charts."""

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from fazhi.agent.grounding import SourceIndex
from fazhi.agent.review import charts
from fazhi.agent.review.corrections import Entry, ReviewState
from fazhi.agent.review.fields import FieldSpec, ReviewSchema, TaskSpec
from fazhi.agent.store import Store

PER_PAGE = 50
SELECT_LIMIT = 30
SHORT = 16  # longest value of a field offered as a select (a label, not a title or a sentence)
STATUSES = {"": "any", "not_reviewed": "not reviewed", "reviewed": "reviewed", "new": "untouched",
            "in_progress": "corrected, not yet reviewed"}
STATUS_SQL = {"reviewed": "s.reviewed_at IS NOT NULL", "not_reviewed": "s.reviewed_at IS NULL",
              "new": "NOT s.corrected", "in_progress": "s.corrected AND s.reviewed_at IS NULL"}
EMPTY = "(empty)"
AGGREGATES = ("max", "avg", "sum", "min", "count")
KEY_LIKE = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------- the document list

@dataclass
class Filter:
    spec: FieldSpec
    value: str
    options: list[str] = field(default_factory=list)  # empty: a text box (contains)


@dataclass
class ListPage:
    filters: list[Filter]
    backends: list[str]
    backend: str
    status: str
    page: int
    pages: int
    total: int
    columns: list[str]
    rows: list[dict[str, Any]]


def distinct(store: Store, sql: str, params: list[Any] | None = None) -> list[str]:
    _, rows = store.query(sql, params or [])
    return [str(r[0]) for r in rows if r[0] is not None]


def list_filters(store: Store, schema: ReviewSchema, given: dict[str, str]) -> list[Filter]:
    """A select of the values present for short-label fields (and enums), a text box (contains) for others."""
    flat = schema.flat
    if flat is None:
        return []
    picks = ", ".join(f'list(DISTINCT CAST("{n}" AS VARCHAR) ORDER BY CAST("{n}" AS VARCHAR))[1:{SELECT_LIMIT + 1}]'
                      for n in flat.names)
    _, found = store.query(f"SELECT {picks} FROM reviewed_{flat.name}")  # one pass over the results
    out = []
    for spec, values in zip(flat.fields, found[0]):
        values = [str(v) for v in values or [] if v is not None]
        short = len(values) <= SELECT_LIMIT and all(len(v) <= SHORT for v in values)
        out.append(Filter(spec, given.get(spec.name, ""), [EMPTY, *values] if spec.kind == "enum" or short else []))
    return out


def list_page(store: Store, schema: ReviewSchema, given: dict[str, str], backend: str, status: str,
              page: int) -> ListPage:
    filters = list_filters(store, schema, given)
    where, params = list_where(filters, backend, status)
    base = list_from(schema) + where
    _, counted = store.query(f"SELECT count(*) {base}", params)
    total = int(counted[0][0])
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    columns, rows = store.query(f"SELECT {list_columns(schema)} {base} ORDER BY path, e.doc_id LIMIT {PER_PAGE}"
                                f" OFFSET {(page - 1) * PER_PAGE}", params)
    backends = distinct(store, "SELECT DISTINCT backend FROM latest_extractions ORDER BY 1")
    return ListPage(filters, backends, backend, status, page, pages, total, columns,
                    [dict(zip(columns, r)) for r in rows])


def list_from(schema: ReviewSchema) -> str:
    flat = schema.flat
    join = f" LEFT JOIN reviewed_{flat.name} f ON f.extraction_id = e.extraction_id" if flat else ""
    return "FROM latest_extractions e JOIN reviewed_sources s ON s.extraction_id = e.extraction_id" + join


def list_columns(schema: ReviewSchema) -> str:
    flat = [f'f."{n}"' for n in schema.flat.names] if schema.flat else []
    counts = [f"json_array_length(s.result, '$.\"{t.name}\"') AS \"n_{t.name}\"" for t in schema.item_tasks]
    return ", ".join([
        "e.doc_id", "(SELECT p.path FROM document_paths p WHERE p.doc_id = e.doc_id ORDER BY p.seen_at, p.path"
        " LIMIT 1) AS path", *flat, "e.backend", "e.model", *counts,
        "(SELECT count(*) FROM corrections c WHERE c.doc_id = e.doc_id AND c.action <> 'reviewed')"
        " AS corrections", "s.reviewed_at"])


def list_where(filters: list[Filter], backend: str, status: str) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for f in filters:
        column = f'CAST(f."{f.spec.name}" AS VARCHAR)'
        if f.value == EMPTY:
            clauses.append(f"{column} IS NULL")
        elif f.value:
            clauses.append(f"{column} = ?" if f.options else f"{column} ILIKE '%' || ? || '%'")
            params.append(f.value)
    if backend:
        clauses.append("e.backend = ?")
        params.append(backend)
    if status in STATUS_SQL:
        clauses.append(STATUS_SQL[status])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


# ---------------------------------------------------------------- one document

def shown(value: Any) -> str:
    """A value as a reader wants it: 3.0 as 3."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


@dataclass
class ItemView:
    task: TaskSpec
    entry: Entry
    start: int | None
    end: int | None

    @property
    def label(self) -> str:
        name = self.task.label_field
        return str(self.entry.item.get(name) or "") if name else ""

    @property
    def details(self) -> list[str]:
        return [shown(self.entry.item[f.name]) for f in self.task.fields
                if f.name != self.task.label_field and self.entry.item.get(f.name) not in (None, "")]

    @property
    def status(self) -> str:
        e = self.entry
        return " ".join(s for s, on in (("rejected", e.rejected), ("accepted", e.accepted), ("edited", e.edited),
                                        ("added", e.added)) if on)


@dataclass(frozen=True)
class Mark:
    task: str
    key: str
    colour: int
    rejected: bool


@dataclass
class Segment:
    start: int
    text: str
    marks: list[Mark]

    @property
    def css(self) -> str:
        if not self.marks:
            return "seg"
        live = [m for m in self.marks if not m.rejected]
        colour = (live or self.marks)[0].colour
        return (f"seg hl c{colour}" + (" multi" if len(self.marks) > 1 else "")
                + (" rejected" if not live else ""))

    @property
    def keys(self) -> str:
        return " ".join(f"{m.task}|{m.key}" for m in self.marks)


def next_unreviewed(store: Store, doc_id: str) -> str | None:
    """The first document (in the list's order) not yet marked reviewed, other than this one."""
    _, found = store.query(
        "SELECT s.doc_id FROM reviewed_sources s WHERE s.reviewed_at IS NULL AND s.doc_id <> ? ORDER BY"
        " (SELECT min(p.path) FROM document_paths p WHERE p.doc_id = s.doc_id), s.doc_id LIMIT 1", [doc_id])
    return str(found[0][0]) if found else None


def item_views(state: ReviewState, schema: ReviewSchema) -> dict[str, list[ItemView]]:
    index = SourceIndex(state.text)
    return {t.name: [item_view(t, e, index) for e in state.items.get(t.name, [])] for t in schema.item_tasks}


def item_view(task: TaskSpec, entry: Entry, index: SourceIndex) -> ItemView:
    start, end = entry.item.get("start"), entry.item.get("end")
    if not (isinstance(start, int) and isinstance(end, int)) and entry.item.get("evidence"):
        found = index.locate(str(entry.item["evidence"]))
        start, end = found if found else (None, None)
    return ItemView(task, entry, start, end)


def segments(text: str, views: dict[str, list[ItemView]]) -> list[Segment]:
    """The text cut at every item boundary; each piece lists the items over it."""
    placed = [(v, v.start, v.end) for vs in views.values() for v in vs if v.start is not None and v.end is not None]
    cuts = sorted({0, len(text), *(s for _, s, _ in placed), *(e for _, _, e in placed)})
    out = []
    for a, b in pairwise(cuts):
        if a >= b or b > len(text):
            continue
        over = [Mark(v.task.name, v.entry.key, v.task.colour, v.entry.rejected) for v, start, end in placed
                if start <= a and b <= end]
        out.append(Segment(a, text[a:b], over))
    return out


# ---------------------------------------------------------------- charts

LABELS = {"m_task": "items", "m_field": "measure", "k_field": "key field", "k_value": "key", "x": "groups",
          "s": "series", "agg": "aggregate", "c_task": "items", "c_field": "count by"}


@dataclass
class Choice:
    name: str
    value: str
    options: list[str]

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


def pick(given: str | None, options: list[str], default: str | None) -> str:
    return given if given in options else (default if default in options else (options[0] if options else ""))


def measure_defaults(store: Store, schema: ReviewSchema) -> dict[str, str | None]:
    task = next((t for t in schema.item_tasks if t.of_kind("number", "integer")), None)
    if task is None or schema.flat is None:
        return {}
    return {"m_task": task.name, "m_field": task.of_kind("number", "integer")[0].name,
            "k_field": key_field(store, task), "x": group_field(store, schema, ("integer",)),
            "s": group_field(store, schema, ("text",))}


def key_field(store: Store, task: TaskSpec) -> str | None:
    """The field that says what an item counts: identifier-like values (snake_case keys), else an enum."""
    for spec in task.of_kind("text"):
        values = distinct(store, f'SELECT DISTINCT "{spec.name}" FROM reviewed_{task.name} LIMIT 200')
        if values and all(KEY_LIKE.match(v) for v in values):
            return spec.name
    enums = task.of_kind("enum")
    return enums[0].name if enums else None


def group_field(store: Store, schema: ReviewSchema, kinds: tuple[str, ...]) -> str | None:
    """The first flat field of these kinds whose values are short labels (not titles or sentences)."""
    flat = schema.flat
    if flat is None:
        return None
    for spec in flat.of_kind(*kinds):
        _, rows = store.query(f'SELECT max(length(CAST("{spec.name}" AS VARCHAR))) FROM reviewed_{flat.name}')
        if rows[0][0] is not None and rows[0][0] <= SHORT:
            return spec.name
    return None


def measure_chart(store: Store, schema: ReviewSchema, q: dict[str, str]) -> tuple[list[Choice], str]:
    d = measure_defaults(store, schema)
    if not d or schema.flat is None:
        return [], charts.empty("No numeric item field in this genre")
    task = schema.task(pick(q.get("m_task"), [t.name for t in schema.item_tasks if t.of_kind("number", "integer")],
                            d["m_task"]))
    numeric = [f.name for f in task.of_kind("number", "integer")]
    m_field, k_field = pick(q.get("m_field"), numeric, d["m_field"]), pick(q.get("k_field"), list(task.names),
                                                                           d.get("k_field"))
    keys = distinct(store, f'SELECT "{k_field}" FROM reviewed_{task.name} WHERE "{k_field}" IS NOT NULL'
                           f' GROUP BY 1 ORDER BY count(*) DESC, 1')
    flat_names = list(schema.flat.names)
    choices = [Choice("m_task", task.name, [t.name for t in schema.item_tasks if t.of_kind("number", "integer")]),
               Choice("m_field", m_field, numeric), Choice("k_field", k_field, list(task.names)),
               Choice("k_value", pick(q.get("k_value"), keys, None), keys),
               Choice("x", pick(q.get("x"), flat_names, d.get("x")), flat_names),
               Choice("s", pick(q.get("s"), flat_names, d.get("s")), flat_names),
               Choice("agg", pick(q.get("agg"), list(AGGREGATES), "max"), list(AGGREGATES))]
    return choices, measure_svg(store, schema, task, {c.name: c.value for c in choices})


def measure_svg(store: Store, schema: ReviewSchema, task: TaskSpec, c: dict[str, str]) -> str:
    flat = schema.flat
    title = f'{c["agg"]}({c["m_field"]}) of {task.name} where {c["k_field"]} = {c["k_value"]}, by {c["x"]} and {c["s"]}'
    if not c["k_value"] or flat is None:
        return charts.empty(title)
    _, rows = store.query(
        f'SELECT CAST(f."{c["x"]}" AS VARCHAR), CAST(f."{c["s"]}" AS VARCHAR), {c["agg"]}(t."{c["m_field"]}")'
        f" FROM reviewed_{task.name} t JOIN reviewed_{flat.name} f ON f.extraction_id = t.extraction_id"
        f' WHERE CAST(t."{c["k_field"]}" AS VARCHAR) = ? GROUP BY ALL ORDER BY 1, 2', [c["k_value"]])
    values = {(x or EMPTY, s or EMPTY): float(v) for x, s, v in rows if v is not None}
    groups = list(dict.fromkeys(x for x, _ in values))
    series = sorted({s for _, s in values})
    return charts.grouped_bars(title, groups, series, values)


def count_chart(store: Store, schema: ReviewSchema, q: dict[str, str]) -> tuple[list[Choice], str]:
    tasks = [t for t in schema.item_tasks if t.of_kind("enum")]
    if not tasks:
        return [], charts.empty("No categorical item field in this genre")
    default = next((t.name for t in tasks if not t.of_kind("number", "integer")), tasks[0].name)
    task = schema.task(pick(q.get("c_task"), [t.name for t in tasks], default))
    enums = [f.name for f in task.of_kind("enum")]
    c_field = pick(q.get("c_field"), enums, enums[0])
    _, rows = store.query(f'SELECT CAST("{c_field}" AS VARCHAR), count(*) FROM reviewed_{task.name}'
                          " GROUP BY 1 ORDER BY 2 DESC, 1")
    counts = [(str(k or EMPTY), int(n)) for k, n in rows]
    choices = [Choice("c_task", task.name, [t.name for t in tasks]), Choice("c_field", c_field, enums)]
    return choices, charts.horizontal_bars(f"{task.name} by {c_field}", counts)


def eval_chart(store: Store) -> tuple[list[dict[str, Any]], str | None]:
    """Headline scores (F1 and accuracy of the whole set) over eval runs, if this database holds any."""
    _, has = store.query("SELECT count(*) FROM information_schema.tables WHERE table_name IN"
                         " ('eval_runs', 'eval_scores')")
    if has[0][0] < 2:
        return [], None
    columns, runs = store.query("SELECT eval_id, backend, model, prompt_version, fixture_set, n_fixtures, status,"
                                " created_at FROM eval_runs ORDER BY eval_id")
    if not runs:
        return [], None
    _, rows = store.query("SELECT eval_id, section || '.' || field, value FROM eval_scores WHERE fixture_id = '*'"
                          " AND field IN ('f1', 'accuracy') ORDER BY 1, 2")
    ids = [str(r[0]) for r in runs]
    series: dict[str, list[float | None]] = {}
    for eval_id, name, value in rows:
        series.setdefault(name, [None] * len(ids))[ids.index(str(eval_id))] = value
    svg = charts.lines("Scores over eval runs", [f"#{i}" for i in ids], series)
    return [dict(zip(columns, r)) for r in runs], svg
