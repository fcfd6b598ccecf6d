"""The listed items of a part (schemas/rules/items.py): every numbering style, in sequence, at the top level."""

import pytest
from fazhi.schemas.rules.items import numbered_items


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("一、普法不足。\n二、执法不严。\n", ["普法不足。", "执法不严。"]),
        ("(一)普法不足。\n(二)执法不严。\n", ["普法不足。", "执法不严。"]),
        ("1.普法不足。\n2.执法不严。\n", ["普法不足。", "执法不严。"]),
        ("①普法不足。②执法不严。", ["普法不足。", "执法不严。"]),
        ("主要是:一是普法不足;二是执法不严。", ["普法不足;", "执法不严。"]),
        ("第一，普法不足。第二，执法不严。", ["普法不足。", "执法不严。"]),
    ],
)
def test_numbered_items_in_every_numbering_style(body: str, expected: list[str]) -> None:
    items = numbered_items(body, 0, len(body))
    assert [body[i.body: i.end].strip() for i in items] == expected


def test_subpoints_under_headings_are_not_top_level_items() -> None:
    body = "(一)执法质量有待提高。一是程序不规范。二是文书不规范。\n(二)法治力量不足。一是人员少。\n"
    items = numbered_items(body, 0, len(body))
    assert [i.style for i in items] == ["paren", "paren"]


def test_numbering_out_of_sequence_is_not_an_item() -> None:
    body = "(一)普法不足。\n(三)执法不严。\n"
    assert len(numbered_items(body, 0, len(body))) == 1
