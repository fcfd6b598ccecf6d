"""Reading files: encodings, HTML, duplicates, and bad input that is reported, never fatal."""

import hashlib
import os
from pathlib import Path

import pytest
from fazhi.agent import api, readers
from fazhi.agent.documents import expand, read_documents
from fazhi.agent.htmltext import html_to_text
from fazhi.evals.render import write_docx, write_pdf

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
    unsupported = write(tmp_path / "sheet.xls", b"\xd0\xcf\x11\xe0")
    docs, rejected = read_documents([good, empty, binary, undecodable, unsupported, tmp_path / "missing.txt"])
    assert [d.paths for d in docs] == [[str(good)]]
    reasons = {Path(r.path).name: r.reason for r in rejected}
    assert reasons["empty.txt"].startswith("empty")
    assert reasons["bin.txt"].startswith("binary")
    assert "unsupported" in reasons["sheet.xls"]
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


def stored(sql: str) -> list[tuple]:
    with api.open_store() as store:
        return store.query(sql)[1]


def test_a_file_name_in_gbk_bytes_is_stored_with_a_readable_path(tmp_path: Path) -> None:
    folder = tmp_path / "报告"
    folder.mkdir()
    fd = os.open(os.fsencode(folder) + b"/\xb1\xa8\xb8\xe6.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, REPORT.encode())
    os.close(fd)
    write(folder / "other.txt", "某市2023年法治政府建设情况报告\n".encode())
    write(folder / "x\udce9.txt", "某区2023年法治政府建设情况报告\n".encode())  # a Latin-1 name: escaped
    docs, rejected = api.ingest([folder])
    assert rejected == [] and len(docs) == 3
    paths = sorted(p for (p,) in stored("SELECT path FROM document_paths"))
    assert paths == sorted([str(folder / "报告.txt"), str(folder / "other.txt"), str(folder / "x\\xe9.txt")])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    docs, rejected = read_documents([write(tmp_path / "r.txt", REPORT.encode(codec))])
    assert rejected == []
    assert docs[0].text == REPORT and docs[0].encoding == codec


def test_utf16_without_a_bom_of_plain_cjk_is_decoded(tmp_path: Path) -> None:
    text = "第一部分\n一是加强学习。\n"  # few ASCII characters: U+4E00 puts NULs at the other offsets too
    docs, rejected = read_documents([write(tmp_path / "r.txt", text.encode("utf-16-le"))])
    assert rejected == [] and docs[0].text == text


def test_utf16_that_does_not_decode_is_rejected_with_a_hint(tmp_path: Path) -> None:
    raw = (REPORT * 5).encode("utf-16-le") + b"\x00\xd8\x41"  # a lone surrogate and an odd byte
    _, rejected = read_documents([write(tmp_path / "r.txt", raw)])
    assert "UTF-16" in rejected[0].reason and "re-encode it as UTF-8" in rejected[0].reason


def test_symlink_loops_do_not_hang_and_each_file_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "sub").mkdir(parents=True)
    write(root / "r.txt", REPORT.encode())
    write(root / "sub" / "s.txt", "某市2023年法治政府建设情况报告\n".encode())
    (root / "self").symlink_to(".")
    (root / "sub" / "up").symlink_to("..")
    (root / "a.txt").symlink_to("b.txt")
    (root / "b.txt").symlink_to("a.txt")
    (root / "z-alias.txt").symlink_to("r.txt")
    files = list(expand([root, root / "r.txt"]))
    assert files == [root / "r.txt", root / "sub" / "s.txt"]
    docs, rejected = read_documents([root])
    assert [d.paths for d in docs] == [[str(root / "r.txt")], [str(root / "sub" / "s.txt")]]
    assert rejected == []


def test_a_linked_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere" / "r.txt", REPORT.encode())
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "linked").symlink_to(tmp_path / "elsewhere")
    assert list(expand([tmp_path / "reports"])) == [tmp_path / "reports" / "linked" / "r.txt"]


def test_an_unreadable_file_is_rejected_by_name_and_the_rest_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = write(tmp_path / "good.txt", REPORT.encode())
    locked = write(tmp_path / "locked.txt", "另一份报告\n".encode())
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: fail the read as it fails for anyone else
        read_bytes = Path.read_bytes

        def denied(path: Path) -> bytes:
            if path.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", denied)
    docs, rejected = api.ingest([tmp_path])
    assert [d.paths for d in docs] == [[str(good)]]
    assert [(r.path, r.reason) for r in rejected] == [
        (str(locked), "cannot read: Permission denied: check its permissions")]
    assert stored("SELECT count(*) FROM documents") == [(1,)]


def test_an_unreadable_folder_is_rejected_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    write(tmp_path / "good.txt", REPORT.encode())
    scandir = os.scandir

    def denied(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    docs, rejected = read_documents([tmp_path])
    assert len(docs) == 1
    assert [(r.path, r.reason) for r in rejected] == [
        (str(tmp_path / "locked"), "cannot read folder: Permission denied")]


def test_folders_include_pdf_and_word_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    write_pdf(REPORT, tmp_path / "a.PDF")
    write_docx(REPORT + "补充。\n", tmp_path / "b.docx")
    write(tmp_path / "c.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    docs, rejected = read_documents([tmp_path])
    assert [d.source_type for d in docs] == ["pdf", "docx"]
    assert [(Path(r.path).name, r.reason.split(":")[0]) for r in rejected] == [("c.doc", "old .doc format")]


def test_source_type_and_each_files_hash_are_stored(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", REPORT.encode())
    write(tmp_path / "b.md", ("# " + REPORT).encode())
    write(tmp_path / "c.html", f"<p>{REPORT}</p><p>网页。</p>".encode())
    write_pdf(REPORT + "PDF。", tmp_path / "d.pdf")
    write_docx(REPORT + "Word。\n", tmp_path / "e.docx")
    write(tmp_path / "f.txt", REPORT.encode("gbk"))  # the same text as a.txt: one document, two files
    api.ingest([tmp_path])
    rows = stored("SELECT p.path, d.source_type, d.encoding, d.raw_sha256, p.raw_sha256"
                  " FROM documents d JOIN document_paths p USING (doc_id) ORDER BY p.path")
    assert [(Path(path).name, kind, encoding) for path, kind, encoding, _, _ in rows] == [
        ("a.txt", "txt", "utf-8"), ("b.md", "md", "utf-8"), ("c.html", "html", "utf-8"),
        ("d.pdf", "pdf", None), ("e.docx", "docx", None), ("f.txt", "txt", "utf-8")]
    file_hashes = [file_hash for *_, file_hash in rows]
    assert file_hashes == [hashlib.sha256((tmp_path / Path(path).name).read_bytes()).hexdigest() for path, *_ in rows]
    assert rows[0][3] == rows[-1][3] == file_hashes[0] != file_hashes[-1]  # the document keeps its first file's


def test_a_lone_surrogate_from_a_reader_does_not_break_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.pdf", b"%PDF-")
    write(tmp_path / "b.txt", REPORT.encode())
    original = readers.read
    monkeypatch.setattr(readers, "read", lambda raw, suffix: readers.Extracted("报告\udc81一\n", "pdf", None)
                        if suffix == ".pdf" else original(raw, suffix))
    docs, rejected = api.ingest([tmp_path])
    assert rejected == [] and len(docs) == 2
    assert ("报告\ufffd一\n",) in stored("SELECT text FROM documents")
