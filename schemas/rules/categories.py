"""Which area (Category) a stretch of text is about. STUB: to be replaced by keyword rules."""

from schemas.enums import Category


def classify(text: str, default: Category = Category.other) -> Category:
    """The area the words of `text` point to; `default` when none does."""
    return default
