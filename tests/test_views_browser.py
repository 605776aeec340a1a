"""The views in a real headless Chromium: offline, no console errors, every node drawn,
sources on hover/select, hostile labels inert, and something visible on screen.

Chromium is the Debian package (/usr/bin/chromium, see scripts/install-test-deps.sh) driven by
Playwright's Python package; `playwright install` is never used.
"""
from __future__ import annotations

import io
import shutil
import os
from pathlib import Path

import pytest

from test_views import SAMPLE_TTL  # the shared small graph (tests/ is on sys.path)
from titp_graph import TitpGraph
from titp_graph.views import base, chain, country, fees, institutions

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    # in CI a missing browser is a failure: the browser tests must really run there
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install-test-deps.sh")
    pytest.skip(f"{CHROMIUM} is missing: run scripts/install-test-deps.sh (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (see scripts/install-test-deps.sh)")

#: view -> (expected nodes, expected edges, a node that has a source, that source's title)
EXPECTED = {
    "institutions": (13, 18, "https://w3id.org/titp-graph/concept/program/titp",
                     "Act on Employment for Skill Development (test copy)"),
    "chain": (7, 7, None, "Law 69/2020/QH14"),
    "country": (8, 8, "https://w3id.org/titp-graph/id/country/VN", "Law 69/2020/QH14"),
    "fees": (6, 4, None, "Law 69/2020/QH14"),
}


@pytest.fixture(scope="module")
def view_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser-views")
    (folder / "sample.ttl").write_text(SAMPLE_TTL, encoding="utf-8")
    graph = TitpGraph()
    graph.load_path(folder / "sample.ttl")
    views = {"institutions": institutions.build(graph),
             "chain": chain.build(graph, "syn:supervising-organization/s1", depth=2),
             "country": country.build(graph, "VN"), "fees": fees.build(graph)}
    return {kind: base.write(view, folder / f"{kind}.html") for kind, view in views.items()}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


def open_view(browser, path: Path):
    """Open a view; returns (page, requests that were not the page, console errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    url = path.resolve().as_uri()
    foreign, errors = [], []

    def guard(route):
        if route.request.url == url:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=15000)
    return page, foreign, errors


def distinct_colours(png: bytes) -> int:
    try:
        from PIL import Image
    except ImportError:  # fall back: a blank PNG compresses to almost nothing
        return len(set(png)) if len(png) > 20000 else 1
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 24))


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_view_in_chromium(browser, view_files, kind, tmp_path):
    nodes, edges, sourced_node, source_title = EXPECTED[kind]
    page, foreign, errors = open_view(browser, view_files[kind])
    try:
        assert foreign == [], f"{kind}: the page asked the network for {foreign}"
        assert errors == [], f"{kind}: console errors {errors}"
        assert page.evaluate("window.titpView.nodes.length") == nodes
        assert page.evaluate("window.titpView.edges.length") == edges
        assert page.evaluate("window.titpView.network.body.nodeIndices.length") == nodes

        if sourced_node:
            # hover the node with the real mouse: the vis tooltip shows its source
            x, y = page.evaluate("""id => { const n = window.titpView.network;
                const p = n.canvasToDOM(n.getPosition(id)); const r = document.getElementById('graph')
                .getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", sourced_node)
            page.mouse.move(x - 30, y - 30)
            page.mouse.move(x, y, steps=4)
            page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
            assert source_title in page.inner_text("div.vis-tooltip")
            # and selecting it from the menu fills the details panel
            page.select_option("#node-select", sourced_node)
            assert source_title in page.inner_text("#details")
            assert page.evaluate("window.titpView.network.getSelectedNodes()") == [sourced_node]
        else:
            # the source sits on a hop: click the sourced edge, between two columns
            x, y = page.evaluate("""title => { const v = window.titpView, n = v.network;
                const e = v.edges.get().find(e => e.title.textContent.includes(title));
                const a = n.getPosition(e.from), b = n.getPosition(e.to);
                const p = n.canvasToDOM({x: a.x + (b.x - a.x) * 0.3, y: a.y + (b.y - a.y) * 0.3});
                const r = document.getElementById('graph').getBoundingClientRect();
                return [r.left + p.x, r.top + p.y]; }""", source_title)
            page.mouse.click(x, y)
            assert source_title in page.inner_text("#details")

        # hostile labels: shown as text in the menu, never run
        page.fill("#node-search", "onerror")
        options = page.eval_on_selector_all("#node-select option", "os => os.map(o => o.textContent)")
        assert any("<img src=x onerror=window.__pwned=1>" in o for o in options), options
        page.select_option("#node-select", index=1)
        assert "<img src=x onerror" in page.inner_text("#details")
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"

        # the Japanese toggle relabels nodes that have a Japanese label
        page.click("#lang-toggle")
        if kind == "institutions":
            assert page.evaluate(f"window.titpView.nodes.get('{EXPECTED['institutions'][2]}').label") == "技能実習制度"

        png = page.screenshot(path=str(tmp_path / f"{kind}.png"))
        assert distinct_colours(png) > 20, f"{kind}: the screenshot looks blank"
        assert errors == [] and foreign == []
    finally:
        page.close()


def test_hostile_script_label_cannot_break_out(browser, view_files):
    page, foreign, errors = open_view(browser, view_files["institutions"])
    try:
        assert page.evaluate("document.scripts.length") == 3
        labels = page.evaluate("window.titpView.nodes.get().map(n => n.label)")
        assert "</script><script>window.__pwned=1</script>" in labels
        assert page.evaluate("typeof window.__pwned") == "undefined" and errors == [] and foreign == []
    finally:
        page.close()
