"""Reading files: encodings, HTML, duplicates, and bad input that is reported, never fatal."""

from pathlib import Path

from agent.documents import read_documents
from agent.htmltext import html_to_text

REPORT = "某县2023年法治政府建设情况报告\n一、主要工作\n全年办结行政复议案件12件。\n"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_gbk_and_utf8_bom_files_decode_to_the_same_document(tmp_path: Path) -> None:
    gbk = write(tmp_path / "a.txt", REPORT.encode("gbk"))
    bom = write(tmp_path / "b.txt", b"\xef\xbb\xbf" + REPORT.encode("utf-8"))
    docs, rejected = read_documents([gbk, bom])
    assert rejected == []
    assert len(docs) == 1
    assert docs[0].text == REPORT
    assert docs[0].paths == [str(gbk), str(bom)]


def test_duplicate_upload_with_other_whitespace_is_one_document(tmp_path: Path) -> None:
    one = write(tmp_path / "one.txt", REPORT.encode())
    two = write(tmp_path / "two.md", REPORT.replace("\n", "\r\n  ").encode())
    docs, _ = read_documents([one, two])
    assert len(docs) == 1 and len(docs[0].paths) == 2


def test_html_becomes_text_without_scripts(tmp_path: Path) -> None:
    html = ("<html><head><title>报告</title><script>var x=1;</script></head><body><div>一、主要工作</div>"
            "<p>办结案件&nbsp;12件。</p></body></html>")
    page = write(tmp_path / "r.html", html.encode("gb18030"))
    docs, rejected = read_documents([page])
    assert rejected == []
    assert "var x" not in docs[0].text
    assert "一、主要工作\n" in docs[0].text and "办结案件 12件。" in docs[0].text


def test_bad_files_are_rejected_by_name_and_the_rest_go_on(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", REPORT.encode())
    empty = write(tmp_path / "empty.txt", b"  \n")
    binary = write(tmp_path / "bin.txt", bytes(range(256)) * 4)
    undecodable = write(tmp_path / "bad.txt", b"\xff\xfe\xfa" * 3 + b"\x81\x20" * 50)
    unsupported = write(tmp_path / "doc.pdf", b"%PDF-1.4")
    docs, rejected = read_documents([good, empty, binary, undecodable, unsupported, tmp_path / "missing.txt"])
    assert [d.paths for d in docs] == [[str(good)]]
    reasons = {Path(r.path).name: r.reason for r in rejected}
    assert reasons["empty.txt"].startswith("empty")
    assert reasons["bin.txt"].startswith("binary")
    assert "unsupported" in reasons["doc.pdf"]
    assert "no such file" in reasons["missing.txt"]
    assert "bad.txt" in reasons


def test_folders_are_read_recursively_with_supported_suffixes_only(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    write(sub / "r.htm", "<p>报告 一</p>".encode())
    write(tmp_path / "a" / "r.txt", "报告 二".encode())
    write(tmp_path / "a" / "notes.json", b"{}")
    docs, rejected = read_documents([tmp_path / "a"])
    assert sorted(d.text.strip() for d in docs) == ["报告 一", "报告 二"]
    assert rejected == []


def test_html_to_text_keeps_block_structure() -> None:
    assert html_to_text("<ul><li>一</li><li>二</li></ul>") == "一\n\n二\n"
