"""fazhi's engine: ingest documents, extract with a model or offline rules, ground, cache and store.

The public API is in `fazhi.agent.api`: `extract`, `ingest`, `open_store`, `show`, `Options`.
"""
