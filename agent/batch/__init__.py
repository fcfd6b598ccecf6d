"""Batch mode for backfills: the live path's requests sent through a provider's Batch API (OpenAI,
DashScope, Zhipu: /files + /batches, JSONL in and out, at about half price) or written for
`vllm run-batch`, in rounds (first requests, then re-asks), the state in the database.

The work is in `fazhi.agent.batch.flow` (called through `fazhi.agent.api.batch_*`), the commands in `fazhi.agent.batch.cli`;
`register` declares `fazhi batch submit|status|collect` (the `fazhi.commands` entry point).
"""

from fazhi.agent.commands import Commands


def register(commands: Commands) -> None:
    commands.add("batch", "fazhi.agent.batch.cli:batch_app",
                 "Backfills through a provider's Batch API (about half price) or vllm run-batch.")
