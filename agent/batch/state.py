"""A batch run's state in the database (agent/migrations/008_batches.sql): its settings, its documents
and their asks, its batches, every request sent and every answer read. Any process can pick it up."""

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from fazhi.agent.providers import Profile
from fazhi.agent.redaction import without_userinfo
from fazhi.agent.store import Store


@dataclass
class RunSettings:
    profile: Profile
    genre: str | None
    cache_dir: str
    prompt_version: str
    started_at: datetime


@dataclass
class Reply:
    """A request of a document's ask, with its answer once read (status None: not answered yet)."""

    custom_id: str
    ask_no: int
    attempt: int
    live: bool
    status: str | None
    error: str | None
    response: dict[str, Any] | None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    latency_s: float = 0.0


BATCH_COLUMNS = ("batch_id", "run_id", "round", "via", "status", "provider_status", "input_file_id",
                 "output_file_id", "error_file_id", "jsonl_path", "n_requests", "created_at", "collected_at")


def profile_json(profile: Profile) -> str:
    """The profile as stored with a run: never a credential (a user:password@ in the base URL is left out;
    the key is never part of a profile)."""
    return json.dumps(asdict(profile) | {"base_url": without_userinfo(profile.base_url)}, ensure_ascii=False)


def profile_from(text: str) -> Profile:
    known = {f.name for f in fields(Profile)}
    return Profile(**{k: v for k, v in json.loads(text).items() if k in known})


def answer_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of batch_answers with every column: the response (a chat completion) as JSON."""
    response = row.get("response")
    return {"custom_id": row["custom_id"], "status": row["status"], "error": row.get("error"),
            "response": json.dumps(response, ensure_ascii=False) if response is not None else None,
            **{k: row.get(k) or 0 for k in ("tokens_in", "tokens_out", "tokens_cached", "latency_s")}}


class BatchState:
    """The batch tables of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, params).fetchall()

    def add_run(self, run_id: int, profile: Profile, genre: str | None, cache_dir: str, version: str) -> None:
        self.store.insert_row("batch_runs", {"run_id": run_id, "profile": profile_json(profile), "genre": genre,
                                             "cache_dir": cache_dir, "prompt_version": version})

    def settings(self, run_id: int) -> RunSettings:
        found = self.rows("SELECT b.profile, b.genre, b.cache_dir, b.prompt_version, r.started_at FROM batch_runs b"
                          " JOIN runs r USING (run_id) WHERE run_id = ?", [run_id])
        profile, genre, cache_dir, version, started = found[0]
        return RunSettings(profile_from(profile), genre, cache_dir, version, started)

    def add_docs(self, run_id: int, statuses: dict[str, str]) -> None:
        self.store.insert_rows("batch_docs", [{"run_id": run_id, "doc_id": d, "status": s}
                                              for d, s in statuses.items()])

    def set_doc(self, run_id: int, doc_id: str, status: str) -> None:
        self.db.execute("UPDATE batch_docs SET status = ? WHERE run_id = ? AND doc_id = ?", [status, run_id, doc_id])

    def abandon(self, run_id: int) -> None:
        """A run whose batch could not be submitted: its documents wait no more."""
        self.db.execute("UPDATE batch_docs SET status = 'abandoned' WHERE run_id = ? AND status = 'waiting'", [run_id])

    def waiting(self, run_id: int) -> list[str]:
        found = self.rows("SELECT doc_id FROM batch_docs WHERE run_id = ? AND status = 'waiting' ORDER BY doc_id",
                          [run_id])
        return [r[0] for r in found]

    def waiting_runs(self) -> list[int]:
        return [r[0] for r in self.rows("SELECT DISTINCT run_id FROM batch_docs WHERE status = 'waiting'"
                                        " ORDER BY run_id", [])]

    def waiting_elsewhere(self, model: str, version: str) -> set[str]:
        """Documents waiting in a batch run of the same model and prompts (submitted, not yet stored)."""
        found = self.rows("SELECT d.doc_id FROM batch_docs d JOIN runs r USING (run_id) WHERE d.status = 'waiting'"
                          " AND r.model = ? AND r.prompt_version = ?", [model, version])
        return {r[0] for r in found}

    def add_asks(self, rows: list[dict[str, Any]]) -> None:
        self.store.insert_rows("batch_asks", [r | {"ask": json.dumps(r["ask"])} for r in rows])

    def asks(self, run_id: int) -> dict[str, list[tuple[int, int | None, dict[str, Any], str]]]:
        """Each waiting document's asks: (number, parent, ask, cache key), in order."""
        found = self.rows("SELECT a.doc_id, a.ask_no, a.parent, a.ask, a.cache_key FROM batch_asks a JOIN batch_docs d"
                          " USING (run_id, doc_id) WHERE run_id = ? AND d.status = 'waiting' ORDER BY a.ask_no",
                          [run_id])
        out: dict[str, list[tuple[int, int | None, dict[str, Any], str]]] = {}
        for doc_id, no, parent, ask, key in found:
            out.setdefault(doc_id, []).append((no, parent, json.loads(ask), key))
        return out

    def texts(self, run_id: int) -> dict[str, str]:
        found = self.rows("SELECT doc_id, text FROM documents JOIN batch_docs d USING (doc_id) WHERE d.run_id = ?"
                          " AND d.status = 'waiting' ORDER BY doc_id", [run_id])
        return dict(found)

    def replies(self, run_id: int) -> dict[str, dict[tuple[int, int], Reply]]:
        """Each waiting document's requests and their answers, by (ask, attempt)."""
        found = self.rows(
            "SELECT q.doc_id, q.custom_id, q.ask_no, q.attempt, q.batch_id IS NULL, a.status, a.error, a.response,"
            " a.tokens_in, a.tokens_out, a.tokens_cached, a.latency_s FROM batch_requests q"
            " JOIN batch_docs d USING (run_id, doc_id) LEFT JOIN batch_answers a USING (custom_id)"
            " WHERE q.run_id = ? AND d.status = 'waiting'", [run_id])
        out: dict[str, dict[tuple[int, int], Reply]] = {}
        for doc_id, cid, no, attempt, live, status, error, response, t_in, t_out, t_cached, latency in found:
            reply = Reply(cid, no, attempt, live, status, error, json.loads(response) if response else None,
                          t_in or 0, t_out or 0, t_cached or 0, latency or 0.0)
            out.setdefault(doc_id, {})[(no, attempt)] = reply
        return out

    def paths(self, doc_ids: list[str]) -> dict[str, str]:
        """doc_id → the first file each document was read from (for messages)."""
        found = self.rows("SELECT doc_id, min(path) FROM document_paths WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))"
                          " GROUP BY doc_id", [doc_ids])
        return dict(found)

    def clear_responses(self, run_id: int, doc_id: str) -> None:
        """A stored document's completions are not kept (its answers are in the cache)."""
        self.db.execute("UPDATE batch_answers SET response = NULL WHERE custom_id IN (SELECT custom_id FROM"
                        " batch_requests WHERE run_id = ? AND doc_id = ?)", [run_id, doc_id])

    def add_batch(self, row: dict[str, Any], requests: list[dict[str, Any]]) -> None:
        with self.store.transaction():
            self.store.insert_row("batches", row)
            self.store.insert_rows("batch_requests", requests)

    def add_answers(self, rows: list[dict[str, Any]]) -> None:
        """Answers as read: each row's response (a chat completion) stored as JSON."""
        self.store.insert_rows("batch_answers", [answer_row(r) for r in rows])

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        found = self.rows(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches WHERE batch_id = ?", [batch_id])
        return dict(zip(BATCH_COLUMNS, found[0])) if found else None

    def batches(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        found = self.rows(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches WHERE {where} ORDER BY created_at,"
                          " batch_id", params)
        return [dict(zip(BATCH_COLUMNS, r)) for r in found]

    def latest(self, run_id: int) -> dict[str, Any] | None:
        found = self.batches("run_id = ? AND round = (SELECT max(round) FROM batches WHERE run_id = ?)",
                             [run_id, run_id])
        return found[0] if found else None

    def next_round(self, run_id: int) -> int:
        return int(self.rows("SELECT coalesce(max(round), 0) + 1 FROM batches WHERE run_id = ?", [run_id])[0][0])

    def batch_of(self, custom_ids: list[str]) -> list[str]:
        found = self.rows("SELECT DISTINCT batch_id FROM batch_requests WHERE custom_id IN (SELECT unnest(?))"
                          " AND batch_id IS NOT NULL", [custom_ids])
        return [r[0] for r in found]

    def requests_of(self, batch_id: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT custom_id FROM batch_requests WHERE batch_id = ? ORDER BY custom_id",
                                        [batch_id])]

    def collected(self, batch_id: str, answers: list[dict[str, Any]], provider_status: str,
                  files: tuple[str | None, str | None]) -> None:
        """The batch's answers recorded and the batch marked collected, all at once."""
        with self.store.transaction():
            self.add_answers(answers)
            self.db.execute("UPDATE batches SET status = 'collected', provider_status = ?, output_file_id = ?,"
                            " error_file_id = ?, collected_at = current_timestamp WHERE batch_id = ?",
                            [provider_status, *files, batch_id])

    def counts(self, batch_id: str) -> tuple[int, int, int]:
        """(requests, answered, failed) of a batch, as recorded."""
        found = self.rows("SELECT count(*), count(a.status) FILTER (a.status = 'ok'), count(a.status) FILTER"
                          " (a.status <> 'ok') FROM batch_requests q LEFT JOIN batch_answers a USING (custom_id)"
                          " WHERE q.batch_id = ?", [batch_id])
        return found[0]

    def run_totals(self, run_id: int) -> dict[str, Any]:
        names = ("n_done", "n_failed", "requests", "cache_hits", "tokens_in", "tokens_out", "tokens_cached",
                 "cost_usd")
        found = self.rows("SELECT count(*) FILTER (status = 'ok'), count(*) FILTER (status = 'failed'),"
                          " coalesce(sum(requests), 0), coalesce(sum(cache_hits), 0), coalesce(sum(tokens_in), 0),"
                          " coalesce(sum(tokens_out), 0), coalesce(sum(tokens_cached), 0), coalesce(sum(cost_usd), 0)"
                          " FROM extractions WHERE run_id = ?", [run_id])
        return dict(zip(names, found[0]))

    def update_run(self, run_id: int, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE runs SET {sets} WHERE run_id = ?", [*values.values(), run_id])
