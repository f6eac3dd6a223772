"""Rounding and display of numbers and percentages, written to be ported line by line to JavaScript.

Every number the product shows goes through `round_half_away` so that the server, the PDF and
the phone print the same digits. The JavaScript twin is:

    function roundHalfAway(x, decimals) {
      if (!(Math.abs(x) < 1e15)) return x;
      const factor = Number("1e" + decimals);
      let scaled = Number((Math.abs(x) * factor).toPrecision(15));
      const r = Math.floor(scaled + 0.5) / factor;
      return r === 0 ? 0 : (x < 0 ? -r : r);
    }
    function formatNumber(x, decimals) {
      let s = roundHalfAway(x, decimals).toFixed(decimals);
      if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\\.$/, "");
      return s;
    }
"""

import functools
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeGuard

MAX_DECIMALS = 10
# The one size rule of both engines: a number is usable only when |x| < 1e15 (finite, and small
# enough that every step below stays exact enough and never overflows). Larger or non-finite
# answers are 「答案格式不正确」, larger computed results 「无法计算」; JavaScript uses the same bound.
NUMBER_LIMIT = 1e15


def in_range(x: Any) -> TypeGuard[int | float]:
    """Whether x is an int or float (not bool) with |x| < 1e15; never raises, even for 10**400."""
    # Comparing an int with a float is exact in Python, so a huge int never becomes a float here.
    return type(x) in (int, float) and -NUMBER_LIMIT < x < NUMBER_LIMIT


@functools.lru_cache(maxsize=8192)  # section ratios and computed values recur across scorings
def _fifteen_digits(x: float) -> float:
    """Round a non-negative double to 15 significant digits, exactly as JS `toPrecision(15)`.

    This absorbs binary noise such as 0.145 * 100 = 14.499999999999998, so that a ratio a
    person would call 14.5 rounds to 15 and not to 14. The rule is ROUND_HALF_UP on the exact
    binary value, which matches the ECMAScript rule "pick the larger n" for ties.
    """
    if x == 0:
        return 0.0
    # Python's `.15g` rounds the exact binary value correctly, ties to even; it can differ
    # from half-up only when that value lies exactly halfway between two 15-digit numbers,
    # i.e. has exactly 16 significant digits, the last a 5. Such a value prints exactly in
    # 17 digits as "…50"; any other 17-digit spelling proves there is no tie.
    nearest = float(f"{x:.15g}")
    if nearest == x or not f"{x:.16e}".partition("e")[0].endswith("50"):
        return nearest
    exact = Decimal(x)
    quantum = Decimal(1).scaleb(exact.adjusted() - 14)
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


# 10**d as the double the literal "1e{d}" reads as, for the decimals items may have
_FACTORS = tuple(float(f"1e{d}") for d in range(MAX_DECIMALS + 1))


def round_half_away(x: float, decimals: int = 0) -> float:
    """Round to `decimals` places, halves away from zero (0.05 → 0.1, -0.05 → -0.1).

    Numbers with |x| ≥ 1e15 (and inf/nan) come back unchanged instead of overflowing.
    """
    if not -NUMBER_LIMIT < x < NUMBER_LIMIT:
        return x
    if x == math.floor(x) and -1e9 < x < 1e9 and decimals <= 6:
        # Whole numbers come back unchanged from the steps below (all exact); skip them.
        return x + 0.0  # -0.0 becomes 0.0
    factor = _FACTORS[decimals] if 0 <= decimals <= MAX_DECIMALS else float(f"1e{decimals}")
    scaled = abs(x) * factor
    # Whole numbers below 1e15 already have at most 15 significant digits (same result, faster).
    if scaled != math.floor(scaled) or scaled >= 1e15:
        scaled = _fifteen_digits(scaled)
    r = math.floor(scaled + 0.5) / factor
    if r == 0:
        return 0.0
    return -r if x < 0 else r


def format_number(x: float, decimals: int = 1) -> str:
    """Show a number rounded to `decimals` places without trailing zeros: 12.50 → "12.5", 3.0 → "3"."""
    if -1e9 < x < 1e9 and x == math.floor(x) and decimals <= 6:
        # Whole numbers (most counts) print as their digits; the steps below give the same.
        return str(int(x))
    text = f"{round_half_away(x, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_percent(ratio: float, decimals: int = 1) -> str:
    """Show a ratio as a percentage: 0.0833 → "8.3%", 0.10 → "10%"."""
    return format_number(ratio * 100, decimals) + "%"
