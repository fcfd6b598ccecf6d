"""PDF reading: text layers page by page, as the file says; scans, passwords and damage rejected clearly."""

import io
import re
import time
from pathlib import Path

import pytest
from fazhi.agent.documents import read_document, read_documents
from fazhi.agent.errors import InputError
from fazhi.agent.readers.pdf import NO_TEXT_LAYER, pdf_text
from fazhi.evals.render import write_pdf, write_scan_pdf
from pypdf import PdfReader, PdfWriter

SEED = Path(__file__).resolve().parents[1] / "samples" / "dongyang-2022.txt"
FOOTER = re.compile(r"— \d+ —")
REPORT = "某县2023年法治政府建设情况报告\n一、主要工作\n全年办结行政复议案件12件,同比增长3.5%。\n"


def visible(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_pdf_round_trip_keeps_every_character(tmp_path: Path) -> None:
    source = SEED.read_text(encoding="utf-8")
    write_pdf(source, tmp_path / "r.pdf")
    doc = read_document(tmp_path / "r.pdf")
    assert doc.source_type == "pdf"
    assert visible(FOOTER.sub("", doc.text)) == visible(source)


def test_pages_are_joined_by_form_feeds_with_hard_wraps_and_footers_kept(tmp_path: Path) -> None:
    text = "一、主要工作\n" + "全年办结行政复议案件12件。" * 4 + "\n二、存在的问题\n执法不规范。\n"
    write_pdf(text, tmp_path / "r.pdf", chars_per_line=10, lines_per_page=3, header="某县人民政府")
    pages = read_document(tmp_path / "r.pdf").text.split("\f")
    assert len(pages) == 3  # 9 lines, 3 a page
    for number, page in enumerate(pages, 1):
        lines = page.strip().split("\n")
        assert lines[0] == "某县人民政府" and lines[-1] == f"— {number} —"
        assert all(len(line) <= 10 for line in lines[1:-1])
    assert pages[0].split("\n")[1:4] == ["一、主要工作", "全年办结行政复议案件", "12件。全年办结行政"]


def test_a_scanned_pdf_is_rejected_with_the_ocr_hint(tmp_path: Path) -> None:
    write_scan_pdf(tmp_path / "scan.pdf", pages=2)
    write_pdf(" \n\u3000\n", tmp_path / "blank.pdf", footer=None)
    docs, rejected = read_documents([tmp_path])
    assert docs == []
    assert [(Path(r.path).name, r.reason) for r in rejected] == [
        ("blank.pdf", NO_TEXT_LAYER), ("scan.pdf", NO_TEXT_LAYER)]


def encrypted(tmp_path: Path, user_password: str, algorithm: str) -> bytes:
    write_pdf(REPORT, tmp_path / "plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "plain.pdf"))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_an_encrypted_pdf_with_an_empty_password_is_read(tmp_path: Path, algorithm: str) -> None:
    text = pdf_text(encrypted(tmp_path, "", algorithm))
    assert visible(FOOTER.sub("", text)) == visible(REPORT)


def test_a_password_protected_pdf_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^password-protected PDF: remove the password"):
        pdf_text(encrypted(tmp_path, "open-sesame", "AES-128"))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda raw: raw[: len(raw) // 2], r"^corrupt PDF \(\w+: .+\): repair or re-export it$"),
        (lambda raw: raw[:9] + bytes(len(raw) - 9), r"^corrupt PDF \(\w+: .+\): repair or re-export it$"),
        (lambda raw: b"%PDF-1.4\n", r"^corrupt PDF \(\w+: .+\): repair or re-export it$"),
        (lambda raw: b"<html><body>404 Not Found</body></html>", r"^not a PDF file \(no %PDF- header\)"),
        (lambda raw: b"", r"^not a PDF file"),
    ],
)
def test_a_corrupt_pdf_is_rejected_naming_the_problem(tmp_path: Path, damage, expected: str) -> None:
    write_pdf(REPORT * 40, tmp_path / "good.pdf")
    (tmp_path / "bad.pdf").write_bytes(damage((tmp_path / "good.pdf").read_bytes()))
    docs, rejected = read_documents([tmp_path / "bad.pdf"])
    assert docs == [] and len(rejected) == 1
    assert re.match(expected, rejected[0].reason), rejected[0].reason
    assert "\n" not in rejected[0].reason


def test_a_twenty_page_pdf_reads_in_well_under_a_second_a_page(tmp_path: Path) -> None:
    body = visible(SEED.read_text(encoding="utf-8")) * 8
    write_pdf("\n".join(body[i : i + 38] for i in range(0, 38 * 800, 38)), tmp_path / "r.pdf")
    start = time.perf_counter()
    text = read_document(tmp_path / "r.pdf").text
    elapsed = time.perf_counter() - start
    assert text.count("\f") == 19
    assert elapsed < 10, f"{elapsed:.2f} s for 20 pages"
