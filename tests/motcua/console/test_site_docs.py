"""The settings pages ask the hub for its list of versions only when it can have changed (20 supervisors' pages at
once cost the hub nothing), and never show an older list than the version just saved or published."""
import asyncio
from types import SimpleNamespace

from motcua.console.settings import SiteDocs


class Hub:
    """Answers config/history as the hub does, counting the questions."""

    def __init__(self) -> None:
        self.t = SimpleNamespace(config_history="h")
        self.version, self.asked = 1, 0

    def request(self, topic, body, timeout, tries):
        self.asked += 1
        if "version" in body:
            return {"ok": True, "document": {"v": body["version"]}}
        return {"ok": True, "versions": [{"version": v, "by": "x", "at": ""} for v in range(self.version, 0, -1)]}


def test_the_list_is_asked_again_only_when_a_newer_version_exists_or_after_a_save():
    hub, published = Hub(), {"v": 1}
    docs = SiteDocs(hub, lambda: published["v"])

    async def run():
        for _ in range(20):
            assert (await docs.versions())[0]["version"] == 1
        assert hub.asked == 1
        hub.version = published["v"] = 2              # the hub published version 2 on <R>/config
        assert (await docs.versions())[0]["version"] == 2 and hub.asked == 2
        hub.version = 3                               # saved here; <R>/config not seen yet
        assert (await docs.versions(at_least=3))[0]["version"] == 3 and hub.asked == 3
        docs.forget()
        await docs.versions()
        assert hub.asked == 4
        assert await docs.diff(2, 3) == await docs.diff(2, 3) and hub.asked == 6   # each document asked once
    asyncio.run(run())
