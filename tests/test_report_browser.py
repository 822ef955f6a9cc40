"""The HTML report in a real browser: headless Chromium from the distribution's packages, driven
over the DevTools protocol with a tiny WebSocket client (no extra dependency).

It opens the demo's report, checks there are no console errors and no requests leave the file,
filters and searches the findings table, opens a finding, and saves light and dark screenshots
under $MLAUDIT_TEST_ARTIFACTS (default: pytest's temporary directory). Skipped, saying why, when
Chromium is not installed (`apt-get install -y chromium`; .ci/run does it).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auditor.config import build_config
from auditor.demo import build_demo
from auditor.report.html import render_html
from auditor.scan.engine import scan
from auditor.testing import make_repo

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                   "(apt-get install -y chromium); the browser test needs it")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars"]


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, masking, fragments, ping."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            response += chunk
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise ConnectionError(response.decode(errors="replace"))
        self.buffer = response.split(b"\r\n\r\n", 1)[1]

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            opcode, n = first & 0x0F, second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if opcode == 0x9:  # ping
                self.send(payload.decode(errors="replace"), opcode=0xA)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            message += payload
            if first & 0x80:
                return message.decode()


class Browser:
    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.time() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        deadline = time.time() + 30
        while True:
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
                page = next(t for t in targets if t.get("type") == "page")
                break
            except (OSError, StopIteration):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> dict:
        deadline = time.time() + timeout
        self.ws.sock.settimeout(timeout)
        while time.time() < deadline:
            for index, message in enumerate(self.events):
                if message.get("method") == event:
                    return self.events.pop(index)
            self.events.append(json.loads(self.ws.receive()))
        raise TimeoutError(event)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, path: Path) -> None:
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def screenshot(self, target: Path, dark: bool = False, width: int = 1280) -> None:
        self.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme",
                                                           "value": "dark" if dark else "light"}])
        self.width(width)
        height = min(int(self.js("document.documentElement.scrollHeight")), 6000)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        target.write_bytes(base64.b64decode(data))

    def width(self, width: int) -> None:
        """Lay the page out at this viewport width (a phone below 600 px)."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width < 600)
        time.sleep(0.2)

    def overflowing(self) -> list[str]:
        """Tables, figures and code that reach past the right edge of the viewport."""
        return self.js("Array.from(document.querySelectorAll('table, figure, pre, .filters'))"
                       ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                       ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and requests that leave the file."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"request: {url}")
        return found

    def close(self) -> None:
        try:
            self.ws.sock.close()
        except AttributeError:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def browser(tmp_path):
    profile = Path(tempfile.mkdtemp(prefix="mlaudit-chromium-"))
    instance = Browser(profile)
    yield instance
    instance.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MLAUDIT_TEST_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rows(browser: Browser) -> list[str]:
    return browser.js("Array.from(document.querySelectorAll('#findings-table tbody tr'))"
                      ".map(r => r.cells[0].textContent.trim() + '|' + r.cells[2].textContent.trim())")


def _set(browser: Browser, name: str, value: str) -> None:
    browser.js(f"(() => {{ const e = document.querySelector('#filters [name={name}]'); e.value = {json.dumps(value)};"
               " e.dispatchEvent(new Event('input', {bubbles: true})); })()")
    time.sleep(0.4)  # the search box is debounced


def test_demo_report_in_chromium(tmp_path, browser, artifacts):
    demo = tmp_path / "demo"
    build_demo(demo)
    result = scan(demo, build_config({}, None, {}))
    report = artifacts / "demo-report.html"
    report.write_text(render_html(result), encoding="utf-8")
    browser.open(report)
    assert browser.js("document.getElementById('filters').hidden") is False  # the script ran
    rows = _rows(browser)
    assert len(rows) == min(len(result.findings), 100)
    browser.screenshot(artifacts / "demo-report-light.png")
    browser.screenshot(artifacts / "demo-report-dark.png", dark=True)

    worst = result.findings and max(result.findings, key=lambda f: ("info", "low", "medium", "high",
                                                                     "critical").index(f.severity)).severity
    _set(browser, "severity", worst)
    filtered = _rows(browser)
    expected = sum(f.severity == worst for f in result.findings)
    assert len(filtered) == min(expected, 100) and all(r.split("|")[0] == worst for r in filtered)
    assert f"severity={worst}" in browser.js("location.hash")
    _set(browser, "severity", "")
    target = result.findings[0]
    _set(browser, "q", target.message[:25])
    searched = _rows(browser)
    assert searched and any(target.path in r for r in searched)
    assert len(searched) <= len(rows)
    _set(browser, "q", "no finding says this 1234567")
    assert _rows(browser) == []
    assert "No finding matches" in browser.js("document.getElementById('status').textContent")
    _set(browser, "q", "")
    # Open the first finding: its excerpt and fix are built on demand.
    browser.js("document.querySelector('#findings-table tbody details summary').click()")
    assert browser.js("document.querySelector('#findings-table tbody details .detail').textContent").count("Fix:") == 1
    # Sorting by location puts paths in order.
    browser.js("document.querySelector('th[data-sort=location]').click()")
    paths = [r.split("|")[1] for r in _rows(browser)]
    assert paths == sorted(paths, key=lambda p: p.split(":")[0]) or paths[0] <= paths[-1]
    browser.screenshot(artifacts / "demo-report-sorted.png")
    assert browser.problems() == []


def test_repository_content_cannot_run_script(tmp_path, browser, artifacts):
    payload = "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"
    root = make_repo(tmp_path / "repo", {
        "train.py": f"x = 1\n# TODO: {payload}\n",
        "notes.py": "y = 2\n# FIXME: <svg onload=window.__pwned=3>\n",
    })
    result = scan(root, build_config({}, None, {}))
    assert any("__pwned" in f.message for f in result.findings)
    report = artifacts / "injection-report.html"
    report.write_text(render_html(result), encoding="utf-8")
    browser.open(report)
    browser.js("document.querySelectorAll('#findings-table details').forEach(d => { d.open = true; })")
    time.sleep(0.2)
    assert browser.js("window.__pwned === undefined") is True
    assert "window.__pwned=1" in browser.js("document.getElementById('findings-table').textContent")
    assert [p for p in browser.problems() if "request" in p] == []


def _big_result(n: int):
    """big_result from test_report_html.py (tests are not a package; load it by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("report_html_tests", Path(__file__).with_name("test_report_html.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.big_result(n)


def test_a_100k_finding_report_opens_and_filters_quickly(tmp_path, browser):
    report = tmp_path / "big.html"
    report.write_text(render_html(_big_result(100_000)), encoding="utf-8")
    started = time.time()
    browser.open(report)
    load_seconds = time.time() - started
    assert len(_rows(browser)) == 100
    timing = browser.js("""(() => { const t = performance.now();
        const e = document.querySelector('#filters [name=q]'); e.value = 'token054321';
        e.dispatchEvent(new Event('input', {bubbles: true}));
        return new Promise(r => setTimeout(() => r(performance.now() - t), 400)); })()""")
    rows = _rows(browser)
    assert len(rows) == 1 and "src/pkg21/module54321.py" in rows[0]
    _set(browser, "q", "")
    _set(browser, "severity", "critical")
    status = browser.js("document.getElementById('status').textContent")
    assert status.startswith("Showing 1–100 of 20,000 matching"), status
    assert load_seconds < 30 and timing < 3000, (load_seconds, timing)
    assert browser.problems() == []


def test_report_reads_well_with_scripts_and_styles_blocked(tmp_path, browser, artifacts):
    """As Jenkins serves reports: a content-security policy that blocks inline scripts and styles."""
    demo = tmp_path / "demo"
    build_demo(demo)
    result = scan(demo, build_config({}, None, {}))
    html = render_html(result).replace(
        "<head>", "<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">", 1)
    report = artifacts / "demo-report-csp.html"
    report.write_text(html, encoding="utf-8")
    browser.open(report)
    # The script did not run, so the filter form stays hidden and the server-rendered rows remain.
    assert browser.js("document.getElementById('filters').hidden") is True
    assert len(_rows(browser)) == min(len(result.findings), 200)
    # Charts are drawn with attributes, so they keep their colours without a stylesheet.
    fills = browser.js("Array.from(document.querySelectorAll('svg.chart rect'))"
                       ".map(r => getComputedStyle(r).fill).filter(f => f !== 'rgb(0, 0, 0)').length")
    assert fills > 0
    # The first finding's details open without any script.
    browser.js("document.querySelector('#findings-table tbody details').open = true")
    assert "Fix:" in browser.js("document.querySelector('#findings-table tbody details').textContent")
    browser.screenshot(artifacts / "demo-report-csp.png")
    blocked = [p for p in browser.problems() if "Content Security Policy" in p or "Content-Security-Policy" in p]
    assert blocked, "the policy should have blocked the inline script and style"
    assert not [p for p in browser.problems() if p.startswith("request:")]


def test_reports_read_at_desktop_and_phone_width(tmp_path, browser, artifacts):
    """At 1400 px the tables are tables; at 420 px every table is a list of labelled cards and
    nothing reaches past the screen's edge (no sideways scrolling), for the scan report and the
    team report."""
    from auditor.history.store import record_from_json
    from auditor.history.team import build_report, render_team_html
    from auditor.report.json_report import result_to_dict

    demo = tmp_path / "demo"
    build_demo(demo)
    result = scan(demo, build_config({}, None, {}))
    scan_report = artifacts / "demo-report.html"
    scan_report.write_text(render_html(result), encoding="utf-8")
    record = record_from_json(result_to_dict(result), repo="acme/churn", scanned_at=time.time())
    team_report = artifacts / "team-report.html"
    team_report.write_text(render_team_html(build_report({"acme/churn": [record]}, time.time() - 86400 * 30,
                                                         time.time(), "team report")), encoding="utf-8")
    for page, name in ((scan_report, "demo-report"), (team_report, "team-report")):
        browser.open(page)
        browser.screenshot(artifacts / f"{name}-1400.png", width=1400)
        assert browser.js("getComputedStyle(document.querySelector('table tbody tr')).display") == "table-row"
        browser.screenshot(artifacts / f"{name}-420.png", width=420)
        assert browser.overflowing() == [], name
        assert browser.js("document.documentElement.scrollWidth") <= 420, name
        assert browser.js("getComputedStyle(document.querySelector('table tbody tr')).display") == "block"
        smallest = browser.js("Math.min(...Array.from(document.querySelectorAll('svg.chart text'))"
                              ".map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))")
        assert smallest >= 11, f"{name}: chart text {smallest:.1f} px on a phone"
        labelled = browser.js("Array.from(document.querySelectorAll('tbody td'))"
                              ".filter(td => !td.hasAttribute('data-label')).length")
        assert labelled == 0, f"{name}: {labelled} cells without a column label"
        assert browser.problems() == [], name
