"""Amounts of money as the reader reads them, with Babel's number formatting.

Chinese counts in 万 and 亿 where the amount is round enough to read that way (20万元, 1.2亿元, 10万–50万元)
and writes other amounts in full (1,234元, 123,456元); English writes the yuan sign and every digit
(¥200,000, ¥100,000–¥500,000). Every page, export and mail that shows money asks here: amounts in whole
yuan (budgets, caps, pay) through ``format_yuan``, amounts kept in fen (vouchers) through ``format_fen``.

CLDR's English symbol for the yuan is "CN¥" (to tell it from the yen); this site only ever counts yuan, so
it writes the plain ¥ that people in Wuhan read."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_compact_decimal, format_currency, format_decimal

from community.i18n import N_, current_locale, gettext

Amount = int | Decimal

_WAN = 10_000
_YI = 100_000_000


@lru_cache(maxsize=8)
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


def _chinese(locale: str) -> bool:
    return locale.startswith("zh")


def _whole(amount: Decimal) -> bool:
    return amount == amount.to_integral_value()


def _counted(amount: Decimal, locale: Locale) -> str | None:
    """20万 / 12.5万 / 1.2亿 when two decimals at most say the amount exactly in 万 or 亿; else None."""
    size = abs(amount)
    if not _whole(amount) or size < _WAN:
        return None
    unit = _YI if size >= _YI else _WAN
    if (size * 100) % unit:
        return None
    return format_compact_decimal(amount, locale=locale, fraction_digits=2)


def _in_full(amount: Decimal, locale: Locale) -> str:
    """1,234 / 123,456 / 12.50."""
    return format_decimal(amount, format="#,##0" if _whole(amount) else "#,##0.00", locale=locale)


def _number_zh(amount: Decimal, locale: Locale) -> str:
    """The figure before 元."""
    return _counted(amount, locale) or _in_full(amount, locale)


def _yuan_en(amount: Decimal, locale: Locale) -> str:
    pattern = "¥#,##0" if _whole(amount) else "¥#,##0.00"
    return format_currency(amount, "CNY", format=pattern, locale=locale, currency_digits=False)


def format_yuan(amount: Amount | None) -> str:
    """An amount in yuan: 20万元 / ¥200,000; nothing for no amount."""
    if amount is None:
        return ""
    return _yuan_text(current_locale(), Decimal(amount))


def format_fen(fen: int | None) -> str:
    """An amount kept in fen (hundredths of a yuan): 12345 → 123.45元 / ¥123.45."""
    if fen is None:
        return ""
    return format_yuan(Decimal(int(fen)) / 100)


def format_yuan_range(low: Amount, high: Amount | None) -> str:
    """One amount, or a range: 10万–50万元 / ¥100,000–¥500,000."""
    if high is None or high == low:
        return format_yuan(low)
    return _range_text(current_locale(), Decimal(low), Decimal(high))


# The same few amounts come back on every list page (budgets of 10万, 20万, 50万 ...), and a text depends on
# the language and the amount only: each is worked out once per process (Babel takes ~0.05 ms a call).
@lru_cache(maxsize=4096)
def _yuan_text(name: str, value: Decimal) -> str:
    if _chinese(name):
        return _number_zh(value, _babel_locale(name)) + "元"
    return _yuan_en(value, _babel_locale(name))


@lru_cache(maxsize=4096)
def _range_text(name: str, low: Decimal, high: Decimal) -> str:
    if _chinese(name):
        locale = _babel_locale(name)
        low_counted, high_counted = _counted(low, locale), _counted(high, locale)
        if low_counted and high_counted:  # both ends in 万 (10万–50万元), or both in full (8,000–12,000元)
            return f"{low_counted}–{high_counted}元"
        return f"{_in_full(low, locale)}–{_in_full(high, locale)}元"
    return f"{_yuan_text(name, low)}–{_yuan_text(name, high)}"


def format_yuan_below(amount: Amount) -> str:
    """Under an amount, as a filter names a band: 10万元以下 / Under ¥100,000."""
    return gettext(N_("Under %(amount)s")) % {"amount": format_yuan(amount)}


def format_yuan_above(amount: Amount) -> str:
    """Over an amount: 500万元以上 / Over ¥5,000,000."""
    return gettext(N_("Over %(amount)s")) % {"amount": format_yuan(amount)}


def per_month(text: str) -> str:
    """An amount (or range) a month: 8,000–12,000元/月 / ¥8,000–¥12,000 a month."""
    return gettext(N_("%(amount)s a month")) % {"amount": text}
