"""The prompts and the labelling guide (evals/fixtures/README.md) state the same conventions: a model is
asked to label as the fixtures are labelled. Each row names a convention, the words the prompt uses for
it, and the words the guide uses; a change to one without the other fails here."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "evals" / "fixtures" / "README.md").read_text(encoding="utf-8")

CONVENTIONS = [
    # (convention, prompt file, words in the prompt, words in the guide)
    ("至少 is more_than", "metrics", "至少", "**至少 counts as more_than**"),
    ("逾 is more_than", "metrics", "逾", "more_than (余, 多, 以上, 超过, 逾)"),
    ("以下 and 不足 are less_than", "metrics", "不足、以内、以下", "less_than (不到, 以内, 以下, 不足)"),
    ("近…余 is approx", "metrics", "近…余", "(both 近 and 余) is approx"),
    ("units as written: 个工作日", "metrics", "个工作日", "压缩至3个工作日 → 3 个工作日"),
    ("units as written, 名 and 宗 included", "metrics", "名仍是名，宗仍是宗", "the unit word as written"),
    ("万 and 亿 folded into the value", "metrics", "2.3万人 → 23000", "2万人次 → 20000 人次"),
    ("percentage points as 个百分点", "metrics", "个百分点", "unit 个百分点"),
    ("streaks are not metrics", "metrics", "连续三年", "连续三年-style streaks"),
    ("counts of listed items are not metrics", "metrics", "所列事项的个数", "Counts of listed items are not metrics"),
    ("figures stated in the problems section count", "metrics", "问题部分陈述事实的数字也算",
     "Figures stated as fact in the problems section are metrics"),
    ("plans and targets are not metrics", "metrics", "今后的目标、计划", "targets/plans for later years"),
    ("other bodies' comparison figures are not metrics", "metrics", "高于全省平均水平(33.8%)",
     "高于全省平均水平(33.8%)"),
    ("hotline numbers are names", "metrics", "作为热线名的12345", "12345 as the hotline's"),
    ("issues are the top-level items", "issues", "小标题下的分点不单列", "Sub-points\n  under a heading are detail"),
    ("issue evidence is the heading or first sentence", "issues", "小标题或第一句", "the heading, or the item's first"),
    ("a department report's region is its government's", "meta", "填所属政府的地区",
     "region and province of the government it\n  belongs to"),
    ("a province's own region is the province", "meta", "省级报告填省名", "has the province's name as its region"),
    ("functional areas are regions", "meta", "开发区、高新区也是地区",
     "development and high-tech zones are regions too"),
    ("the page's date before the signature's", "meta", "发布日期、发布时间优先于成文日期",
     "**published_date is the page's own publication date**"),
    ("issuer composed with the region", "meta", "缺地区名时补上，如 互助县司法局",
     "composed with the region (互助县司法局)"),
]


@pytest.mark.parametrize(("convention", "prompt", "in_prompt", "in_guide"), CONVENTIONS,
                         ids=[c[0] for c in CONVENTIONS])
def test_prompt_and_labelling_guide_state_the_same_convention(
    convention: str, prompt: str, in_prompt: str, in_guide: str
) -> None:
    text = (ROOT / "prompts" / f"{prompt}.md").read_text(encoding="utf-8")
    assert in_prompt in text, f"{prompt}.md no longer says: {convention}"
    assert in_guide in GUIDE, f"the labelling guide no longer says: {convention}"


TOP_LEVEL_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:agent|schemas|prompts|evals)\b", re.M)


def test_code_imports_the_packages_only_by_their_installed_fazhi_names() -> None:
    """An `import agent…` works from a checkout (the folder is on sys.path) but not from a wheel, and it would
    load a second copy of a module beside its `fazhi.agent…` one."""
    offenders = [f"{path.relative_to(ROOT)}:{text[:match.start()].count(chr(10)) + 1}"
                 for folder in ("agent", "schemas", "prompts", "evals", "tests")
                 for path in (ROOT / folder).rglob("*.py")
                 for text in [path.read_text(encoding="utf-8")]
                 for match in TOP_LEVEL_IMPORT.finditer(text)]
    assert offenders == []
