"""Legal dates: "today" in Europe/Stockholm, as registers and decisions count days.

System timestamps are UTC; legal dates (registered, closed, due) are the date in
Sweden. ``DIARIEKIT_TODAY=YYYY-MM-DD`` pins today's date, for rehearsing a disposal
run or for reproducible tests and demos.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from diariekit.errors import ConfigError

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today() -> date:
    """Today's date in Sweden (or ``$DIARIEKIT_TODAY``)."""
    pinned = os.environ.get("DIARIEKIT_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ConfigError(f"DIARIEKIT_TODAY must be YYYY-MM-DD, got '{pinned}'") from None
    return datetime.now(STOCKHOLM).date()


def legal_date(moment: datetime) -> date:
    """The Swedish calendar date of an aware timestamp."""
    return moment.astimezone(STOCKHOLM).date()
