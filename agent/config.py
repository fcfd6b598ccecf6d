"""Settings: resolved once per command into one frozen object, every value validated where it comes from.

Lowest to highest: the built-in profile (agent/providers.py), the config file ($FAZHI_CONFIG, else
./fazhi.toml, else ~/.config/fazhi/config.toml), the environment (FAZHI_*), the command line (`Options`).
Each layer is checked on its own, so a bad value is reported with its source and what is allowed.
"""

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fazhi.agent.errors import ConfigError, NoApiKey, UnknownProfile
from fazhi.agent.providers import LOCAL_KEY, MODES, PROFILES, Profile
from fazhi.agent.redaction import redact, secrets_of, without_userinfo
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError, computed_field

DEFAULTS = {"profile": "custom", "db": "fazhi.duckdb", "cache_dir": "cache", "genre": "fazhi.schemas.genre:GENRE"}
COMMAND_LINE = "command line"
ENV_PROFILE = {
    "FAZHI_BASE_URL": "base_url", "FAZHI_MODEL": "model", "FAZHI_MODE": "mode",
    "FAZHI_CONCURRENCY": "concurrency", "FAZHI_TIMEOUT": "timeout", "FAZHI_MAX_RETRIES": "max_retries",
    "FAZHI_REASKS": "reasks", "FAZHI_CHUNK_TOKENS": "chunk_tokens", "FAZHI_MAX_DOC_CHARS": "max_doc_chars",
    "FAZHI_MAX_TOKENS": "max_tokens", "FAZHI_CROSSCHECK": "crosscheck", "FAZHI_RPM": "rpm", "FAZHI_TPM": "tpm",
    "FAZHI_DEADLINE": "deadline", "FAZHI_MAX_DOC_TOKENS": "max_doc_tokens",
}
ENV_TOP = {"FAZHI_PROFILE": "profile", "FAZHI_DB": "db", "FAZHI_CACHE_DIR": "cache_dir", "FAZHI_GENRE": "genre",
           "FAZHI_MAX_COST": "max_cost"}
WHOLE = "must be a whole number"
ALLOWED = {
    "base_url": 'must be http(s)://host[:port][/path], e.g. "http://127.0.0.1:8000/v1"',
    "model": "must be a model name (non-empty text)",
    "api_key_env": "must be the name of an environment variable",
    "mode": f"choose one of {', '.join(MODES)}",
    "extra_body": "must be a table, e.g. extra_body = { enable_thinking = false }",
    "concurrency": f"{WHOLE} >= 1", "timeout": "must be a number of seconds > 0",
    "max_retries": f"{WHOLE} >= 0", "reasks": f"{WHOLE} >= 0", "chunk_tokens": f"{WHOLE} >= 1",
    "max_doc_chars": f"{WHOLE} >= 1", "max_tokens": f"{WHOLE} >= 0 (0: none sent)",
    **dict.fromkeys(("price_input", "price_cached", "price_output"), "must be a number >= 0 (USD per million tokens)"),
    "key_required": "must be true or false", "crosscheck": "must be true or false",
    "rpm": f"{WHOLE} >= 1 (requests per minute)", "tpm": f"{WHOLE} >= 1 (tokens per minute)",
    "deadline": "must be a number of seconds > 0", "max_doc_tokens": f"{WHOLE} >= 1 (prompt tokens per document)",
    "max_cost": "must be a number > 0 (USD per run)",
    "batch_endpoint": 'must be the chat endpoint\'s path, e.g. "/v1/chat/completions"',
    "profile": "must be a profile name (non-empty text)", "db": 'must be a string path, e.g. db = "reports.duckdb"',
    "cache_dir": 'must be a string path to a folder, e.g. cache_dir = "cache"',
    "genre": "must be module:ATTRIBUTE, e.g. schemas.genre:GENRE", "backend": "choose auto, offline or llm",
    "use_cache": "must be true or false", "replay_only": "must be true or false", "force": "must be true or false",
    "api_key": "must not be empty: pass the key, or leave the option out",
    "profiles": "must be tables, one per profile: [profiles.NAME]",
}
UNKNOWN = ("mode", "backend")  # a value outside a fixed list is "unknown", any other "invalid"
FLAGS = {"genre": "Options.genre", "use_cache": "--no-cache", "replay_only": "--offline"}


def check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("empty")
    return value


def check_base_url(url: str) -> str:
    if re.search(r"\s", url) or "://" not in url:
        raise ValueError("not a URL")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("not an http(s) URL")
    _ = parts.port  # raises ValueError on a port that is not a number in range
    return url


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError("unknown mode")
    return mode


Text = Annotated[str, AfterValidator(check_text)]
Url = Annotated[str, AfterValidator(check_base_url)]
Mode = Annotated[str, AfterValidator(check_mode)]
Endpoint = Annotated[str, Field(pattern=r"^/\S*$")]
GenreSpec = Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")]
AtLeastOne = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Budget = Annotated[float, Field(gt=0, allow_inf_nan=False)]
BackendChoice = Literal["auto", "offline", "llm"]


class ProfileValues(BaseModel):
    """One layer's values for a profile (the fields of providers.Profile but its name), each optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: Url | None = None
    model: Text | None = None
    api_key_env: Text | None = None
    mode: Mode | None = None
    extra_body: dict[str, Any] | None = None
    concurrency: AtLeastOne | None = None
    price_input: Price | None = None
    price_cached: Price | None = None
    price_output: Price | None = None
    timeout: Seconds | None = None
    max_retries: NonNegative | None = None
    reasks: NonNegative | None = None
    chunk_tokens: AtLeastOne | None = None
    max_doc_chars: AtLeastOne | None = None
    max_tokens: NonNegative | None = None
    key_required: bool | None = None
    crosscheck: bool | None = None
    batch_endpoint: Endpoint | None = None
    rpm: AtLeastOne | None = None
    tpm: AtLeastOne | None = None
    deadline: Seconds | None = None
    max_doc_tokens: AtLeastOne | None = None


class TopValues(BaseModel):
    """One layer's values outside the profile: which profile, where the data goes, which genre."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    profile: Text | None = None
    db: Text | None = None
    cache_dir: Text | None = None
    genre: GenreSpec | None = None
    max_cost: Budget | None = None
    profiles: dict[str, dict[str, Any]] | None = None  # the config file's profile tables


class CommandValues(BaseModel):
    """What only a command (or an `Options`) says: the backend, the cache, re-extraction, the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    backend: BackendChoice = "auto"
    use_cache: bool = True
    replay_only: bool = False
    force: bool = False
    api_key: Text | None = None


@dataclass
class Options:
    """What to run and where to store it. None means: from config file or environment, else default."""

    backend: str = "auto"  # auto | offline | llm
    profile: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    db: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    replay_only: bool = False
    force: bool = False
    genre: str | None = None
    max_cost: float | None = None  # USD: the run starts no new document once its cost reaches this


@dataclass
class Layer:
    """Values with, for each, where it came from (e.g. "environment variable FAZHI_TIMEOUT")."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def over(self, lower: "Layer") -> "Layer":
        return Layer(lower.values | self.values, lower.sources | self.sources)


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    data: dict[str, Any]


class Settings(BaseModel):
    """Everything a command needs, resolved and checked. The key and the base URL's credentials stay out
    of repr and str: `safe_base_url` shows the URL, `redact` hides both in any text."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    profile: Text
    base_url: Url = Field(repr=False)
    model: Text
    api_key: SecretStr | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    mode: Mode
    concurrency: AtLeastOne
    timeout: Seconds
    max_retries: NonNegative
    reasks: NonNegative
    chunk_tokens: AtLeastOne
    max_doc_chars: AtLeastOne
    max_tokens: NonNegative | None
    price_input: Price
    price_cached: Price
    price_output: Price
    extra_body: dict[str, Any]
    key_required: bool
    crosscheck: bool
    batch_endpoint: Endpoint
    rpm: AtLeastOne | None
    tpm: AtLeastOne | None
    deadline: Seconds
    max_doc_tokens: AtLeastOne | None
    max_cost: Budget | None = None
    db: Text
    cache_dir: Text
    genre: GenreSpec
    backend: BackendChoice
    use_model: bool
    use_cache: bool
    replay_only: bool
    force: bool
    sources: dict[str, str] = Field(default_factory=dict, repr=False)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def safe_base_url(self) -> str:
        """The base URL without user name and password."""
        return without_userinfo(self.base_url)

    @property
    def local(self) -> bool:
        return is_local(self.base_url)

    @property
    def needs_key(self) -> bool:
        """Local servers (localhost, 127.0.0.0/8, ::1, 0.0.0.0) and key_required = false need none."""
        return self.key_required and not self.local

    def key(self) -> str:
        if self.api_key is None:
            raise NoApiKey(self.api_key_env)
        return self.api_key.get_secret_value()

    def provider_profile(self) -> Profile:
        """The profile the model client takes."""
        return Profile(self.profile, **{f.name: getattr(self, f.name) for f in fields(Profile) if f.name != "name"})

    def from_command_line(self, name: str) -> bool:
        return self.sources.get(name, "").startswith(COMMAND_LINE)

    def redact(self, text: str) -> str:
        """`text` with the API key and the base URL's credentials replaced by ***."""
        return redact(text, self.secrets())

    def secrets(self) -> tuple[str, ...]:
        return secrets_of(self.api_key.get_secret_value() if self.api_key else None, self.base_url)


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def shown(name: str, value: Any) -> str:
    """A value for a message: credentials in a URL hidden."""
    text = repr(value)
    return re.sub(r"//[^/@\s]*@", "//***@", text) if name == "base_url" else text


def invalid(exc: ValidationError, values: dict[str, Any], where: Callable[[str], str], known: list[str]) -> ConfigError:
    """A pydantic error as one line: the value, its source, what is allowed."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    if error["type"] == "extra_forbidden":
        kind = "profile setting" if "base_url" in known else "setting"
        return ConfigError(f"Unknown {kind} {name!r} in {where(name)}: known are {', '.join(sorted(known))}")
    verb = "Unknown" if name in UNKNOWN else "Invalid"
    return ConfigError(f"{verb} {name} {shown(name, values.get(name))} from {where(name)}: "
                       f"{ALLOWED.get(name, error['msg'])}")


def checked(kind: type[BaseModel], values: dict[str, Any], where: Callable[[str], str], strict: bool) -> Layer:
    """One layer's values, validated; each with its source."""
    values = {k: v for k, v in values.items() if v is not None}
    try:
        clean = kind.model_validate(values, strict=strict).model_dump(include=set(values))
    except ValidationError as exc:
        raise invalid(exc, values, where, list(kind.model_fields)) from None
    return Layer(clean, {k: where(k) for k in clean})


def flag(name: str) -> str:
    return f"{COMMAND_LINE} {FLAGS.get(name) or '--' + name.replace('_', '-')}"


def command_layers(options: Options) -> tuple[Layer, Layer, Layer]:
    """The command line's profile values, top-level values and command values."""
    given = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in asdict(options).items()}
    split = {kind: {k: given.get(k) for k in kind.model_fields if k in given}
             for kind in (ProfileValues, TopValues, CommandValues)}
    return (checked(ProfileValues, split[ProfileValues], flag, strict=True),
            checked(TopValues, split[TopValues], flag, strict=True),
            checked(CommandValues, split[CommandValues], flag, strict=True))


def environment_layers() -> tuple[Layer, Layer]:
    """FAZHI_* variables (an empty one counts as unset), read as text and converted."""
    def read(names: dict[str, str]) -> dict[str, Any]:
        return {field: os.environ[var] for var, field in names.items() if os.environ.get(var)}

    def where(table: dict[str, str]) -> Callable[[str], str]:
        by_field = {f: v for v, f in table.items()}
        return lambda name: f"environment variable {by_field.get(name, name)}"

    return (checked(ProfileValues, read(ENV_PROFILE), where(ENV_PROFILE), strict=False),
            checked(TopValues, read(ENV_TOP), where(ENV_TOP), strict=False))


def config_path() -> Path | None:
    """$FAZHI_CONFIG (which must exist), else ./fazhi.toml, else ~/.config/fazhi/config.toml, if any."""
    named = os.environ.get("FAZHI_CONFIG")
    if named:
        if not Path(named).expanduser().exists():
            raise ConfigError(f"Config file {named} (environment variable FAZHI_CONFIG) does not exist: "
                              "fix the path, or unset FAZHI_CONFIG")
        return Path(named).expanduser()
    return next((p for p in (Path("fazhi.toml"), Path.home() / ".config/fazhi/config.toml") if p.exists()), None)


def read_config(path: Path | None = None) -> ConfigFile | None:
    path = path or config_path()
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"Config file {path} is not UTF-8 text: save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc.strerror or exc}: "
                          "make it a readable file, or set FAZHI_CONFIG to another") from None
    try:
        return ConfigFile(path, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"Config file {path} is not valid TOML: {reason}: fix it (see the example in "
                          "README.md)") from None


def file_layers(config: ConfigFile | None) -> tuple[Layer, dict[str, Layer]]:
    """The config file's top-level values, and each of its profile tables, checked."""
    if config is None:
        return Layer(), {}
    top = checked(TopValues, config.data, lambda name: f"config file {config.path}", strict=True)
    top.sources.pop("profiles", None)
    tables = top.values.pop("profiles", {})
    return top, {name: profile_table(config, name, values) for name, values in tables.items()}


def profile_table(config: ConfigFile, name: str, values: dict[str, Any]) -> Layer:
    where = f"config file {config.path} [profiles.{name}]"
    return checked(ProfileValues, values, lambda _: where, strict=True)


def pick_profile(*layers: Layer) -> tuple[str, str]:
    """The profile name from the highest layer that gives one (command line, environment, file)."""
    for layer in layers:
        if "profile" in layer.values:
            return layer.values["profile"], layer.sources["profile"]
    return DEFAULTS["profile"], "default"


def profile_base(name: str, source: str, tables: dict[str, Layer]) -> Layer:
    """The built-in profile `name` with its config-file table over it; a profile only in the file starts
    from the defaults (and must give base_url and model somewhere)."""
    if name not in PROFILES and name not in tables:
        raise UnknownProfile(name, sorted({*PROFILES, *tables}), source)
    builtin = PROFILES.get(name) or Profile(name, "", "")
    values = {f.name: getattr(builtin, f.name) for f in fields(Profile) if f.name != "name"}
    base = Layer(values, dict.fromkeys(values, f"built-in profile {name}" if name in PROFILES else "default"))
    if name not in PROFILES:
        del base.values["base_url"], base.values["model"]
    return tables[name].over(base) if name in tables else base


def require(name: str, values: dict[str, Any], config: ConfigFile | None) -> None:
    """A profile defined only in the config file must give base_url and model (there or elsewhere)."""
    examples = {"base_url": '"http://…/v1"', "model": '"NAME"'}
    for key, example in examples.items():
        if key not in values:
            where = f" in {config.path}" if config else ""
            raise ConfigError(f"profile {name}{where} has no {key}: add {key} = {example} under [profiles.{name}], "
                              f"or pass --{key.replace('_', '-')}")


def wants_model(backend: str, *given: Layer) -> bool:
    """--backend llm; or, with auto, a model asked for by name: a profile, a model or a base URL given on
    the command line, in the environment or at the top of the config file (not by the built-in table)."""
    if backend != "auto":
        return backend == "llm"
    return any(layer.values.get(key) for layer in given for key in ("profile", "model", "base_url"))


def find_key(command: Layer, values: dict[str, Any]) -> tuple[str | None, str]:
    """--api-key, else FAZHI_API_KEY, else the profile's own variable."""
    if command.values.get("api_key"):
        return command.values["api_key"], command.sources["api_key"]
    for var in ("FAZHI_API_KEY", values.get("api_key_env")):
        if var and os.environ.get(var):
            return os.environ[var], f"environment variable {var}"
    return None, "none"


def profile_key(profile: Profile, api_key: str | None = None) -> str:
    """The key for a profile stored earlier (a batch run collected by a later command): --api-key, else
    FAZHI_API_KEY, else the profile's own variable; the placeholder where none is needed."""
    command = checked(CommandValues, {"api_key": api_key}, flag, strict=True)
    key, _ = find_key(command, {"api_key_env": profile.api_key_env})
    if key is not None:
        return key
    if is_local(profile.base_url) or not profile.key_required:
        return LOCAL_KEY
    raise NoApiKey(profile.api_key_env)


def with_key(layer: Layer, command: Layer, use_model: bool) -> Layer:
    """The key, or the placeholder where none is needed (a local server, key_required = false, replay)."""
    key, source = find_key(command, layer.values)
    local = is_local(layer.values["base_url"]) or not layer.values["key_required"]
    if key is None and (local or command.values["replay_only"]):
        key, source = LOCAL_KEY, "placeholder (no key needed)"
    if key is None and use_model:
        raise NoApiKey(layer.values.get("api_key_env"))
    return Layer({"api_key": key}, {"api_key": source}).over(layer)


def resolve(options: Options) -> Settings:
    """The settings for one command: built-in profile < config file < environment < command line."""
    cli_profile, cli_top, command = command_layers(options)
    env_profile, env_top = environment_layers()
    config = read_config()
    file_top, tables = file_layers(config)
    name, source = pick_profile(cli_top, env_top, file_top)
    profile = cli_profile.over(env_profile.over(profile_base(name, source, tables)))
    require(name, profile.values, config)
    use_model = wants_model(command.values["backend"], cli_profile, cli_top, env_profile, env_top, file_top)
    top = cli_top.over(env_top.over(file_top.over(Layer(dict(DEFAULTS), dict.fromkeys(DEFAULTS, "default")))))
    merged = with_key(profile, command, use_model).over(top).over(command)
    merged.values |= {"profile": name, "use_model": use_model}
    return settings_of(merged)


def settings_of(layer: Layer) -> Settings:
    values = {k: v for k, v in layer.values.items() if k in Settings.model_fields}
    try:
        return Settings(**values, sources=layer.sources)
    except ValidationError as exc:
        where = layer.sources.get
        raise invalid(exc, values, lambda name: where(name, "settings"), list(Settings.model_fields)) from None
