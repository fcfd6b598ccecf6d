"""The fake server's Batch API: /v1/files (multipart upload, content download) and /v1/batches (create,
retrieve), as OpenAI, DashScope and Zhipu offer them. Each line of an uploaded JSONL is answered by the
fake's own brain (the same as a live request: queue, rules, brain); a batch completes at once, or
after `polls` status polls that see it still running. `run_file` does what `vllm run-batch` does.
"""

import json
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

Answer = Callable[[dict[str, Any]], tuple[int, Any]]  # a request body → (HTTP status, response body)


def multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body's fields: name → (file name, bytes)."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = (part.get_filename(), bytes(part.get_payload(decode=True) or b""))
    return fields


def output_line(number: int, custom_id: str, status: int, body: Any) -> dict[str, Any]:
    return {"id": f"batch_req_{number}", "custom_id": custom_id,
            "response": {"status_code": status, "request_id": f"req_{number}", "body": body}, "error": None}


def answer_lines(data: bytes, answer: Answer) -> list[dict[str, Any]]:
    """Each input line's output line, in order."""
    out = []
    for number, line in enumerate(data.decode("utf-8").splitlines()):
        if line.strip():
            row = json.loads(line)
            out.append(output_line(number, row["custom_id"], *answer(row["body"])))
    return out


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def run_file(source: Path, target: Path, answer: Answer) -> None:
    """What `vllm run-batch -i SOURCE -o TARGET` does: every answer, failed or not, in one file."""
    target.write_bytes(jsonl(answer_lines(source.read_bytes(), answer)))


class BatchDesk:
    """Files and batches held in memory."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.waits: dict[str, int] = {}
        self.polls = 0  # status polls that see a new batch still running
        self.lock = threading.Lock()

    def upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        fields = multipart(content_type, body)
        name, data = fields["file"]
        with self.lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = data
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": name or "upload.jsonl", "purpose": fields["purpose"][1].decode(), "status": "processed"}

    def create(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = self.files.get(request.get("input_file_id", ""))
        if data is None:
            return 404, {"error": {"message": "No such file", "type": "invalid_request_error"}}
        lines = answer_lines(data, self.answer)
        with self.lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            done = [r for r in lines if r["response"]["status_code"] == 200]
            failed = [r for r in lines if r["response"]["status_code"] != 200]
            output, errors = self.store(done), self.store(failed)
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": request["endpoint"], "errors": None,
                "input_file_id": request["input_file_id"], "completion_window": request["completion_window"],
                "status": "completed", "output_file_id": output, "error_file_id": errors,
                "created_at": int(time.time()), "completed_at": int(time.time()), "metadata": request.get("metadata"),
                "request_counts": {"total": len(lines), "completed": len(done), "failed": len(failed)}}
            self.waits[batch_id] = self.polls
        return 200, self.view(batch_id, poll=False)

    def store(self, rows: list[dict[str, Any]]) -> str | None:
        if not rows:
            return None
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = jsonl(rows)
        return file_id

    def retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        if batch_id not in self.batches:
            return 404, {"error": {"message": f"No batch {batch_id}", "type": "invalid_request_error"}}
        return 200, self.view(batch_id, poll=True)

    def view(self, batch_id: str, poll: bool) -> dict[str, Any]:
        """The batch as a poll sees it: running while it has polls to wait, then complete."""
        with self.lock:
            batch = self.batches[batch_id]
            if self.waits[batch_id] <= 0 and poll:
                return batch
            if poll:
                self.waits[batch_id] -= 1
            total = batch["request_counts"]["total"]
            return batch | {"status": "in_progress", "output_file_id": None, "error_file_id": None,
                            "completed_at": None, "request_counts": {"total": total, "completed": 0, "failed": 0}}
