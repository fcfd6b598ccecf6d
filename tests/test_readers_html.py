"""HTML reading: table rows as lines of cells, layout tables as blocks, the declared charset honoured."""

from pathlib import Path

import pytest
from fazhi.agent.documents import read_documents
from fazhi.agent.htmltext import declared_charset, html_to_text
from fazhi.agent.readers.text import decode

TABLE = """<table><thead><tr><th>指标</th><th>2021年</th><th>同比</th></tr></thead>
<tbody>
  <tr><td><p>行政复议收案</p></td><td>312件</td><td>+8.3%</td></tr>
  <tr><td>行政诉讼<br>败诉</td><td></td><td>-25.0%</td></tr>
  <tr><td> </td><td></td><td></td></tr>
</tbody></table>"""


def test_table_rows_are_lines_of_cells_joined_by_bars() -> None:
    assert html_to_text(f"<h2>一、主要数据</h2>{TABLE}<p>二、存在的问题</p>") == (
        "一、主要数据\n\n指标 | 2021年 | 同比\n\n行政复议收案 | 312件 | +8.3%\n\n行政诉讼 败诉 | | -25.0%\n\n"
        "二、存在的问题\n"
    )


def test_rows_and_cells_without_end_tags() -> None:
    html = "<table><tr><td>索 引 号:sfj/2025-00002<td>发文字号:<td><tr><td>发布机构:司法局<td>公文时效:是<td></table>"
    assert html_to_text(html) == "索 引 号:sfj/2025-00002 | 发文字号: |\n\n发布机构:司法局 | 公文时效:是 |\n"


def test_layout_tables_keep_the_block_structure_of_their_cells() -> None:
    paragraphs = ("一、主要工作", "办结案件12件。", "二、存在的问题", "执法不规范。", "三、下一步")
    article = "".join(f"<p>{line}</p>" for line in paragraphs)
    html = (f"<table><tr><td>首页</td><td>{article}</td></tr></table>"  # a navigation column beside the article
            f"<table><tr><td><table><tr><td>甲</td><td>乙</td></tr></table></td><td>说明</td></tr></table>"
            f"<table><tr><td><p>专此报告。</p><p>某县人民政府</p></td></tr></table>")
    lines = [line for line in html_to_text(html).splitlines() if line]
    assert lines == ["首页", "一、主要工作", "办结案件12件。", "二、存在的问题", "执法不规范。", "三、下一步",
                     "甲 | 乙", "说明", "专此报告。", "某县人民政府"]


def test_an_unclosed_table_at_the_end_of_a_truncated_page_is_kept() -> None:
    assert html_to_text("<p>前言</p><table><tr><td>甲</td><td>乙") == "前言\n\n甲 | 乙\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta charset="gb2312">', "gb18030"),
        ("<meta http-equiv=Content-Type content='text/html; charset=GBK'>", "gb18030"),
        ('<?xml version="1.0" encoding="Big5"?>', "big5hkscs"),
        ('<meta charset="utf-8">', "utf-8"),
        ('<meta charset="utf-16">', None),
        ('<meta charset="no-such-codec">', None),
        ("<title>no declaration</title>", None),
    ],
)
def test_declared_charset(head: str, expected: str | None) -> None:
    assert declared_charset(f"<html><head>{head}</head></html>".encode("ascii")) == expected


def test_a_page_is_decoded_by_its_declared_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="big5"></head><body><p>法治政府建設情況報告</p></body></html>'
    (tmp_path / "tw.html").write_bytes(page.encode("big5"))
    docs, rejected = read_documents([tmp_path / "tw.html"])
    assert rejected == []
    assert (docs[0].text, docs[0].encoding) == ("法治政府建設情況報告\n", "big5hkscs")


def test_a_page_that_is_utf8_but_declares_gb2312_is_read_as_utf8() -> None:
    raw = '<meta charset="gb2312"><p>法治政府建设情况报告</p>'.encode()
    assert decode(raw, declared_charset(raw)) == ('<meta charset="gb2312"><p>法治政府建设情况报告</p>', "utf-8")


def test_a_gbk_page_declaring_gbk_is_read(tmp_path: Path) -> None:
    (tmp_path / "r.htm").write_bytes('<meta charset="gbk"><p>办结案件12件。</p>'.encode("gbk"))
    docs, _ = read_documents([tmp_path / "r.htm"])
    assert (docs[0].text, docs[0].encoding, docs[0].source_type) == ("办结案件12件。\n", "gb18030", "html")
