"""Fixtures for the page's browser tests: real `duibiao serve` processes on copies of a
library (port 0, so runs never collide), and one headless Chromium driven by Playwright.

The browser is Debian's chromium-headless-shell (never one Playwright downloads); its path
is $CHROMIUM, else /usr/bin/chromium-headless-shell. The binary under test is $DUIBIAO_BIN,
else target/release/duibiao; the library the tests copy is $DUIBIAO_TEST_LIBRARY, else the
shipped cases/. Every server started here is stopped at the end, also when a
test fails.
"""

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "target" / "browser-shots"
LIBRARY = Path(os.environ.get("DUIBIAO_TEST_LIBRARY", REPO / "cases"))
# The machine running these is often busy (2 cores, compilers beside us): give the page
# time rather than fail on a slow frame. Nothing here waits this long when all is well.
expect.set_options(timeout=10_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def duibiao_bin() -> Path:
    path = Path(os.environ.get("DUIBIAO_BIN", REPO / "target" / "release" / "duibiao"))
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.exit(f"no duibiao binary at {path}; build it or set DUIBIAO_BIN", returncode=3)
    return path


class Server:
    """One `duibiao serve` on its own copy of a library, with its own index folder."""

    def __init__(self, source: Path, workdir: Path):
        self.library = workdir / "library"
        self.index = workdir / "index"
        shutil.copytree(source, self.library)
        self.log = open(workdir / "stderr.txt", "w+b")
        # A session of its own, so stopping it stops exactly this server.
        self.proc = subprocess.Popen(
            [str(duibiao_bin()), "--library", str(self.library), "--index", str(self.index),
             "serve", "--addr", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True,
        )
        self.url = self._first_line(timeout=60).rstrip("/")
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"duibiao serve printed {self.url!r}; stderr: {self.stderr()}")

    def _first_line(self, timeout: float) -> str:
        fd = self.proc.stdout.fileno()
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
                self.stop()
                raise RuntimeError(f"duibiao serve gave no URL; stderr: {self.stderr()}")
            if select.select([fd], [], [], min(left, 0.5))[0]:
                chunk = os.read(fd, 1)
                if not chunk:
                    continue
                line += chunk
        return line.decode().strip()

    def stderr(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc.stdout.close()
        self.log.close()


@pytest.fixture(scope="session")
def shipped(tmp_path_factory):
    """The shipped library, copied, served for the tests that only read it."""
    s = Server(LIBRARY, tmp_path_factory.mktemp("shipped"))
    yield s
    s.stop()


@pytest.fixture
def mutable(tmp_path):
    """A fresh copy of the shipped library per test, for the tests that change it."""
    s = Server(LIBRARY, tmp_path)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def xss(tmp_path_factory):
    """The fixture library with a case full of hostile markup."""
    s = Server(REPO / "tests" / "fixtures" / "xss", tmp_path_factory.mktemp("xss"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    exe = os.environ.get("CHROMIUM", "/usr/bin/chromium-headless-shell")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page in a fresh context (no shared history or cache), 1280×800. Fails the test on
    any script error or console error the page produced (a CSP refusal shows as one)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture(scope="session", autouse=True)
def shots_dir():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
