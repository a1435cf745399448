"""Load every page of the built book in headless Chromium, offline.

Checks, per page: no JavaScript errors, no request leaves 127.0.0.1, every image
loaded, math typeset by the vendored MathJax. On a slider page, moving a slider
must change the displayed frame. Screenshots go to ``_build/screenshots/``.

Skipped, with the reason, where Chromium or Playwright is missing; ``.ci/run``
installs Debian's ``chromium``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.book, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="module")
def server(built_book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # silence the access log
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_book))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def pages(built_book: Path) -> list[str]:
    out = sorted(str(p.relative_to(built_book)) for p in (built_book / "book").glob("*.html"))
    return out


def open_page(browser, url: str):
    """Open ``url``; record JS errors and any request that leaves 127.0.0.1."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"JS error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None,
    )

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith("data:") or host == "127.0.0.1":
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    return page, problems


def test_index_leads_to_the_introduction(built_book, server, browser):
    page, problems = open_page(browser, f"{server}/index.html")
    page.wait_for_url("**/book/intro.html", timeout=10000)
    assert "state space" in page.title().lower()
    page.close()
    assert not problems, problems


def test_every_page_loads_offline_without_errors(built_book, server, browser):
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    failures = []
    for rel in pages(built_book):
        page, problems = open_page(browser, f"{server}/{rel}")
        # math: wait for the vendored MathJax to finish typesetting
        has_math = page.evaluate("document.querySelectorAll('.math').length > 0")
        if has_math:
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
            page.evaluate("MathJax.startup.promise")
            n = page.evaluate("document.querySelectorAll('mjx-container').length")
            if n == 0:
                problems.append("math present but nothing typeset")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src.slice(0, 80))"
        )
        problems += [f"image not loaded: {b}" for b in broken]
        page.screenshot(path=str(shots / (rel.replace("/", "_") + ".png")))
        page.close()
        failures += [f"{rel}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


def test_slider_changes_the_displayed_figure(built_book, server, browser):
    slider_pages = [
        rel for rel in pages(built_book) if 'class="ssm-explorer"' in (built_book / rel).read_text()
    ]
    assert slider_pages, "no page has a slider figure"
    page, problems = open_page(browser, f"{server}/{slider_pages[0]}")
    explorer = page.locator(".ssm-explorer").first
    explorer.scroll_into_view_if_needed()
    img = explorer.locator("img.ssm-frame")
    slider = explorer.locator("input.ssm-slider").first
    before_src, before_key = img.get_attribute("src"), img.get_attribute("data-frame")
    slider.focus()
    lo, hi = int(slider.get_attribute("min")), int(slider.get_attribute("max"))
    key = "ArrowLeft" if int(slider.input_value()) == hi else "ArrowRight"
    page.keyboard.press(key)
    after_src, after_key = img.get_attribute("src"), img.get_attribute("data-frame")
    assert hi > lo
    assert after_key != before_key and after_src != before_src, "moving the slider did not change the frame"
    explorer.screenshot(path=str(ROOT / "_build" / "screenshots" / "slider-moved.png"))
    assert not problems, problems


# Every display equation fits the content column at a 1280 px window (issue 10): the typeset
# math must not reach past the right edge of the article body, and no equation may need a
# horizontal scroll bar.
WIDE_EQUATIONS_JS = """
() => {
  const body = document.querySelector('article.bd-article') || document.querySelector('main');
  const right = body.getBoundingClientRect().right;
  const out = [];
  document.querySelectorAll('mjx-container[display="true"]').forEach((c, i) => {
    const m = c.querySelector('mjx-math') || c;
    const r = m.getBoundingClientRect();
    const box = c.closest('div.math') || c;
    const scrolls = box.scrollWidth > box.clientWidth + 2 || c.scrollWidth > c.clientWidth + 2;
    if (r.right > right + 2 || scrolls) {
      const id = (c.closest('[id]') || {}).id || '';
      out.push(`display #${i} (${id}): ${Math.round(r.width)} px wide, ends at ${Math.round(r.right)} > ${Math.round(right)}`);
    }
  });
  return out;
}
"""


def test_display_equations_fit_the_page(built_book, server, browser):
    failures = []
    for rel in pages(built_book):
        if 'class="math' not in (built_book / rel).read_text():
            continue
        page, _ = open_page(browser, f"{server}/{rel}")
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("MathJax.startup.promise")
        failures += [f"{rel}: {w}" for w in page.evaluate(WIDE_EQUATIONS_JS)]
        page.close()
    assert not failures, "equations wider than the page:\n" + "\n".join(failures)
