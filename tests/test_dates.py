"""Unit tests of certcli.dates: the one parser for every date a user types or a file holds."""

import calendar
import re
from datetime import date

import pytest
from hypothesis import given, strategies as st

from certcli.dates import MAX_YEAR, MIN_YEAR, add_months, check_period, last_day_of_month, parse_date
from certcli.errors import InvalidValue

DAYFIRST = "%d/%m/%Y"
DATES = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))


def rejection(value: str, **kwargs) -> str:
    """Return the message of the InvalidValue that parse_date raises for `value`."""
    with pytest.raises(InvalidValue) as caught:
        parse_date(value, **kwargs)
    return str(caught.value)


# -- accepted forms --------------------------------------------------------------------


def test_parse_date_iso():
    assert parse_date("2027-03-31") == date(2027, 3, 31)


def test_parse_date_iso_strips_white_space():
    assert parse_date("  2027-03-31\t") == date(2027, 3, 31)


@pytest.mark.parametrize("text", ["3/31/2027", "03/31/2027"])
def test_parse_date_us_month_day_year(text):
    assert parse_date(text) == date(2027, 3, 31)


def test_parse_date_ambiguous_is_month_first():
    assert parse_date("03/04/2027") == date(2027, 3, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/2027", date(2027, 3, 31)),
        ("3/2027", date(2027, 3, 31)),
        ("2027-03", date(2027, 3, 31)),
        ("March 2027", date(2027, 3, 31)),
        ("Mar 2027", date(2027, 3, 31)),
        ("Feb 2027", date(2027, 2, 28)),
        ("February 2028", date(2028, 2, 29)),
        ("02/2028", date(2028, 2, 29)),
        ("2028-02", date(2028, 2, 29)),
    ],
)
def test_parse_date_month_only_is_last_day(text, expected):
    assert parse_date(text, month_only=True) == expected


def test_parse_date_month_only_century_leap_rule():
    # 2000 is a leap year because it is divisible by 400.
    assert parse_date("02/2000", month_only=True) == date(2000, 2, 29)


# -- rejections ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["3/31/27", "03/31/27", "31.03.27", "03/27"])
def test_parse_date_rejects_two_digit_year(text):
    message = rejection(text, month_only=True)

    assert f'"{text}"' in message


def test_parse_date_two_digit_year_message():
    assert "4 digits" in rejection("3/31/27")


def test_parse_date_day_first_without_format_is_rejected():
    message = rejection("13/04/2027")

    assert '"13/04/2027"' in message
    assert "--date-format" in message


@pytest.mark.parametrize("text", ["2027-03", "03/2027", "March 2027"])
def test_parse_date_rejects_month_only_issued_date(text):
    message = rejection(text, field="issued date")

    assert f'"{text}"' in message
    assert "only accepted for expirations" in message


@pytest.mark.parametrize("text", ["TBD", "N/A", "pending", "1A2B", "22-23 Feb", "22-23 February", "exp soon",
                                  "expires March 31 2027", "2027", "31", "tomorrow", "-"])
def test_parse_date_rejects_placeholders_and_free_text(text):
    message = rejection(text, month_only=True)

    assert f'"{text}"' in message
    assert "YYYY-MM-DD" in message


def test_parse_date_rejects_empty_text():
    assert "empty" in rejection("   ")


@pytest.mark.parametrize("text", ["2027-02-30", "2/30/2027", "2027-02-29", "2027-13-01", "13/2027", "2027-00"])
def test_parse_date_rejects_impossible_dates(text):
    message = rejection(text, month_only=True)

    assert f'"{text}"' in message


@pytest.mark.parametrize("text", ["1949-12-31", "2100-01-01", "12/31/1949", "1/1/2100", "03/1949", "March 2100"])
def test_parse_date_rejects_years_outside_range(text):
    message = rejection(text, month_only=True)

    assert f'"{text}"' in message
    assert f"{MIN_YEAR}-{MAX_YEAR}" in message


def test_parse_date_accepts_range_edges():
    assert parse_date("1950-01-01") == date(1950, 1, 1)
    assert parse_date("12/31/2099") == date(2099, 12, 31)


def test_parse_date_dotted_date_message():
    assert "--date-format" in rejection("12.07.2022")


# -- an explicit day-first format --------------------------------------------------------


def test_parse_date_dayfirst_format_reads_day_first():
    assert parse_date("03/04/2027", date_format=DAYFIRST) == date(2027, 4, 3)


def test_parse_date_dayfirst_format_accepts_day_over_twelve():
    assert parse_date("13/04/2027", date_format=DAYFIRST) == date(2027, 4, 13)


def test_parse_date_dayfirst_format_keeps_iso_as_iso():
    assert parse_date("2027-04-03", date_format=DAYFIRST) == date(2027, 4, 3)


def test_parse_date_dayfirst_month_only():
    assert parse_date("02/2028", month_only=True, date_format=DAYFIRST) == date(2028, 2, 29)


def test_parse_date_format_rejects_short_year():
    assert "%y" in rejection("03/04/27", date_format="%d/%m/%y")


def test_parse_date_format_mismatch_message():
    assert DAYFIRST in rejection("April 3rd", date_format=DAYFIRST)


# -- plausibility --------------------------------------------------------------------------


def test_check_period_rejects_expiration_before_issue():
    with pytest.raises(InvalidValue) as caught:
        check_period(date(2027, 3, 31), date(2027, 3, 30))

    assert "2027-03-30" in str(caught.value)


def test_check_period_accepts_same_day_and_no_expiration():
    check_period(date(2027, 3, 31), date(2027, 3, 31))
    check_period(date(2027, 3, 31), None)


# -- month arithmetic ----------------------------------------------------------------------


def test_add_months_leap_day_to_non_leap_year():
    assert add_months(date(2024, 2, 29), 24) == date(2026, 2, 28)


def test_add_months_month_end_into_february():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


def test_add_months_quarter_from_month_end_keeps_day():
    assert add_months(date(2014, 12, 31), 3) == date(2015, 3, 31)


def test_add_months_end_of_month_option():
    assert add_months(date(2025, 1, 20), 24, end_of_month=True) == date(2027, 1, 31)


def test_add_months_chain_from_original_date():
    start = date(2026, 8, 31)

    chain = [add_months(start, 6 * period) for period in range(1, 5)]

    assert chain == [date(2027, 2, 28), date(2027, 8, 31), date(2028, 2, 29), date(2028, 8, 31)]


def test_add_months_negative_months():
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)


# -- properties ----------------------------------------------------------------------------


@given(DATES)
def test_parse_date_iso_round_trip(day):
    assert parse_date(day.isoformat()) == day


@given(DATES, st.booleans())
def test_parse_date_us_round_trip(day, padded):
    text = f"{day.month:02d}/{day.day:02d}/{day.year}" if padded else f"{day.month}/{day.day}/{day.year}"

    assert parse_date(text) == day


@given(DATES)
def test_parse_date_dayfirst_round_trip(day):
    assert parse_date(day.strftime("%d/%m/%Y"), date_format=DAYFIRST) == day


@given(st.integers(MIN_YEAR, MAX_YEAR), st.integers(1, 12), st.sampled_from(["us", "iso", "name", "abbr"]))
def test_parse_date_month_only_gives_last_day(year, month, form):
    text = {
        "us": f"{month:02d}/{year}",
        "iso": f"{year}-{month:02d}",
        "name": f"{calendar.month_name[month]} {year}",
        "abbr": f"{calendar.month_abbr[month]} {year}",
    }[form]

    parsed = parse_date(text, month_only=True)

    assert parsed == date(year, month, calendar.monthrange(year, month)[1])


# Near-dates: numbers around the valid ranges in each written shape, plus free text from the
# characters dates are written with, so that many samples parse and many do not.
SHAPES = ["{y}-{m}-{d}", "{m}/{d}/{y}", "{m:02d}/{d:02d}/{y}", "{m}/{y}", "{y}-{m:02d}", "{name} {y}",
          "{d}.{m}.{y}", "{m}/{d}/{y2:02d}", "{d} {name} {y}", "{name} {d}"]


def write_date(shape: str, year: int, month: int, day: int) -> str:
    name = calendar.month_abbr[month] if 1 <= month <= 12 else "Foo"
    return shape.format(y=year, m=month, d=day, y2=year % 100, name=name)


NEAR_DATES = st.builds(
    write_date, st.sampled_from(SHAPES), st.integers(1900, 2150), st.integers(0, 14), st.integers(0, 32)
)
DATE_LIKE_TEXT = st.one_of(NEAR_DATES, st.text(alphabet="0123456789/-. aAbcDeFgJMnNorTuy", max_size=14))


@given(DATE_LIKE_TEXT)
def test_parse_date_never_invents_a_day(text):
    """Every day in a parsed date comes from the input, or is the last day of a month-only input."""
    try:
        parsed = parse_date(text, month_only=True)
    except InvalidValue:
        return

    numbers = [int(number) for number in re.findall(r"\d+", text)]
    assert parsed.year in numbers
    assert parsed.day in numbers or parsed == last_day_of_month(parsed.year, parsed.month)


@given(DATE_LIKE_TEXT)
def test_parse_date_full_date_keeps_parts(text):
    """A full date takes its year, month and day from the input, never from today."""
    try:
        parsed = parse_date(text)
    except InvalidValue:
        return

    numbers = [int(number) for number in re.findall(r"\d+", text)]
    assert parsed.year in numbers
    assert parsed.month in numbers
    assert parsed.day in numbers
