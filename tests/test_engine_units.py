"""Engine pieces on their own: grounding, chunking, cache keys, provider settings, the domain boundary."""

import itertools
import re
from pathlib import Path

import pytest
from fazhi.agent.cache import AnswerCache, canonical_json, content_hash
from fazhi.agent.chunking import chunk, estimate_tokens
from fazhi.agent.config import Options, resolve
from fazhi.agent.errors import ConfigError, NoApiKey, UnknownProfile
from fazhi.agent.grounding import SourceIndex, normalise_with_map
from fazhi.agent.providers import PROFILES

AGENT = Path(__file__).resolve().parent.parent / "agent"


def test_engine_holds_no_domain_words() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    offenders = [p.name for p in AGENT.rglob("*") if p.suffix in (".py", ".sql") and cjk.search(p.read_text("utf-8"))]
    assert offenders == []


def test_quotes_are_found_across_whitespace_and_full_width_forms() -> None:
    text = "全年办结 行政复议\n案件１２件。"
    index = SourceIndex(text)
    start, end = index.locate("办结行政复议案件12件")
    assert text[start:end] == "办结 行政复议\n案件１２件"
    assert index.locate("办结行政复议案件13件") is None


def test_locate_after_offset_finds_the_later_occurrence() -> None:
    text = "培训3场。另有培训3场。"
    assert SourceIndex(text).locate("培训3场", after=3) == (7, 11)


def test_normalised_map_points_back_to_raw_characters() -> None:
    normalised, index = normalise_with_map("Ａ Ｂ")
    assert normalised == "AB" and index == [0, 2]


def test_chunks_respect_the_budget_and_cover_the_text() -> None:
    text = "".join(f"第{i}段。有一句话在这里，长度适中。\n" for i in range(200))
    pieces = chunk(text, 0, len(text), 300)
    assert len(pieces) > 1
    assert all(estimate_tokens(text[c.start : c.end]) <= 300 for c in pieces)
    assert pieces[0].start == 0 and pieces[-1].end == len(text)
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))


def test_a_paragraph_over_budget_is_split_at_sentences() -> None:
    text = "一句话。" * 200
    pieces = chunk(text, 0, len(text), 50)
    assert all(text[c.start : c.end].endswith("。") for c in pieces[:-1])


def test_cache_key_is_canonical_and_entries_round_trip(tmp_path: Path) -> None:
    assert canonical_json({"b": 1, "a": "法"}) == '{"a":"法","b":1}'
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    cache = AnswerCache(tmp_path)
    cache.put("ab" + "0" * 62, {"answer": {"x": "值"}})
    assert cache.get("ab" + "0" * 62) == {"answer": {"x": "值"}}
    assert cache.get("cd" + "0" * 62) is None
    cache.close()
    assert (tmp_path / "cache.sqlite").is_file() and not list(tmp_path.rglob("*.json"))  # one file, not one an entry


WRITER = """
import sys
from pathlib import Path
from fazhi.agent.cache import AnswerCache
import time
root, side, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
(root / f"ready-{side}").touch()
for _ in range(400):  # both start writing together (each waits for the other, 20 s at most)
    if (root / f"ready-{other}").exists():
        break
    time.sleep(0.05)
cache = AnswerCache(root)
for i in range(3000):
    cache.put(f"{side}{i:062d}", {"answer": i})
    assert cache.get(f"{side}{i:062d}") == {"answer": i}
print(len(cache.warnings))
"""


def test_two_processes_writing_one_cache_file_at_once_keep_every_entry(tmp_path: Path) -> None:
    import subprocess
    import sys

    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), side, other], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for side, other in (("aa", "bb"), ("bb", "aa"))]
    outs = [w.communicate(timeout=120) for w in writers]
    results = [(w.returncode, out.strip()) for w, (out, _) in zip(writers, outs, strict=True)]
    assert results == [(0, "0"), (0, "0")], outs  # no error, no warning
    cache = AnswerCache(tmp_path)
    assert all(cache.get(f"{side}{i:062d}") == {"answer": i} for side in ("aa", "bb") for i in range(3000))
    cache.close()


def test_profile_settings_stack_config_then_environment_then_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("fazhi.toml").write_text('[profiles.deepseek]\nmodel = "from-config"\nconcurrency = 3\ntimeout = 30\n')
    monkeypatch.setenv("FAZHI_CONCURRENCY", "7")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "d")
    settings = resolve(Options(profile="deepseek", timeout=5.0))
    assert (settings.model, settings.concurrency, settings.timeout) == ("from-config", 7, 5.0)
    assert settings.base_url == "https://api.deepseek.com/v1"


def test_a_profile_defined_only_in_the_config_file_works() -> None:
    Path("fazhi.toml").write_text('profile = "lab"\n[profiles.lab]\nbase_url = "http://h/v1"\nmodel = "x"\n'
                                  'mode = "md_json"\nkey_required = false\n')
    settings = resolve(Options())
    assert (settings.profile, settings.base_url, settings.mode, settings.use_model) == (
        "lab", "http://h/v1", "md_json", True)


def test_bad_profile_settings_are_config_errors() -> None:
    with pytest.raises(UnknownProfile, match="deepseek"):
        resolve(Options(profile="nope"))
    with pytest.raises(ConfigError, match="Unknown mode"):
        resolve(Options(profile="ollama", mode="xml"))
    Path("fazhi.toml").write_text("[profiles.openai]\ntemprature = 1\n")
    with pytest.raises(ConfigError, match="Unknown profile setting"):
        resolve(Options(profile="openai"))


def test_api_key_comes_from_option_then_fazhi_then_profile_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    def key(api_key: str | None = None, profile: str = "moonshot") -> str:
        return resolve(Options(profile=profile, api_key=api_key)).key()

    with pytest.raises(NoApiKey, match="MOONSHOT_API_KEY"):
        key()
    monkeypatch.setenv("MOONSHOT_API_KEY", "m")
    assert key() == "m"
    monkeypatch.setenv("FAZHI_API_KEY", "f")
    assert key() == "f"
    assert key("cli") == "cli"
    monkeypatch.delenv("FAZHI_API_KEY")
    assert key(profile="ollama") == "EMPTY"


def test_cost_counts_cached_tokens_at_the_cached_price() -> None:
    profile = PROFILES["deepseek"]
    assert profile.cost(1_000_000, 500_000, 1_000_000) == pytest.approx(0.5 * 0.27 + 0.5 * 0.07 + 1.10)


def test_a_document_done_between_unusable_failures_keeps_the_run_going() -> None:
    from fazhi.agent.backends import OfflineBackend, Outcome
    from fazhi.agent.runs import Runner
    from fazhi.schemas.genre import GENRE

    runner = Runner("unused.duckdb", GENRE, OfflineBackend(GENRE))
    refused = Outcome("d", error="model request failed: AuthenticationError: bad key", unusable=True)
    for outcome in (refused, refused, Outcome("done"), refused, refused, Outcome("other", error="a 500")):
        runner.watch(outcome)
    assert runner.stop is None
    for outcome in (refused, refused, refused):
        runner.watch(outcome)
    assert runner.stop is not None and runner.stop[0] == ("3 documents in a row failed on an error every request "
                                                          "would meet: model request failed: AuthenticationError: "
                                                          "bad key")


def test_an_item_found_in_two_overlapping_chunks_is_kept_once_in_text_order() -> None:
    from fazhi.agent.backends import dedupe

    first = {"name": "a", "value": 12, "start": 40, "end": 50}
    twice = {"end": 50, "start": 40, "value": 12, "name": "a"}  # the same item from the next chunk
    other = {"name": "a", "value": 13, "start": 40, "end": 50}  # another number at the same place
    earlier = {"name": "b", "value": 1, "start": 3, "end": 9}
    assert dedupe([first, twice, other, earlier]) == [earlier, first, other]
