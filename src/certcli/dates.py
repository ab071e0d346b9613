"""Turn user input into calendar dates, the one way every command and import does it.

Rules (the README repeats them for users):
- ISO `YYYY-MM-DD` is always accepted; so is US `M/D/YYYY`.
- A month alone (`03/2027`, `2027-03`, `March 2027`) is accepted only for expirations and
  means the last day of that month, because cards are valid "through" the month printed.
- `date_format` (an strptime pattern such as `%d/%m/%Y`) replaces the US order for files
  written in another order; ISO dates still parse as ISO under it.
- Two-digit years, day-first dates without a format, free text and impossible dates are
  rejected. Nothing here reads the clock, so the same text gives the same date on any day.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from certcli.errors import InvalidValue

MIN_YEAR = 1950
MAX_YEAR = 2099
DAYFIRST_FORMAT = "%d/%m/%Y"

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH_US = re.compile(r"(\d{1,2})/(\d{4})")
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")
_MONTH_NAME = re.compile(r"([A-Za-z]+)\.?,?\s+(\d{4})")
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}|\d{1,2}[/.\-]\d{2}")
_DOTTED_OR_DASHED = re.compile(r"\d{1,2}[.\-]\d{1,2}[.\-]\d{4}")

MONTH_NAMES = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
}
MONTH_NAMES["sept"] = 9


def accepted_forms(month_only: bool, date_format: str | None = None) -> str:
    """Describe the accepted input forms, for error messages and help."""
    forms = "YYYY-MM-DD or " + (f"the format {date_format}" if date_format else "M/D/YYYY")
    if month_only:
        forms += ", or a month such as 03/2027, 2027-03 or March 2027 (the last day of that month)"
    return forms


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(
    value: str,
    *,
    field: str = "date",
    month_only: bool = False,
    date_format: str | None = None,
) -> date:
    """Parse one user-entered date; raise InvalidValue quoting `value` and the accepted forms.

    `month_only` allows a month without a day (expirations); it resolves to the month's last day.
    """
    text = value.strip()
    if not text:
        raise InvalidValue(f'{field} is empty', f"Use {accepted_forms(month_only, date_format)}")

    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # The common case, YYYY-MM-DD, without the regular expression; anything odd takes
        # the full path below for its error message.
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if MIN_YEAR <= parsed.year <= MAX_YEAR:
                return parsed

    match = _ISO.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _checked_date(year, month, day, value, field, month_only, date_format)

    if date_format:
        return _parse_with_format(text, value, field, month_only, date_format)

    match = _US.fullmatch(text)
    if match:
        month, day, year = (int(part) for part in match.groups())
        if month > 12 and day <= 12:
            raise InvalidValue(
                f'invalid {field} "{value}": {month} is not a month, so this looks like a '
                "day-first date",
                f"Use YYYY-MM-DD, or pass --date-format {DAYFIRST_FORMAT} if the file writes days first",
            )
        return _checked_date(year, month, day, value, field, month_only, date_format)

    month_date = _parse_month(text)
    if month_date is not None:
        year, month = month_date
        if not month_only:
            raise InvalidValue(
                f'invalid {field} "{value}": a month without a day is only accepted for expirations',
                "Give the full date as YYYY-MM-DD or M/D/YYYY",
            )
        _check_year(year, value, field)
        if not 1 <= month <= 12:
            raise InvalidValue(
                f'invalid {field} "{value}": {month} is not a month',
                f"Use {accepted_forms(month_only, date_format)}",
            )
        return last_day_of_month(year, month)

    raise InvalidValue(_unrecognized(text, value, field), f"Use {accepted_forms(month_only, date_format)}")


def _unrecognized(text: str, value: str, field: str) -> str:
    if _TWO_DIGIT_YEAR.fullmatch(text):
        return f'invalid {field} "{value}": two-digit years are ambiguous; write the year with 4 digits'
    if _DOTTED_OR_DASHED.fullmatch(text):
        return (
            f'invalid {field} "{value}": the order of day and month is unknown '
            f"(for day-first dates pass --date-format {DAYFIRST_FORMAT.replace('/', '.')})"
        )
    return f'invalid {field} "{value}": not a date'


def is_month(value: str) -> bool:
    """Return whether `value` names a month without a day (03/2027, 2027-03, March 2027)."""
    return _parse_month(value.strip()) is not None


def _parse_month(text: str) -> tuple[int, int] | None:
    """Return (year, month) for a month-only input, or None when `text` is not one."""
    match = _MONTH_US.fullmatch(text)
    if match:
        return int(match.group(2)), int(match.group(1))
    match = _MONTH_ISO.fullmatch(text)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = _MONTH_NAME.fullmatch(text)
    if match and match.group(1).lower() in MONTH_NAMES:
        return int(match.group(2)), MONTH_NAMES[match.group(1).lower()]
    return None


def _parse_with_format(text: str, value: str, field: str, month_only: bool, date_format: str) -> date:
    if "%y" in date_format:
        raise InvalidValue(
            f'invalid date format "{date_format}": two-digit years (%y) are ambiguous',
            "Use %Y for a 4-digit year",
        )
    try:
        parsed = datetime.strptime(text, date_format)
    except ValueError:
        month_date = _parse_month(text) if month_only else None
        if month_date is not None:
            _check_year(month_date[0], value, field)
            return last_day_of_month(*month_date)
        raise InvalidValue(
            f'invalid {field} "{value}": does not match the format {date_format}',
            f"Use {accepted_forms(month_only, date_format)}",
        ) from None
    return _checked_date(parsed.year, parsed.month, parsed.day, value, field, month_only, date_format)


def _check_year(year: int, value: str, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(
            f'invalid {field} "{value}": year {year} is outside {MIN_YEAR}-{MAX_YEAR}',
            "Check the year",
        )


def _checked_date(
    year: int, month: int, day: int, value: str, field: str, month_only: bool, date_format: str | None
) -> date:
    _check_year(year, value, field)
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(
            f'invalid {field} "{value}": no such day',
            f"Use {accepted_forms(month_only, date_format)}",
        ) from None


def parse_optional(value: str | None, **kwargs) -> date | None:
    """Parse `value`, treating None and blank text as "no date"."""
    if value is None or not value.strip():
        return None
    return parse_date(value, **kwargs)


def check_period(issued: date | None, expires: date | None) -> None:
    """Reject an expiration before the issued date."""
    if issued and expires and expires < issued:
        raise InvalidValue(
            f"expiration {expires.isoformat()} is before the issued date {issued.isoformat()}",
            "Check both dates; a card expires after it is issued",
        )


def add_months(start: date, months: int, end_of_month: bool = False) -> date:
    """Add `months` to `start` in one step from the original date, never month by month.

    Adding step by step drifts at month ends (Jan 31 + 1 month + 1 month gives Mar 28, not
    Mar 31), so renewal chains always compute from the first date. A day that does not exist
    in the target month becomes that month's last day (2024-02-29 + 24 months = 2026-02-28).
    With `end_of_month`, the result is the last day of the target month ("valid through").
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if end_of_month:
        return date(year, month, last)
    return date(year, month, min(start.day, last))


def local_today() -> date:
    """Return the local calendar date: the only place certcli reads the clock.

    The CLI calls this once per run when neither --today nor CERTCLI_TODAY is set; the rules
    receive the result as a parameter.
    """
    return date.today()
