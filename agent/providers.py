"""Provider profiles for OpenAI-compatible APIs, and how settings are resolved.

Precedence, lowest to highest: built-in profile, config file (fazhi.toml), environment (FAZHI_*),
command-line options.
"""

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from agent.errors import ConfigError, NoApiKey, UnknownProfile

# How each mode asks for structured output: None = the prompt states the JSON shape (json adds a JSON
# response format, md_json nothing); else the instructor mode that puts the schema in the request.
MODES: dict[str, str | None] = {"json": None, "md_json": None, "tools": "TOOLS", "json_schema": "JSON_SCHEMA"}
LOCAL_KEY = "EMPTY"


@dataclass(frozen=True)
class Profile:
    """How to reach one OpenAI-compatible service. Prices are USD per million tokens."""

    name: str
    base_url: str
    model: str
    api_key_env: str | None = None
    mode: str = "json"
    extra_body: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 4
    price_input: float = 0.0
    price_cached: float = 0.0
    price_output: float = 0.0
    timeout: float = 180.0
    max_retries: int = 3
    reasks: int = 2
    chunk_tokens: int = 6000
    max_doc_chars: int = 400_000
    max_tokens: int | None = None
    key_required: bool = True
    crosscheck: bool = False  # compare each model result with the offline rules' (costs their CPU)
    batch_endpoint: str = "/v1/chat/completions"  # the chat endpoint a batch file's lines name (fazhi batch)

    def cost(self, tokens_in: int, tokens_cached: int, tokens_out: int) -> float:
        fresh = max(tokens_in - tokens_cached, 0)
        total = fresh * self.price_input + tokens_cached * self.price_cached + tokens_out * self.price_output
        return total / 1_000_000


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("openai", "https://api.openai.com/v1", "gpt-4.1-mini", "OPENAI_API_KEY",
                concurrency=8, price_input=0.40, price_cached=0.10, price_output=1.60, max_tokens=32768),
        Profile("deepseek", "https://api.deepseek.com/v1", "deepseek-chat", "DEEPSEEK_API_KEY",
                concurrency=8, price_input=0.27, price_cached=0.07, price_output=1.10, max_tokens=8192),
        Profile("qwen", "https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", "DASHSCOPE_API_KEY",
                extra_body={"enable_thinking": False}, concurrency=8,
                price_input=0.11, price_cached=0.03, price_output=0.28, max_tokens=8192),
        Profile("moonshot", "https://api.moonshot.cn/v1", "kimi-k2-turbo-preview", "MOONSHOT_API_KEY",
                concurrency=4, price_input=0.60, price_cached=0.15, price_output=2.50, max_tokens=16384),
        Profile("zhipu", "https://open.bigmodel.cn/api/paas/v4", "glm-4.5-air", "ZHIPUAI_API_KEY",
                extra_body={"thinking": {"type": "disabled"}}, concurrency=4,
                price_input=0.11, price_cached=0.03, price_output=0.28, max_tokens=16384,
                batch_endpoint="/v4/chat/completions"),
        Profile("vllm", "http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", "VLLM_API_KEY",
                concurrency=16, key_required=False, timeout=600.0, max_tokens=8192),
        Profile("ollama", "http://127.0.0.1:11434/v1", "qwen2.5:7b", None,
                concurrency=1, key_required=False, timeout=600.0, max_tokens=8192),
        Profile("custom", "http://127.0.0.1:8000/v1", "default", None, max_tokens=4096),
    )
}

ENV_FIELDS = {
    "FAZHI_BASE_URL": "base_url", "FAZHI_MODEL": "model", "FAZHI_MODE": "mode",
    "FAZHI_CONCURRENCY": "concurrency", "FAZHI_TIMEOUT": "timeout", "FAZHI_MAX_RETRIES": "max_retries",
    "FAZHI_REASKS": "reasks", "FAZHI_CHUNK_TOKENS": "chunk_tokens", "FAZHI_MAX_DOC_CHARS": "max_doc_chars",
    "FAZHI_MAX_TOKENS": "max_tokens", "FAZHI_CROSSCHECK": "crosscheck",
}


def config_path() -> Path | None:
    """FAZHI_CONFIG, else ./fazhi.toml, else ~/.config/fazhi/config.toml, whichever exists first."""
    candidates = [os.environ.get("FAZHI_CONFIG"), "fazhi.toml", Path.home() / ".config/fazhi/config.toml"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def load_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read config {path}: {exc}") from exc


def coerce(profile: Profile, values: dict[str, Any]) -> Profile:
    """Apply overrides, converting strings (from the environment) to each field's type."""
    known = {f.name: f for f in fields(Profile)}
    clean = {}
    for key, value in values.items():
        if value is None:
            continue
        if key not in known:
            raise ConfigError(f"Unknown profile setting {key!r}: known are {', '.join(sorted(known))}")
        default = getattr(profile, key)
        kind = int if key == "max_tokens" else type(default)
        if isinstance(value, str) and kind is bool:
            clean[key] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            clean[key] = kind(value) if isinstance(value, str) and kind in (int, float) else value
    result = replace(profile, **clean)
    if result.mode not in MODES:
        raise ConfigError(f"Unknown mode {result.mode!r}: choose one of {', '.join(MODES)}")
    return result


def env_overrides() -> dict[str, Any]:
    return {name: os.environ[var] for var, name in ENV_FIELDS.items() if os.environ.get(var)}


def resolve_profile(name: str | None, cli: dict[str, Any], config: dict[str, Any] | None = None) -> Profile:
    """The profile `name` with config-file, environment and command-line overrides applied."""
    config = load_config() if config is None else config
    defined = config.get("profiles", {})
    name = name or os.environ.get("FAZHI_PROFILE") or config.get("profile") or "custom"
    if name not in PROFILES and name not in defined:
        raise UnknownProfile(name, sorted({*PROFILES, *defined}))
    base = PROFILES.get(name) or Profile(name, defined[name].get("base_url", ""), defined[name].get("model", ""))
    return coerce(coerce(coerce(base, defined.get(name, {})), env_overrides()), cli)


def resolve_api_key(profile: Profile, cli_key: str | None = None) -> str:
    """--api-key, else FAZHI_API_KEY, else the profile's own variable; local servers need none."""
    env_key = os.environ.get(profile.api_key_env) if profile.api_key_env else None
    key = cli_key or os.environ.get("FAZHI_API_KEY") or env_key
    if key:
        return key
    if not profile.key_required:
        return LOCAL_KEY
    raise NoApiKey(profile.api_key_env)
