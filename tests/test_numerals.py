"""Reading numbers as the reports write them (schemas/numerals.py)."""

import pytest
from fazhi.schemas.numerals import (
    as_number,
    fold_unit,
    halfwidth,
    is_chinese,
    number_from_text,
    parse_number,
    read_numbers,
    same_value,
    scale,
    value_problem,
)


@pytest.mark.parametrize(("numeral", "value"), [
    ("三", 3), ("十", 10), ("十二", 12), ("三百二十", 320), ("两千", 2000), ("两万", 20000),
    ("一万二千", 12000), ("三点五", 3.5), ("零", 0), ("二〇二二", 2022),
])
def test_chinese_numerals_are_read_with_cn2an(numeral: str, value: float) -> None:
    assert parse_number(numeral) == value


def test_every_numeral_read_without_cn2an_reads_as_cn2an_reads_it() -> None:
    import cn2an
    from fazhi.schemas.numerals import written_numbers

    table = written_numbers()
    assert len(table) > 11_000 and table["二百零五"] == 205 and table["两千"] == 2000 and table["十二"] == 12
    assert [numeral for numeral, value in table.items() if cn2an.cn2an(numeral, "smart") != value] == []


@pytest.mark.parametrize(("numeral", "value"), [
    ("56", 56), ("3860.85", 3860.85), ("1,268", 1268), ("12,345,678", 12345678), ("１２３", 123), ("９９．５", 99.5),
])
def test_arabic_numerals_with_decimals_separators_and_full_width_digits(numeral: str, value: float) -> None:
    assert parse_number(numeral) == value


def test_a_string_that_is_no_numeral_reads_as_none() -> None:
    assert parse_number("百") is None
    assert parse_number("") is None


def test_is_chinese_tells_chinese_from_arabic_numerals() -> None:
    assert is_chinese("三百")
    assert not is_chinese("300")


def test_read_numbers_folds_wan_and_yi_into_the_value() -> None:
    tokens = read_numbers("共2万人次，罚没3860.85万元，投资1.2亿元，赤字4.06万亿元")
    assert [t.value for t in tokens] == [20000, 38608500, 120000000, 4.06e12]
    assert [t.multiplier for t in tokens] == [10_000, 10_000, 100_000_000, 10**12]


def test_read_numbers_folds_the_multiplier_after_yu() -> None:
    assert [t.value for t in read_numbers("储备物资110余万件，发放资料16万余份")] == [1100000, 160000]


def test_scale_multiplies_without_binary_noise() -> None:
    assert scale(4.06, 10**12) == 4060000000000
    assert scale(3860.85, 10_000) == 38608500


def test_read_numbers_normalises_full_width_text_first() -> None:
    assert [t.value for t in read_numbers("受理１２３件，办结率９９．５％")] == [123, 99.5]


def test_fold_unit_moves_the_multiplier_from_the_unit_into_the_value() -> None:
    assert fold_unit(2, "万人次") == (20000, "人次")
    assert fold_unit(3860.85, "万元") == (38608500.0, "元")
    assert fold_unit(1.2, "亿元") == (120000000.0, "元")


def test_fold_unit_leaves_plain_and_percent_units_alone() -> None:
    assert fold_unit(56, "件") == (56, "件")
    assert fold_unit(5.27, "个百分点") == (5.27, "个百分点")
    assert fold_unit(3, "万") == (3, "万")


def test_a_value_must_be_the_quoted_number_with_its_multiplier_folded_in() -> None:
    assert value_problem(20000, "共2万人次积极参与该活动") is None
    assert "leaves out the multiplier" in value_problem(2, "共2万人次积极参与该活动")
    assert "cannot be read" in value_problem(7, "共2万人次积极参与该活动")


def test_spaces_inside_a_quoted_number_do_not_matter() -> None:
    assert value_problem(726000, "全区商事主体总量达 72.6 万户") is None


def test_approximate_figures_in_words_are_read() -> None:
    assert value_problem(100, "民事案件近百件") is None
    assert value_problem(1000, "培训上千人次") is None


def test_a_year_a_date_or_an_ordinal_is_never_a_value() -> None:
    assert "year or a date" in value_problem(2022, "2022年全市办结案件")
    assert "year or a date" in value_problem(3, "3月份开展专项检查")
    assert "ordinal" in value_problem(2, "入选第2批示范单位")


def test_numbers_written_as_text_are_read() -> None:
    assert number_from_text("38,608,500") == 38608500
    assert number_from_text("99.5%") == 99.5
    assert number_from_text("2.3万") == 23000
    assert number_from_text("约100") is None


def test_same_value_tolerates_float_rounding_only() -> None:
    assert same_value(3860.85 * 10000, 38608500)
    assert not same_value(100, 101)


def test_as_number_gives_int_for_whole_values_and_float_otherwise() -> None:
    assert as_number(3.0) == 3 and isinstance(as_number(3.0), int)
    assert as_number(99.5) == 99.5 and isinstance(as_number(99.5), float)


def test_halfwidth_keeps_the_length_so_offsets_still_index_the_original() -> None:
    text = "办结率９９．５％，受理１２３件，ＡＢ　c"
    flat = halfwidth(text)
    assert len(flat) == len(text)
    assert flat == "办结率99.5%，受理123件，AB c"


def test_halfwidth_keeps_the_full_width_comma_that_separates_clauses() -> None:
    assert halfwidth("受理5件，办结4件") == "受理5件，办结4件"
