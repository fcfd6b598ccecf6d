"""Settings: resolved once, layer over layer (built-in < config file < environment < command line); every
bad value refused up front, naming the value, its source and what is allowed; local servers need no key;
secrets kept out of text."""

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest
from fazhi.agent import api
from fazhi.agent.cli import app
from fazhi.agent.config import Options, ProfileValues, Settings, is_local, resolve
from fazhi.agent.errors import ConfigError, NoApiKey
from fazhi.agent.providers import LOCAL_KEY, Profile
from fazhi.evals.fakellm import FakeLLM
from typer.testing import CliRunner

SMALL = Path(__file__).resolve().parent.parent / "samples" / "huzhu-2024.txt"
runner = CliRunner()


def write_config(text: str, path: str = "fazhi.toml") -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


# precedence


def test_each_layer_overrides_the_one_below(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('[profiles.deepseek]\nmodel = "from-file"\nconcurrency = 3\ntimeout = 30\nmax_retries = 1\n')
    monkeypatch.setenv("FAZHI_CONCURRENCY", "7")
    monkeypatch.setenv("FAZHI_TIMEOUT", "20")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek")
    s = resolve(Options(profile="deepseek", timeout=5))
    assert (s.base_url, s.price_input, s.model, s.max_retries, s.concurrency, s.timeout) == (
        "https://api.deepseek.com/v1", 0.27, "from-file", 1, 7, 5.0)
    assert s.sources["base_url"] == "built-in profile deepseek"
    assert s.sources["model"] == "config file fazhi.toml [profiles.deepseek]"
    assert s.sources["concurrency"] == "environment variable FAZHI_CONCURRENCY"
    assert s.sources["timeout"] == "command line --timeout"
    assert s.sources["api_key"] == "environment variable DEEPSEEK_API_KEY"


def test_the_profile_name_and_the_paths_follow_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('profile = "qwen"\ndb = "file.duckdb"\ncache_dir = "file-cache"\n')
    s = resolve(Options(backend="offline"))
    assert (s.profile, s.db, s.sources["profile"]) == ("qwen", "file.duckdb", "config file fazhi.toml")
    monkeypatch.setenv("FAZHI_PROFILE", "moonshot")
    monkeypatch.setenv("FAZHI_DB", "env.duckdb")
    s = resolve(Options(backend="offline"))
    assert (s.profile, s.db, s.cache_dir) == ("moonshot", "env.duckdb", "file-cache")
    s = resolve(Options(backend="offline", profile="ollama", db="cli.duckdb"))
    assert (s.profile, s.db, s.sources["db"]) == ("ollama", "cli.duckdb", "command line --db")


def test_fazhi_config_comes_before_the_local_file_which_comes_before_the_home_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config('db = "home.duckdb"\n', ".config/fazhi/config.toml")  # HOME is the test's folder
    assert resolve(Options()).db == "home.duckdb"
    write_config('db = "here.duckdb"\n')
    assert resolve(Options()).db == "here.duckdb"
    monkeypatch.setenv("FAZHI_CONFIG", str(write_config('db = "named.duckdb"\n', "elsewhere/my.toml")))
    assert resolve(Options()).db == "named.duckdb"


def test_settings_are_frozen_and_hold_what_the_model_client_takes() -> None:
    s = resolve(Options(profile="ollama"))
    with pytest.raises(ValueError, match="frozen"):
        s.timeout = 1  # type: ignore[misc]
    profile = s.provider_profile()
    assert (profile.name, profile.base_url, profile.concurrency, profile.timeout) == (
        "ollama", "http://127.0.0.1:11434/v1", 1, 600.0)


def test_a_layer_takes_every_field_of_a_profile() -> None:
    assert set(ProfileValues.model_fields) == {f.name for f in fields(Profile)} - {"name"}


# bad values: each a one-line ConfigError from the API, and exit code 2 from the CLI


@dataclass(frozen=True)
class Bad:
    options: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    toml: str | bytes | None = None
    expect: tuple[str, ...] = ()


BAD = {
    "url-not-a-url": Bad({"base_url": "not a url", "model": "m"}, expect=(
        "base_url 'not a url'", "command line --base-url", "http(s)://host[:port][/path]")),
    "url-empty": Bad({"base_url": "", "model": "m"}, expect=("base_url ''", "command line --base-url")),
    "url-ftp": Bad({"base_url": "ftp://host/v1", "model": "m"}, expect=("'ftp://host/v1'", "command line --base-url")),
    "url-no-scheme": Bad({"base_url": "127.0.0.1:8000/v1", "model": "m"}, expect=(
        "'127.0.0.1:8000/v1'", "command line --base-url", "http://127.0.0.1:8000/v1")),
    "url-bad-port": Bad({"base_url": "http://h:99999/v1", "model": "m"}, expect=("'http://h:99999/v1'",)),
    "url-env": Bad(env={"FAZHI_BASE_URL": "ftp://h/v1"}, expect=(
        "'ftp://h/v1'", "environment variable FAZHI_BASE_URL")),
    "url-file": Bad(toml='[profiles.custom]\nbase_url = "localhost:8000"\n', expect=(
        "'localhost:8000'", "config file fazhi.toml [profiles.custom]")),
    "config-missing": Bad(env={"FAZHI_CONFIG": "nowhere.toml"}, expect=(
        "nowhere.toml", "environment variable FAZHI_CONFIG", "does not exist")),
    "config-not-toml": Bad(toml="profile = \n", expect=("fazhi.toml", "not valid TOML", "line 1")),
    "config-not-utf8": Bad(toml=b'db = "\xff\xfe"\n', expect=("fazhi.toml", "not UTF-8")),
    "timeout-zero": Bad({"timeout": 0}, expect=("timeout 0", "command line --timeout", "> 0")),
    "timeout-negative": Bad({"timeout": -1}, expect=("timeout -1", "command line --timeout", "> 0")),
    "timeout-env": Bad(env={"FAZHI_TIMEOUT": "soon"}, expect=("'soon'", "environment variable FAZHI_TIMEOUT")),
    "reasks-env": Bad(env={"FAZHI_REASKS": "-1"}, expect=(
        "reasks '-1'", "environment variable FAZHI_REASKS", "whole number >= 0")),
    "reasks-file": Bad(toml="[profiles.custom]\nreasks = -2\n", expect=(
        "reasks -2", "config file fazhi.toml [profiles.custom]", ">= 0")),
    "retries-env": Bad(env={"FAZHI_MAX_RETRIES": "-1"}, expect=(
        "max_retries '-1'", "environment variable FAZHI_MAX_RETRIES", ">= 0")),
    "concurrency-env": Bad(env={"FAZHI_CONCURRENCY": "abc"}, expect=(
        "concurrency 'abc'", "environment variable FAZHI_CONCURRENCY", "whole number >= 1")),
    "concurrency-file": Bad(toml='[profiles.custom]\nconcurrency = "many"\n', expect=(
        "concurrency 'many'", "config file fazhi.toml [profiles.custom]", "whole number >= 1")),
    "concurrency-cli": Bad({"concurrency": 0}, expect=("concurrency 0", "command line --concurrency")),
    "crosscheck-env": Bad(env={"FAZHI_CROSSCHECK": "maybe"}, expect=("'maybe'", "true or false")),
    "max-tokens-env": Bad(env={"FAZHI_MAX_TOKENS": "lots"}, expect=("'lots'", "FAZHI_MAX_TOKENS")),
    "db-number": Bad(toml="db = 7\n", expect=("db 7", "config file fazhi.toml", "string path")),
    "profile-no-base-url": Bad(toml='profile = "lab"\n[profiles.lab]\nmodel = "x"\n', expect=(
        "profile lab in fazhi.toml has no base_url", 'add base_url = "http://')),
    "unknown-setting": Bad(toml="[profiles.custom]\ntemprature = 1\n", expect=(
        "Unknown profile setting 'temprature'", "config file fazhi.toml [profiles.custom]", "timeout")),
    "unknown-top-setting": Bad(toml='dbb = "x.duckdb"\n', expect=("Unknown setting 'dbb'", "config file fazhi.toml")),
    "unknown-mode": Bad({"mode": "xml"}, expect=("Unknown mode 'xml'", "command line --mode", "md_json")),
    "unknown-profile": Bad({"profile": "nope"}, expect=(
        "Unknown profile 'nope'", "command line --profile", "deepseek")),
    "unknown-profile-env": Bad(env={"FAZHI_PROFILE": "nope"}, expect=(
        "Unknown profile 'nope'", "environment variable FAZHI_PROFILE")),
    "unknown-backend": Bad({"backend": "gpu"}, expect=("Unknown backend 'gpu'", "command line --backend")),
}


def arrange(case: Bad, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if isinstance(case.toml, bytes):
        Path("fazhi.toml").write_bytes(case.toml)
    elif case.toml is not None:
        write_config(case.toml)


def arguments(options: dict[str, Any]) -> list[str]:
    return [arg for name, value in options.items() for arg in (f"--{name.replace('_', '-')}", str(value))]


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_a_config_error_naming_value_and_source(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = BAD[name]
    arrange(case, monkeypatch)
    with pytest.raises(ConfigError) as raised:
        api.extract([SMALL], Options(**case.options))
    message = str(raised.value)
    assert "\n" not in message
    assert all(part in message for part in case.expect), message
    assert not Path("fazhi.duckdb").exists() and not Path("7").exists()  # refused before anything was written


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_stops_the_command_with_exit_code_2(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = BAD[name]
    arrange(case, monkeypatch)
    result = runner.invoke(app, ["extract", str(SMALL), *arguments(case.options)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert all(part in lines[0] for part in case.expect), lines[0]


def test_a_config_file_that_cannot_be_read_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    monkeypatch.setenv("FAZHI_CONFIG", str(tmp_path / "folder.toml"))
    result = runner.invoke(app, ["sql", "SELECT 1"])
    assert result.exit_code == 2
    assert "Cannot read config file" in result.stderr and "folder.toml" in result.stderr


def test_a_bad_value_stops_every_command_that_reads_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_DB", " ")
    for args in (["ingest", str(SMALL)], ["sql", "SELECT 1"], ["runs"], ["show", "x"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "environment variable FAZHI_DB" in result.stderr, (args, result.output)


def test_credentials_in_a_refused_base_url_are_not_shown() -> None:
    with pytest.raises(ConfigError) as raised:
        resolve(Options(base_url="ftp://user:hunter22@host/v1"))
    assert "hunter22" not in str(raised.value) and "ftp://***@host/v1" in str(raised.value)


def test_values_from_the_environment_are_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"FAZHI_CONCURRENCY": "12", "FAZHI_TIMEOUT": "2.5", "FAZHI_CROSSCHECK": "yes",
                        "FAZHI_MAX_TOKENS": "0", "FAZHI_REASKS": "0", "FAZHI_MODE": "tools"}.items():
        monkeypatch.setenv(name, value)
    s = resolve(Options(profile="ollama"))
    assert (s.concurrency, s.timeout, s.crosscheck, s.max_tokens, s.reasks, s.mode) == (12, 2.5, True, 0, 0, "tools")


# local servers need no key


@pytest.mark.parametrize("url", ["http://localhost:8000/v1", "http://127.0.0.1:8000/v1", "http://127.1.2.3/v1",
                                 "http://[::1]:8000/v1", "http://0.0.0.0:8000/v1", "https://LOCALHOST/v1"])
def test_local_servers_need_no_key(url: str) -> None:
    assert is_local(url)
    s = resolve(Options(base_url=url, model="m"))
    assert (s.key(), s.needs_key, s.use_model) == (LOCAL_KEY, False, True)


def test_remote_servers_need_a_key_unless_the_profile_says_otherwise() -> None:
    assert not is_local("http://10.0.0.5:8000/v1") and not is_local("https://localhost.example.com/v1")
    with pytest.raises(NoApiKey):
        resolve(Options(base_url="http://10.0.0.5:8000/v1", model="m"))
    write_config('[profiles.lab]\nbase_url = "http://10.0.0.5:8000/v1"\nmodel = "x"\nkey_required = false\n')
    assert resolve(Options(profile="lab")).key() == LOCAL_KEY


def test_a_remote_profile_without_a_key_is_fine_until_a_model_is_used() -> None:
    s = resolve(Options(profile="deepseek", backend="offline"))
    assert s.api_key is None and not s.use_model
    with pytest.raises(NoApiKey, match="DEEPSEEK_API_KEY"):
        s.key()


def test_a_local_server_runs_from_the_command_line_without_a_key(fake: FakeLLM) -> None:
    result = runner.invoke(app, ["extract", str(SMALL), "--base-url", fake.base_url, "--model", "m"])
    assert result.exit_code == 0, result.output
    assert "1 done, 0 failed" in result.stderr and fake.requests


# secrets


def secret_settings(key: str = "sk-live-0123456789") -> Settings:
    return resolve(Options(base_url="https://alice:pa55word@llm.example.com:8443/v1", model="m", api_key=key))


def test_redact_hides_the_key_and_the_base_url_credentials() -> None:
    s = secret_settings()
    text = ("401 for key sk-live-0123456789 at https://alice:pa55word@llm.example.com:8443/v1/chat/completions; "
            "password pa55word")
    assert s.redact(text) == "401 for key *** at https://***@llm.example.com:8443/v1/chat/completions; password ***"
    assert s.safe_base_url == "https://llm.example.com:8443/v1"


def test_the_key_and_the_credentials_stay_out_of_repr_and_str() -> None:
    s = secret_settings()
    for shown in (repr(s), str(s)):
        assert "sk-live" not in shown and "pa55word" not in shown and "llm.example.com:8443" in shown


def test_a_short_key_is_hidden_only_where_it_stands_alone() -> None:
    s = resolve(Options(base_url="http://10.0.0.5/v1", model="m", api_key="k"))
    assert s.redact("key k in a lock") == "key *** in a lock"


def test_the_placeholder_key_is_no_secret() -> None:
    s = resolve(Options(base_url="http://127.0.0.1:8000/v1", model="m"))
    assert s.redact("EMPTY handed") == "EMPTY handed" and s.safe_base_url == "http://127.0.0.1:8000/v1"


def test_ingest_needs_no_key_even_when_a_remote_profile_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_PROFILE", "deepseek")
    result = runner.invoke(app, ["ingest", str(SMALL)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["sql", "SELECT count(*) FROM documents", "-f", "csv"]).stdout == "count_star()\n1\n"
