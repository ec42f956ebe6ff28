"""The follow-up's tests share one real gammu-smsd on Gammu's dummy phone per test."""
import pytest

from devtools.testbed import GammuSmsd


@pytest.fixture
def smsd(tmp_path, request):
    """gammu-smsd started for the test; a module that sets ``UNICODE_INBOX = True`` gets its inbox
    written as UTF-16 (``InboxFormat = unicode``, what keeps Vietnamese and lets a phone's broken
    surrogate through as it came)."""
    g = GammuSmsd(tmp_path / "gammu")
    if getattr(request.module, "UNICODE_INBOX", False):
        g.config.write_text(g.config.read_text() + "InboxFormat = unicode\n")
    g.start()
    yield g
    g.stop()
