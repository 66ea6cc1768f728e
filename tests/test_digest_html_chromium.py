"""The HTML digest in a real browser: headless Chromium (Debian's `chromium` package) opens the
file offline, and the page is inspected over the DevTools protocol. The chart must load, and the
suppressed round must read as a gap: a dash in the table and no line drawn over it in the chart.

Skips with a reason when Chromium is not installed, unless RESPITE_REQUIRE_CHROMIUM=1 (CI).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapters.charts import render_trend
from bot.adapters.digest_html import digest_html
from bot.domain.digest_present import trend_chart
from tests.support.digest_variants import GAP, INSTRUMENT, mixed_department, released_team

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    reason = "Chromium is not installed (apt-get install chromium)"
    if os.environ.get("RESPITE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}; RESPITE_REQUIRE_CHROMIUM=1 forbids skipping")
    pytest.skip(reason)


class DevTools:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.ws.receive_json(), timeout=30)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[DevTools]:
    exe = _chromium()
    profile = tmp_path / "profile"
    proc = await asyncio.create_subprocess_exec(
        exe,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.1)
        port = port_file.read_text().split()[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
                targets = await resp.json(content_type=None)
            page = next(t for t in targets if t["type"] == "page")
            async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _write(tmp_path: Path) -> Path:
    sections = []
    for digest in (released_team(), mixed_department()):
        chart = trend_chart(INSTRUMENT, digest)
        assert chart is not None
        sections.append((digest, render_trend(chart), chart.alt_text))
    path = tmp_path / "digest.html"
    path.write_text(digest_html("Respite digest", sections, datetime.now(UTC)), encoding="utf-8")
    return path


INSPECT = """
(async () => {
  const img = document.querySelector('section#riverside img.chart');
  if (!img.complete) await new Promise(r => img.addEventListener('load', r, {once: true}));
  const xs = img.dataset.x.split(',').map(Number);
  const top = Number(img.dataset.plotTop), bottom = Number(img.dataset.plotBottom);
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const coloured = (x) => {
    const data = ctx.getImageData(Math.round(x) - 2, top, 5, bottom - top).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  };
  const row = document.querySelector('section#riverside table.trend tbody tr');
  const cells = [...row.querySelectorAll('td')];
  const heads = [...document.querySelectorAll('section#riverside table.trend thead th')]
    .slice(1).map(th => th.textContent);
  return JSON.stringify({
    loaded: img.complete && img.naturalWidth > 0,
    natural: [img.naturalWidth, img.naturalHeight],
    alt: img.alt,
    periods: heads,
    cells: cells.map(td => ({text: td.textContent, gap: td.classList.contains('gap')})),
    colouredAt: xs.map(coloured),
    images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
    network: performance.getEntriesByType('resource').map(e => e.name)
      .filter(n => !n.startsWith('data:')),
  });
})()
"""


async def test_html_digest_in_chromium(browser: DevTools, tmp_path: Path) -> None:
    path = _write(tmp_path)
    await browser.call("Page.enable")
    await browser.call("Page.navigate", url=path.as_uri())
    for _ in range(100):
        if await browser.evaluate("document.readyState") == "complete":
            break
        await asyncio.sleep(0.1)
    page = json.loads(await browser.evaluate(INSPECT))

    assert page["loaded"] and page["natural"][0] > 300
    assert all(page["images"]) and len(page["images"]) == 2
    assert page["network"] == []  # readable offline: nothing fetched
    gap = page["periods"].index(GAP)
    # The table: a dash in the suppressed round, never a zero.
    assert page["cells"][gap] == {"text": "–", "gap": True}
    assert all(
        not c["gap"] and c["text"] not in ("0", "0.00")
        for i, c in enumerate(page["cells"])
        if i != gap
    )
    # The chart: no line drawn over the suppressed round, every released round drawn.
    assert page["colouredAt"][gap] == 0
    assert all(n > 0 for i, n in enumerate(page["colouredAt"]) if i != gap)
    assert GAP in page["alt"] and "gap" in page["alt"]

    printed = await browser.call("Page.printToPDF")
    assert len(printed["data"]) > 1000
