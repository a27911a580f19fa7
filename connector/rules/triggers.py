"""Trigger texts of watch mode (`every 15 minutes`, `every 2 hours`, `daily at 02:00`,
`monthly on day 2 at 06:00`) as `Trigger`s.

The accepted forms are few on purpose: a consultant reads them at a glance, and every other text is
refused with the list of forms instead of being guessed at.
"""

from __future__ import annotations

import json
import re
from datetime import time, timedelta

from connector.rules.model import Trigger

FORMS = "`every N minutes`, `every N hours`, `daily at HH:MM` or `monthly on day N at HH:MM`"
LAST_DAY = 28
"""The latest day of the month a monthly trigger may name: every month has it."""

_EVERY = re.compile(r"every\s+([0-9]+)\s+(minute|minutes|hour|hours)")
_DAILY = re.compile(r"daily\s+at\s+([0-9]{1,2}):([0-9]{2})")
_MONTHLY = re.compile(r"monthly\s+on\s+day\s+([0-9]{1,2})\s+at\s+([0-9]{1,2}):([0-9]{2})")


def parse_trigger(text: str) -> Trigger:
    """The trigger `text` describes; ValueError with a message listing the accepted forms otherwise."""
    cleaned = " ".join(text.strip().lower().split())
    every = _EVERY.fullmatch(cleaned)
    if every:
        count, unit = int(every.group(1)), every.group(2)
        if count < 1:
            raise ValueError(f"{json.dumps(text)} never runs: the interval must be at least 1")
        delta = timedelta(minutes=count) if unit.startswith("minute") else timedelta(hours=count)
        return Trigger(text=text, every=delta)
    daily = _DAILY.fullmatch(cleaned)
    if daily:
        return Trigger(text=text, daily_at=_time(text, daily.group(1), daily.group(2)))
    monthly = _MONTHLY.fullmatch(cleaned)
    if monthly:
        day = int(monthly.group(1))
        if not 1 <= day <= LAST_DAY:
            raise ValueError(f"{json.dumps(text)}: the day must be 1 to {LAST_DAY}, which every month has")
        return Trigger(text=text, daily_at=_time(text, monthly.group(2), monthly.group(3)), monthly_on=day)
    raise ValueError(f"cannot read the trigger {json.dumps(text)}: write {FORMS}")


def _time(text: str, hours: str, minutes: str) -> time:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(f"{json.dumps(text)} is not a time of day: write HH:MM from 00:00 to 23:59")
    return time(hour, minute)
