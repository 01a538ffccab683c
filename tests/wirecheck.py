"""Rate checks on the loopback server's request log that a loaded 2-core machine can honour.

The server stamps each request when its thread gets to it, which on a busy
machine can be a little after the request left the client. The fetcher keeps
request starts at least ``1 / rate`` apart, so any window of ``width`` seconds
holds at most ``floor(width * rate) + 1`` starts; a stamp late by up to
``noise`` can only pull that many into a window ``noise`` wider. A burst (the
rate not enforced) overshoots that bound by far, whatever the load.
"""

from __future__ import annotations

import math

#: How late the server may stamp an arrival under load (generous: typical is a millisecond).
STAMP_NOISE = 0.1


def most_in_any_window(times: list[float], width: float) -> int:
    """The largest number of ``times`` inside any half-open window ``[t, t + width)``."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + width:
            j += 1
        best = max(best, j - i)
    return best


def allowed_in_window(width: float, rate: float, noise: float = STAMP_NOISE) -> int:
    """The most starts a window of ``width`` seconds may show at ``rate``, given stamp noise."""
    return math.floor((width + noise) * rate) + 1


def assert_within_rate(times: list[float], rate: float) -> None:
    """Never above ``rate`` over any window, and the rate used rather than wasted.

    The lower bound on the whole span is the guarantee. The upper bound only
    catches a gross error (a wait of seconds where ``1 / rate`` was due): a
    loaded machine delays requests (six times the ideal span has been seen with
    both cores busy), and that only ever slows the rate.
    """
    for width in (0.25, 0.5, 1.0, 2.0):
        seen, limit = most_in_any_window(times, width), allowed_in_window(width, rate)
        assert seen <= limit, f"{seen} requests within {width} s, at most {limit} allowed"
    ideal = (len(times) - 1) / rate
    span = max(times) - min(times)
    assert ideal - STAMP_NOISE <= span <= ideal * 10 + 10, (span, ideal)
