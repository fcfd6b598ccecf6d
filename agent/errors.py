"""Typed errors. Each message says what went wrong and how to fix it, in one line."""


class FazhiError(Exception):
    """Base of every error fazhi raises on purpose; the CLI prints its message and exits non-zero."""


class ConfigError(FazhiError):
    pass


class NoApiKey(ConfigError):
    def __init__(self, env_var: str | None) -> None:
        where = f"set {env_var} or FAZHI_API_KEY" if env_var else "set FAZHI_API_KEY"
        super().__init__(f"No API key: {where}, or pass --api-key")


class UnknownProfile(ConfigError):
    def __init__(self, name: str, known: list[str], source: str = "") -> None:
        origin = f" from {source}" if source else ""
        super().__init__(f"Unknown profile {name!r}{origin}: choose one of {', '.join(known)} "
                         "or define it in fazhi.toml")


class InputError(FazhiError):
    """A file that cannot be read as a report (unsupported, undecodable, empty, too large)."""


class DatabaseLocked(FazhiError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"Database {path} is locked by another process: wait for it to finish, or pass --db OTHER.duckdb"
        )


class CacheMiss(FazhiError):
    def __init__(self, doc: str) -> None:
        super().__init__(f"Offline replay: no cached answer for document {doc}; run once without --offline")


class ExtractionError(FazhiError):
    """A document could not be extracted (provider failure, deadline, invalid answers)."""


class ProviderUnusable(ExtractionError):
    """A failure every request to the provider would meet: a refused key, no such model, nobody listening."""


class QueryError(FazhiError):
    pass
