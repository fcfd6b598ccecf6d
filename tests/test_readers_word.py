"""Word reading: .docx body paragraphs and table rows in order; .doc through antiword, or a clear hint."""

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fazhi.agent.documents import read_document, read_documents
from fazhi.agent.errors import InputError
from fazhi.agent.readers import read
from fazhi.agent.readers.word import OLD_DOC_HINT, docx_text
from fazhi.evals.render import write_docx

SEED = Path(__file__).resolve().parents[1] / "samples" / "dongyang-2022.txt"
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def visible(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_docx_round_trip_keeps_every_character(tmp_path: Path) -> None:
    source = SEED.read_text(encoding="utf-8")
    write_docx(source, tmp_path / "r.docx")
    doc = read_document(tmp_path / "r.docx")
    assert doc.source_type == "docx" and doc.encoding is None
    assert visible(doc.text) == visible(source)
    assert doc.text.splitlines() == [line for line in source.splitlines() if line.strip()]


def test_tables_are_rows_of_cells_in_document_order(tmp_path: Path) -> None:
    text = "一、主要指标\n\n指标 | 2022年 | 同比\n行政复议收案 | 312件 | +8.3%\n二、存在的问题\n"
    write_docx(text, tmp_path / "r.docx", header="某县人民政府文件", footer="第 1 页")
    assert read_document(tmp_path / "r.docx").text == (
        "一、主要指标\n指标 | 2022年 | 同比\n行政复议收案 | 312件 | +8.3%\n二、存在的问题\n")


def test_merged_cells_revisions_links_and_content_controls(tmp_path: Path) -> None:
    document = WordDocument()
    document.add_paragraph("标题")
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for i, row in enumerate(table.rows):
        for j, cell in enumerate(row.cells):
            cell.text = f"{i}{j}"
    table.cell(0, 0).merge(table.cell(0, 1))  # one cell across two columns: read once
    table.cell(1, 2).merge(table.cell(2, 2))  # one cell down two rows: the lower part is empty
    body = document.add_paragraph("前")._p
    w = nsdecls("w")
    body.append(parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t>插入</w:t></w:r></w:ins>'))
    body.append(parse_xml(f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText>删除</w:delText></w:r></w:del>'))
    body.append(parse_xml(f"<w:hyperlink {w}><w:r><w:t>链接</w:t></w:r></w:hyperlink>"))
    control = f"<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>控件</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    document.element.body.insert(0, parse_xml(control))
    document.save(str(tmp_path / "r.docx"))
    assert read_document(tmp_path / "r.docx").text == (
        "控件\n标题\n00 01 | 02\n10 | 11 | 12 22\n20 | 21 |\n前插入链接\n")


@pytest.mark.parametrize(
    "damage",
    [lambda raw: raw[: len(raw) // 2], lambda raw: raw[:4] + bytes(len(raw) - 4), lambda raw: b"PK\x03\x04"],
)
def test_a_corrupt_docx_is_rejected(tmp_path: Path, damage) -> None:
    write_docx("某县报告\n" * 50, tmp_path / "good.docx")
    (tmp_path / "bad.docx").write_bytes(damage((tmp_path / "good.docx").read_bytes()))
    _, rejected = read_documents([tmp_path / "bad.docx"])
    assert re.match(r"^corrupt Word file \(\w+: .*\): re-save it as \.docx$", rejected[0].reason), rejected[0].reason


def test_misnamed_word_files_are_read_by_their_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no antiword
    write_docx("某县报告\n", tmp_path / "docx-named.doc")
    (tmp_path / "page.doc").write_bytes('<html><meta charset="gbk"><p>网页报告</p></html>'.encode("gbk"))
    (tmp_path / "old.docx").write_bytes(OLE_HEADER + bytes(504))
    (tmp_path / "notes.doc").write_bytes(b"{\\rtf1 hello}")
    docs, rejected = read_documents([tmp_path])
    assert [(Path(d.paths[0]).name, d.source_type, d.text) for d in docs] == [
        ("docx-named.doc", "docx", "某县报告\n"), ("page.doc", "html", "网页报告\n")]
    assert [(Path(r.path).name, r.reason) for r in rejected] == [
        ("notes.doc", "an RTF file named like a Word file: convert it to .docx or PDF first"),
        ("old.docx", OLD_DOC_HINT)]


def test_an_encrypted_docx_is_rejected_as_password_protected() -> None:
    raw = OLE_HEADER + bytes(100) + "EncryptedPackage".encode("utf-16-le") + bytes(100)
    with pytest.raises(InputError, match=r"^password-protected Word file"):
        read(raw, ".docx")


def fake_antiword(folder: Path, script: str) -> None:
    folder.mkdir(exist_ok=True)
    tool = folder / "antiword"
    tool.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


def test_doc_is_read_with_antiword_when_it_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_antiword(tmp_path / "bin", 'echo "$@" > "${0%/*}/args"\nprintf "\\n%s\\n\\n%s\\n" 某县报告 一、主要工作\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (tmp_path / "r.doc").write_bytes(OLE_HEADER + bytes(504))
    doc = read_document(tmp_path / "r.doc")
    assert (doc.text, doc.source_type, doc.encoding) == ("\n某县报告\n\n一、主要工作\n", "doc", None)
    assert (tmp_path / "bin" / "args").read_text().split()[:4] == ["-m", "UTF-8.txt", "-w", "0"]


def test_doc_antiword_cannot_read_is_rejected_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_antiword(tmp_path / "bin", 'echo "$1 $2 $3 $4 $5 is not a Word Document." >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(InputError) as caught:
        read(OLE_HEADER + bytes(504), ".doc")
    assert str(caught.value).startswith("antiword cannot read it (-m UTF-8.txt -w 0 the file is not a Word Document.)")
    assert str(caught.value).endswith(OLD_DOC_HINT)


def test_doc_without_antiword_is_rejected_with_the_conversion_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InputError, match=re.escape(OLD_DOC_HINT)):
        read(OLE_HEADER + bytes(504), ".doc")


@pytest.mark.skipif(not (shutil.which("antiword") and shutil.which("soffice")), reason="needs antiword and LibreOffice")
def test_doc_round_trip_through_libreoffice_and_antiword(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "r.txt")
    subprocess.run(["soffice", "--headless", "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path),
                    str(tmp_path / "r.txt")], check=True, capture_output=True, timeout=180)
    doc = read_document(tmp_path / "r.doc")
    assert doc.source_type == "doc" and visible(doc.text) == visible(SEED.read_text(encoding="utf-8"))


def test_docx_text_of_an_empty_document_is_empty(tmp_path: Path) -> None:
    WordDocument().save(str(tmp_path / "empty.docx"))
    assert docx_text((tmp_path / "empty.docx").read_bytes()) == ""
    _, rejected = read_documents([tmp_path / "empty.docx"])
    assert rejected[0].reason == "empty: no text"
