"""The notebook API: each document's latest metrics, issues and reports as pandas, polars or Arrow."""

import re
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pandas
import polars
import pyarrow
import pytest
from fazhi.agent import api
from fazhi.agent.errors import FazhiError

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def database(samples: Path) -> None:
    api.extract([samples], api.Options(backend="offline"))


@pytest.mark.usefixtures("database")
def test_frames_in_each_library_hold_the_same_rows() -> None:
    by_pandas = api.metrics(canonical="court_appearance_rate")
    by_polars = api.metrics(canonical="court_appearance_rate", as_="polars")
    by_arrow = api.metrics(canonical="court_appearance_rate", as_="arrow")
    assert isinstance(by_pandas, pandas.DataFrame) and isinstance(by_polars, polars.DataFrame)
    assert isinstance(by_arrow, pyarrow.Table)
    assert len(by_pandas) == by_polars.height == by_arrow.num_rows > 0
    assert set(by_pandas["canonical"]) == {"court_appearance_rate"}
    assert by_polars["value"].to_list() == by_arrow.column("value").to_pylist() == by_pandas["value"].tolist()


@pytest.mark.usefixtures("database")
def test_filters_match_the_store_and_a_list_means_any() -> None:
    with api.open_store() as store:
        _, rows = store.query("SELECT count(*) FROM reports WHERE report_year IN (2020, 2022)")
    assert len(api.reports(report_year=[2020, 2022])) == rows[0][0] > 0
    assert len(api.reports()) == 5
    assert len(api.issues()) == len(api.issues(as_="arrow")) > 0


@pytest.mark.usefixtures("database")
def test_an_unknown_column_or_frame_type_says_what_to_use() -> None:
    with pytest.raises(FazhiError, match=r"No column canonicl in latest_metrics: filter on .*canonical"):
        api.metrics(canonicl="x")
    with pytest.raises(FazhiError, match="choose pandas, polars or arrow"):
        api.issues(as_="excel")  # type: ignore[arg-type]


def test_the_readme_notebook_example_runs_as_written(samples: Path) -> None:
    section = README.read_text(encoding="utf-8").split("### In a notebook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code
    api.extract([samples], api.Options(backend="offline"))  # the quick start: fazhi extract samples/
    shown = StringIO()
    with redirect_stdout(shown):
        exec(compile(code.group(1), "README.md", "exec"), {})
    assert "report_year" in shown.getvalue() and "东阳市" in shown.getvalue() and "category" in shown.getvalue()
    assert "reports of 2022 and 2024" in shown.getvalue()


def test_a_run_collects_garbage_less_often_and_leaves_the_callers_settings_as_they_were(samples: Path) -> None:
    import gc

    from fazhi.agent.runs import YOUNG_COLLECTION_EVERY

    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []
    options = api.Options(backend="offline", force=True)
    api.extract([samples], options, on_done=lambda _: during.append(gc.get_threshold()))
    assert during and set(during) == {(YOUNG_COLLECTION_EVERY, *before[1:])}
    assert gc.get_threshold() == before
