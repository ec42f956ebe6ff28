"""What only the tests need: the one fake of time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


class FakeClock:
    """The one fake of time: tests set it and move it on."""

    def __init__(self, local: str = "2026-11-30 09:00", tz: int = 7):
        self.now = datetime.fromisoformat(local).replace(tzinfo=timezone(timedelta(hours=tz)))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)

    def set(self, local: str) -> None:
        self.now = datetime.fromisoformat(local).replace(tzinfo=self.now.tzinfo)
