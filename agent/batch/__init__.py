"""Batch mode for backfills: the live path's requests sent through a provider's Batch API (OpenAI,
DashScope, Zhipu: /files + /batches, JSONL in and out, at about half price) or written for
`vllm run-batch`, in rounds (first requests, then re-asks), the state in the database.

`register(app)` adds `fazhi batch submit|status|collect` to the CLI.
"""

from agent.batch.cli import register
from agent.batch.flow import BatchStatus, Collected, Submitted, collect, status, submit

__all__ = ["BatchStatus", "Collected", "Submitted", "collect", "register", "status", "submit"]
