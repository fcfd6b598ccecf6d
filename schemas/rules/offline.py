"""The offline backend. STUB: returns an empty extraction until the rules are written."""

from schemas.report import ReportExtraction


def extract_offline(text: str) -> ReportExtraction:
    return ReportExtraction()
