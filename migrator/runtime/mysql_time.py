"""MySQL TIME as text: the one rendering used on the MCP wire and in DynamoDB items.

pymysql reads a TIME column as a `datetime.timedelta` (negative, or beyond 24 hours:
MySQL allows -838:59:59 .. 838:59:59); a `datetime.time` is accepted too. The text is
`[-]HH:MM:SS` (the hours grow past two digits) with a fraction only when it is not zero:
six digits on the wire between the built-in MySQL server and its clients
(`migrator.protocol`), three (milliseconds) in a DynamoDB item (`items`). Digits beyond
`digits` are cut, never rounded. Exact integer arithmetic: no float on the way.

Shipped in the Glue bundle: Python 3.9 syntax, standard library only.
"""

from __future__ import annotations

import datetime as dt

_MICROSECOND = dt.timedelta(microseconds=1)


def time_text(value: dt.timedelta | dt.time, digits: int = 6) -> str:
    """`[-]HH:MM:SS[.f]` with `digits` (0..6) fraction digits, shown only when not all zero."""
    if isinstance(value, dt.time):
        negative, hours, minutes, seconds, micro = False, value.hour, value.minute, value.second, value.microsecond
    else:
        total = value // _MICROSECOND
        negative, total = total < 0, abs(total)
        seconds, micro = divmod(total, 1_000_000)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
    fraction = micro // 10 ** (6 - digits)
    text = f"{'-' if negative else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{fraction:0{digits}d}" if fraction else "")
