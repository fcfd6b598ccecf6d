"""Plain text from bytes: a BOM decides, else UTF-16 without a BOM, else UTF-8, a declared charset, GB18030."""

import codecs
import re

from fazhi.agent.errors import InputError

FALLBACK_ENCODINGS = ("utf-8", "gb18030")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SAMPLE_BYTES = 8192
# What report text is made of: ASCII, Latin-1 signs, general punctuation, number forms, enclosed
# numbers, box drawing and shapes, CJK symbols, CJK ideographs and compatibility ideographs, full width.
TEXT_CHARS = re.compile(
    "[\t\n\f\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u2100-\u218f\u2460-\u27bf\u3000-\u303f"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
TEXT_SHARE = 0.9
UTF16_HINT = "looks like UTF-16 without a byte-order mark but does not decode cleanly: re-encode it as UTF-8"


def looks_binary(raw: bytes) -> bool:
    sample = raw[:SAMPLE_BYTES]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return b"\x00" in sample or controls > len(sample) // 100


def text_share(text: str) -> float:
    """The share of characters that ordinary report text is made of (1.0 for an empty text)."""
    sample = text[:SAMPLE_BYTES]
    return len(TEXT_CHARS.findall(sample)) / len(sample) if sample else 1.0


def _nul_counts(raw: bytes) -> tuple[int, int]:
    """NUL bytes at even and at odd offsets of the sample."""
    sample = raw[:SAMPLE_BYTES]
    return sample[0::2].count(0), sample[1::2].count(0)


def decode_utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 recognised by its NUL bytes (the high byte of ASCII) and a clean decode; None if not UTF-16.

    Raises when the NULs say UTF-16 but neither byte order decodes to text.
    """
    even, odd = _nul_counts(raw)
    if not even and not odd:
        return None
    orders = ("utf-16-le", "utf-16-be") if odd >= even else ("utf-16-be", "utf-16-le")
    for name in orders:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            continue
        if text_share(text) >= TEXT_SHARE:
            return text, name
    pairs = min(len(raw), SAMPLE_BYTES) // 2
    if max(even, odd) >= max(4 * min(even, odd), pairs // 50, 1) and min(even, odd) < pairs // 10:
        raise InputError(UTF16_HINT)
    return None


def _bom_decode(raw: bytes) -> tuple[str, str] | None:
    for bom, name in BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as exc:
                raise InputError(f"cannot decode as {name} although it starts with its byte-order mark:"
                                 " re-encode it as UTF-8") from exc
    return None


def decode(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and encoding name: a BOM decides, else UTF-16 (no BOM), else UTF-8, `declared`, GB18030.

    Bytes that decode as UTF-8 are UTF-8 whatever a page declares: a stale declaration is common,
    while legacy-encoded text that happens to be valid UTF-8 is vanishingly rare.
    """
    found = _bom_decode(raw) or decode_utf16_without_bom(raw)
    if found:
        return found
    if looks_binary(raw):
        raise InputError("binary content, not text")
    names = dict.fromkeys(("utf-8", declared or "utf-8", "gb18030"))
    for name in names:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError:
            continue
    raise InputError(f"cannot decode as {' or '.join(names)}: re-encode it as UTF-8")
