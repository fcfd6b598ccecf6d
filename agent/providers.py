"""Provider profiles for OpenAI-compatible APIs: the built-in table. How a command's settings are
resolved from these, the config file, the environment and the command line is agent/config.py.
"""

from dataclasses import dataclass, field
from typing import Any

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
    rpm: int | None = None  # the provider's requests per minute (None: unknown, paced by its headers only)
    tpm: int | None = None  # the provider's tokens per minute
    deadline: float = 6 * 3600.0  # seconds a run may wait on rate limits before a document fails on one
    max_doc_tokens: int | None = None  # a document estimated to send more prompt tokens fails unasked

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
