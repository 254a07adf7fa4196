"""The planners' page in a real headless browser, against real `duibiao serve` processes.

Each test drives the page as a person would (typing, clicking, the back button, the
keyboard, printing) and checks what it shows against the JSON API of the same server, so
no expected answer is written down here except properties the library guarantees (the
pocket-park cases are the ones about pocket parks; the task BAY-03 is in the plan).
Screenshots of every view go to target/browser-shots/; the README's one to
tests/browser/screenshot.png.
"""

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import REPO, SHOTS

POCKET = {"new-york-pocket-parks", "shanghai-pocket-parks"}
POCKET_Q = "口袋公园"
HITS = "ol#hits li.hit"


# ---- helpers ----

def api(page, server, path, **params):
    """The server's own answer, to compare the page with."""
    query = urlencode(params, doseq=True)
    res = page.request.get(f"{server.url}/api/{path}" + (f"?{query}" if query else ""))
    assert res.status == 200, (path, res.status, res.text())
    return res.json()


def hit_ids(page):
    return page.locator(f"{HITS} h3 a[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")


def shown_total(page):
    text = page.locator("#total").inner_text()
    m = re.search(r"(\d+)", text)
    assert m, text
    return int(m.group(1))


def params_of(url):
    return parse_qs(urlsplit(url).query)


def settle(page, server, q="", **filters):
    """Waits until the result list is the one the API gives for this query and filters."""
    want = api(page, server, "search", q=q, limit=20, **filters) if q else \
        api(page, server, "search", limit=20, **filters)
    ids = [h["id"] for h in want["hits"]]
    try:
        page.wait_for_function("""([ids, total]) => {
            const got = [...document.querySelectorAll('ol#hits li.hit h3 a[data-id]')].map((e) => e.dataset.id);
            const t = document.querySelector('#total');
            const n = t && t.textContent.match(/\\d+/);
            return n !== null && n[0] === String(total) && JSON.stringify(got) === JSON.stringify(ids);
        }""", arg=[ids, want["total"]], timeout=10_000)
    except Exception:
        total = page.locator("#total").all_inner_texts()
        raise AssertionError(f"page shows {hit_ids(page)} {total}, the API {ids} total {want['total']}") from None
    return want


def type_query(page, server, q):
    page.goto(server.url + "/")
    page.wait_for_selector(HITS)
    page.locator("#q").press_sequentially(q, delay=40)
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote_plus(q))))
    return settle(page, server, q)


def pick_country(page, server, country="美国"):
    """Search 口袋公园, then press a country facet; returns (before, after) API answers."""
    before = type_query(page, server, POCKET_Q)
    page.locator(f'aside.facets button[data-facet="country"][data-value="{country}"]').click()
    expect(page).to_have_url(re.compile("country="))
    after = settle(page, server, POCKET_Q, country=country)
    return before, after


def shot(page, name, full=True):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def case_body(library: Path, case_id: str) -> str:
    text = (library / f"{case_id}.md").read_text(encoding="utf-8")
    parts = re.split(r"^---\s*$", text, maxsplit=2, flags=re.M)
    assert len(parts) == 3, case_id
    return parts[2]


# ---- search ----

def test_typing_a_query_shows_a_pocket_park_case_first(page, shipped):
    want = type_query(page, shipped, POCKET_Q)
    first = hit_ids(page)[0]
    assert first in POCKET, first
    assert want["hits"][0]["id"] == first
    # The matched words are highlighted, as <mark>, never as the raw 【】 marks.
    snippet = page.locator(f"{HITS} .snippet").first
    expect(snippet.locator("mark").first).to_be_visible()
    assert "【" not in snippet.inner_text() and "】" not in snippet.inner_text()
    assert page.title().startswith(POCKET_Q)
    expect(page.locator("figure.map circle[data-city]")).to_have_count(
        len(api(page, shipped, "facets", q=POCKET_Q)["hits_by_city"]))
    shot(page, "search")
    # The README's screenshot: the same view at 1280×800, without the text cursor.
    page.evaluate("document.activeElement.blur()")
    page.screenshot(path=str(REPO / "tests" / "browser" / "screenshot.png"))


def test_partial_matches_are_marked_as_such(page, shipped):
    # No case is about pocket parks on Mars: the search falls back to cases with most words.
    q = "口袋公园 火星"
    want = type_query(page, shipped, q)
    assert want.get("relaxed") and want["hits"], want
    expect(page.locator(".summary .badge.partial")).to_be_visible()
    partial = [h["id"] for h in want["hits"] if h.get("partial")]
    marked = page.locator(f"{HITS} h3:has(.badge.partial) a[data-id]")
    expect(marked).to_have_count(len(partial))
    assert marked.evaluate_all("els => els.map(e => e.dataset.id)") == partial


def test_a_facet_narrows_results_and_goes_into_the_url(page, shipped):
    before, after = pick_country(page, shipped)
    assert after["total"] < before["total"]
    assert shown_total(page) == after["total"]
    for meta in page.locator(f"{HITS} .meta").all_inner_texts():
        assert "美国" in meta, meta
    button = page.locator('aside.facets button[data-facet="country"][data-value="美国"]')
    expect(button).to_have_attribute("aria-pressed", "true")
    assert params_of(page.url) == {"q": [POCKET_Q], "country": ["美国"]}
    chip = page.locator(".chips .chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("美国")
    # The facet counts follow the current results.
    facets = api(page, shipped, "facets", q=POCKET_Q, country="美国")
    expect(button.locator(".n")).to_have_text(str(facets["country"]["美国"]))
    shot(page, "search-facet")
    # The chip's × removes the filter again.
    chip.locator("button").click()
    expect(page.locator(".chips .chip")).to_have_count(0)
    settle(page, shipped, POCKET_Q)
    assert params_of(page.url) == {"q": [POCKET_Q]}


def test_loading_the_url_restores_the_same_state(page, browser, shipped):
    _, after = pick_country(page, shipped)
    url, ids = page.url, hit_ids(page)
    fresh = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = fresh.new_page()
        other.goto(url)
        expect(other.locator("#q")).to_have_value(POCKET_Q)
        expect(other.locator('aside.facets button[data-facet="country"][data-value="美国"]')) \
            .to_have_attribute("aria-pressed", "true")
        expect(other.locator('aside.facets button[aria-pressed="true"]')).to_have_count(1)
        expect(other.locator(".chips .chip")).to_contain_text("美国")
        expect(other.locator(f"{HITS} h3 a[data-id]")).to_have_count(len(ids))
        assert hit_ids(other) == ids
        assert shown_total(other) == after["total"]
    finally:
        fresh.close()


def test_the_back_button_returns_to_the_previous_state(page, shipped):
    before, _ = pick_country(page, shipped)
    page.go_back()
    expect(page).not_to_have_url(re.compile("country="))
    settle(page, shipped, POCKET_Q)
    assert hit_ids(page) == [h["id"] for h in before["hits"]]
    expect(page.locator('aside.facets button[aria-pressed="true"]')).to_have_count(0)
    expect(page.locator(".chips .chip")).to_have_count(0)
    expect(page.locator("#q")).to_have_value(POCKET_Q)
    page.go_forward()
    settle(page, shipped, POCKET_Q, country="美国")
    # Back from a case page lands on the list it was opened from.
    page.locator(f"{HITS} h3 a[data-id]").first.click()
    expect(page.locator("article.case h1")).to_be_visible()
    page.go_back()
    settle(page, shipped, POCKET_Q, country="美国")


def test_a_map_dot_filters_by_its_city(page, shipped):
    page.goto(shipped.url + "/")
    settle(page, shipped)
    dot = page.locator('figure.map circle[data-city="纽约"]')
    dot.click()
    expect(page).to_have_url(re.compile("city="))
    assert params_of(page.url) == {"city": ["纽约"]}
    want = settle(page, shipped, city="纽约")
    assert want["total"] >= 1
    for meta in page.locator(f"{HITS} .meta").all_inner_texts():
        assert "纽约" in meta, meta
    expect(page.locator('aside.facets button[data-facet="city"][data-value="纽约"]')) \
        .to_have_attribute("aria-pressed", "true")
    # The dots follow the results: the chosen city is marked, and only cities with hits remain.
    expect(page.locator('figure.map circle[data-city="纽约"]')).to_have_class("on")
    cities = api(page, shipped, "facets", city="纽约")["hits_by_city"]
    expect(page.locator("figure.map circle[data-city]")).to_have_count(len(cities))
    shot(page, "search-map-city")


def test_search_results_page_through_and_export(page, shipped, tmp_path):
    page.goto(shipped.url + "/")
    all_cases = settle(page, shipped)
    assert all_cases["total"] > 20
    page.locator('nav.pager a[rel="next"]').click()
    expect(page).to_have_url(re.compile("page=2"))
    expect(page.locator("ol#hits")).to_have_attribute("start", "21")
    want = api(page, shipped, "search", limit=40)
    expect(page.locator(f"{HITS} h3 a[data-id]")).to_have_count(len(want["hits"][20:40]))
    assert hit_ids(page) == [h["id"] for h in want["hits"][20:40]]

    type_query(page, shipped, POCKET_Q)
    with page.expect_download() as d:
        page.get_by_role("button", name="导出 CSV").click()
    csv_path = tmp_path / "r.csv"
    d.value.save_as(csv_path)
    rows = csv_path.read_text(encoding="utf-8-sig").strip().splitlines()
    assert rows[0].startswith("id,title,")
    total = api(page, shipped, "search", q=POCKET_Q, limit=1)["total"]
    assert len(rows) == 1 + total
    with page.expect_download() as d:
        page.get_by_role("button", name="导出 JSON").click()
    json_path = tmp_path / "r.json"
    d.value.save_as(json_path)
    exported = json.loads(json_path.read_text(encoding="utf-8"))
    assert exported == api(page, shipped, "search", q=POCKET_Q, limit=total)


# ---- the case page ----

def test_a_case_page_renders_markdown_and_links_its_sources(page, shipped):
    # A case whose Markdown has headings, list items and bold text (read from the copy, so
    # the test follows whatever the case files say).
    def shape(case_id):
        body = case_body(shipped.library, case_id)
        return (len(re.findall(r"^## ", body, re.M)), len(re.findall(r"^\s*(?:[-*+]|\d+\.) \S", body, re.M)),
                "**" in body)
    candidates = ["new-york-pocket-parks"] + sorted(p.stem for p in shipped.library.glob("*.md"))
    case_id = next(c for c in candidates if all(shape(c)))
    headings, items, _ = shape(case_id)
    case = api(page, shipped, f"cases/{case_id}")

    page.goto(f"{shipped.url}/cases/{case_id}")
    article = page.locator("article.case")
    expect(article.locator("h1")).to_have_text(case["title"])
    body = article.locator(".body")
    expect(body.locator("h2")).to_have_count(headings)
    assert body.locator("li").count() >= items
    assert body.locator("strong").count() >= 1
    assert "**" not in body.inner_text() and "## " not in body.inner_text()
    assert page.title().startswith(case["title"])

    hrefs = article.locator("ol.sources a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    linked = [s["url"] for s in case["sources"] if s.get("url")]
    assert hrefs == linked and hrefs
    for h in hrefs:
        assert re.match(r"https?://", h), h
    if case_id == "new-york-pocket-parks":
        assert any(h.startswith("https://") for h in hrefs)
    similar = api(page, shipped, f"cases/{case_id}/similar", limit=5)
    expect(article.locator("ol.hits li.hit")).to_have_count(len(similar["hits"]))
    if case.get("checked"):
        expect(article.locator("dl.facts")).to_contain_text(case["checked"][:4])
    shot(page, "case")

    # Its places and topics are links to filtered searches.
    city = case["cities"][0]
    article.locator("dl.facts a", has_text=city).first.click()
    expect(page).to_have_url(re.compile("city="))
    assert params_of(page.url) == {"city": [city]}
    settle(page, shipped, city=city)


def test_bad_addresses_show_the_servers_message(page, shipped):
    # A mistyped case id: the API's 404 with its closest ids, shown on the page.
    page.goto(shipped.url + "/cases/new-york-pocket-park")
    error = page.locator("main .error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("new-york-pocket-parks")
    # An unknown filter value in a shared link: the CLI's message with the closest names.
    page.goto(shipped.url + "/?" + urlencode({"city": "纽约市"}))
    res = page.request.get(shipped.url + "/api/search?" + urlencode({"city": "纽约市"}))
    assert res.status == 400
    expect(page.locator("main .error")).to_contain_text(res.json()["error"][:20])
    if res.json()["suggestions"]:
        expect(page.locator("main .error")).to_contain_text(res.json()["suggestions"][0])
    # The page asked for those on purpose; the browser logs each refused request.
    page.errors[:] = [e for e in page.errors if "status of 40" not in e]


# ---- tasks, briefs, stats ----

def test_tasks_and_a_task_page(page, shipped):
    rows = api(page, shipped, "tasks")
    page.goto(shipped.url + "/tasks")
    expect(page.locator(".task-row")).to_have_count(len(rows))
    expect(page.locator(".task-row.none")).to_have_count(sum(1 for r in rows if not r["cases"]))
    expect(page.locator('.views a[aria-current="page"]')).to_have_attribute("data-view", "tasks")
    shot(page, "tasks")
    page.locator('.task-row[data-task="BAY-03"] a').click()
    view = api(page, shipped, "tasks/BAY-03")
    expect(page.locator("article.task h1")).to_contain_text("BAY-03")
    linked = page.locator("article.task ol.hits").first.locator("li.hit h3 a[data-id]")
    expect(linked).to_have_count(len(view["linked"]))
    assert linked.evaluate_all("els => els.map(e => e.dataset.id)") == [h["id"] for h in view["linked"]]
    shot(page, "task")


def test_the_task_brief_lays_out_for_print(page, shipped):
    view = api(page, shipped, "tasks/BAY-03")
    ids = [h["id"] for h in (view["linked"] or view["suggested"])]
    page.goto(shipped.url + "/tasks/BAY-03/brief")
    brief = page.locator("article.brief")
    expect(brief.locator("section.case-brief")).to_have_count(len(ids))
    assert brief.locator("section.case-brief").evaluate_all("els => els.map(e => e.dataset.id)") == ids
    expect(brief.locator("h1")).to_contain_text("BAY-03")
    for section in brief.locator("section.case-brief").all():
        heads = section.locator("h3").all_inner_texts()
        assert "来源" in heads and len(heads) >= 2, heads
    shot(page, "brief")

    page.emulate_media(media="print")
    for chrome in ["header.top", "nav.views", ".print-bar", "footer.foot", "#q"]:
        expect(page.locator(chrome)).to_be_hidden()
    expect(brief).to_be_visible()
    # A source's address is printed after its title, since a printed link cannot be clicked.
    first_src = brief.locator("ol.sources a").first
    after = first_src.evaluate("a => getComputedStyle(a, '::after').content")
    assert first_src.get_attribute("href") in after, after
    shot(page, "brief-print")
    pdf = page.pdf(format="A4")
    (SHOTS / "brief.pdf").write_bytes(pdf)
    assert len(pdf) > 0 and pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 1, pages
    # A4 is 595×842 points.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes
    page.emulate_media(media="screen")


def test_a_brief_of_the_result_list(page, shipped):
    type_query(page, shipped, POCKET_Q)
    page.locator(".summary a", has_text="生成简报").click()
    expect(page).to_have_url(re.compile(r"/brief\?q="))
    want = api(page, shipped, "search", q=POCKET_Q, limit=20)
    expect(page.locator("article.brief section.case-brief")).to_have_count(len(want["hits"]))
    expect(page.locator("article.brief h1")).to_contain_text(POCKET_Q)


def test_stats_are_bar_charts(page, shipped):
    s = api(page, shipped, "stats")
    page.goto(shipped.url + "/stats")
    expect(page.locator("main h1")).to_be_visible()
    lists = page.locator("ul.bars")
    expect(lists.nth(0).locator("li")).to_have_count(len(s["by_positioning"]))
    expect(lists.nth(1).locator("li")).to_have_count(len(s["by_country"]))
    widths = lists.nth(1).locator(".bar").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0
    shot(page, "stats")


# ---- hostile text ----

HOSTILE = "script, img, iframe, object, embed, svg, style, link, base, form"
NO_ACTIVE = """root => {
  const bad = [];
  for (const e of root.querySelectorAll('*')) {
    for (const a of e.attributes) {
      if (a.name.startsWith('on')) bad.push(e.tagName + '@' + a.name);
      if (/^\\s*(javascript|data|vbscript):/i.test(a.value)) bad.push(e.tagName + '@' + a.name + '=' + a.value);
    }
  }
  return bad;
}"""


def assert_inert(page, scope):
    root = page.locator(scope).first
    expect(root).to_be_visible()
    assert root.locator(HOSTILE).count() == 0, root.inner_html()
    assert root.evaluate(NO_ACTIVE) == []
    for a in root.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert re.match(r"(https?://|mailto:|/)", a), a
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.scripts.length") == 1  # app.js only


def test_hostile_case_text_is_shown_as_text(page, xss):
    page.goto(xss.url + "/cases/hostile-markup")
    article = page.locator("article.case")
    expect(article.locator("h1")).to_contain_text('恶意标记测试<script>alert("title")</script>')
    expect(article.locator(".en")).to_have_text("<img src=x onerror=alert('title_en')>")
    text = article.inner_text()
    for raw in ['<script>window.__xss = "body";</script>', '<img src=x onerror="window.__xss=\'img\'">',
                '<iframe src="javascript:alert(1)"></iframe>', "<div onclick=", "<b>标签</b>",
                "<script>alert('source')</script>来源"]:
        assert raw in text, raw
    # The javascript: links are kept as their words, not as links.
    expect(article.locator(".body a")).to_have_count(0)
    assert "点这里" in text and "大写脚本链接" in text
    expect(article.locator(".body strong")).to_contain_text(POCKET_Q)
    assert_inert(page, "article.case")
    shot(page, "xss-case")

    type_query(page, xss, POCKET_Q)
    assert "hostile-markup" in hit_ids(page)
    expect(page.locator(f'{HITS} a[data-id="hostile-markup"]')).to_contain_text("<script>")
    assert_inert(page, "ol#hits")
    assert_inert(page, "aside.facets")
    shot(page, "xss-search")

    page.goto(xss.url + "/tasks/BAY-03/brief")
    expect(page.locator('article.brief section.case-brief[data-id="hostile-markup"]')).to_be_visible()
    assert_inert(page, "article.brief")
    time.sleep(0.3)  # let any deferred handler that could have slipped through run
    assert page.evaluate("typeof window.__xss") == "undefined"


# ---- keyboard and small screens ----

def test_keyboard_slash_focuses_search_and_enter_opens_first_hit(page, shipped):
    page.goto(shipped.url + "/")
    settle(page, shipped)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    expect(page.locator("#q")).to_have_value("")
    page.keyboard.type(POCKET_Q)
    page.keyboard.press("Enter")
    first = api(page, shipped, "search", q=POCKET_Q, limit=1)["hits"][0]["id"]
    assert first in POCKET
    expect(page).to_have_url(re.compile(r"/cases/" + re.escape(first)))
    expect(page.locator("article.case")).to_have_attribute("data-id", first)
    # The case has the focus now, as when a link opened it; `/` brings the box back, and a
    # `/` typed in the box stays a character.
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("End")
    page.keyboard.type("/")
    expect(page.locator("#q")).to_have_value(POCKET_Q + "/")
    # Tab from the box reaches the views' links: the focus order follows the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav.views') !== null")


NARROW = {
    "search": ("/?q=%E5%8F%A3%E8%A2%8B%E5%85%AC%E5%9B%AD&country=%E4%B8%AD%E5%9B%BD", HITS),
    "case": ("/cases/new-york-pocket-parks", "article.case ol.sources li"),
    "brief": ("/tasks/BAY-03/brief", "article.brief section.case-brief"),
    "tasks": ("/tasks", ".task-row"),
    "stats": ("/stats", "ul.bars li"),
}


@pytest.mark.parametrize("view", list(NARROW))
def test_no_horizontal_scroll_at_375_px(browser, shipped, view):
    path, ready = NARROW[view]
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(shipped.url + path)
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 376)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
        assert width <= 375, (width, wide)
        page.screenshot(path=str(SHOTS / f"narrow-{view}.png"), full_page=True)
    finally:
        context.close()


# ---- the library changing under the page ----

BROKEN = "---\nid: zz-broken-case\ntitle: 缺少必填字段的案例\n---\n\n## 案例概述\n\n正文。\n"


def test_a_broken_library_shows_the_banner_and_search_still_answers(page, mutable):
    type_query(page, mutable, POCKET_Q)
    banner = page.locator("#banner")
    expect(banner).to_be_hidden()
    bad = mutable.library / "zz-broken-case.md"
    bad.write_text(BROKEN, encoding="utf-8")
    t0 = time.monotonic()
    expect(banner).to_be_visible(timeout=8_000)
    shown_after = time.monotonic() - t0
    expect(banner).to_contain_text("zz-broken-case")
    assert shown_after < 8, shown_after
    # The last good index keeps answering, the page as well as the API.
    page.locator("#q").fill("公园")
    settle(page, mutable, "公园")
    assert api(page, mutable, "search", q=POCKET_Q)["hits"][0]["id"] in POCKET
    shot(page, "banner", full=False)
    # The problem names a long path: on a phone it wraps instead of widening the page.
    page.set_viewport_size({"width": 375, "height": 740})
    expect(banner).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 800})
    bad.unlink()
    expect(banner).to_be_hidden(timeout=8_000)


def test_an_edited_title_reaches_the_open_page(page, mutable):
    type_query(page, mutable, POCKET_Q)
    gen = api(page, mutable, "status")["generation"]
    path = mutable.library / "new-york-pocket-parks.md"
    text = path.read_text(encoding="utf-8")
    new_title = "纽约口袋公园（浏览器测试改过的标题）"
    text, n = re.subn(r"^title: .*$", f"title: {new_title}", text, count=1, flags=re.M)
    assert n == 1
    path.write_text(text, encoding="utf-8")
    # No reload: the page notices the new generation and draws the list again.
    expect(page.locator(f'{HITS} a[data-id="new-york-pocket-parks"]')).to_have_text(new_title, timeout=8_000)
    assert api(page, mutable, "status")["generation"] != gen
    assert api(page, mutable, "cases/new-york-pocket-parks")["title"] == new_title


# ---- the first load ----

def test_first_load_is_offline_and_its_weight_is_recorded(browser, shipped):
    """Every request of the first load goes to the server itself (the page works with no
    internet), and its weight is written to target/browser-shots/page-weight.txt."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        seen = []
        page.on("requestfinished", lambda r: seen.append(r))
        page.goto(shipped.url + "/")
        expect(page.locator(HITS).first).to_be_visible()
        expect(page.locator("figure.map circle[data-city]").first).to_be_attached()
        page.wait_for_load_state("networkidle")
        rows = []
        for r in seen:
            assert r.url.startswith(shipped.url + "/"), r.url
            res = r.response()
            rows.append((len(res.body()), r.sizes()["responseHeadersSize"], urlsplit(r.url).path,
                         res.headers.get("content-encoding", "")))
        paths = {p for _, _, p, _ in rows}
        assert {"/", "/assets/app.js", "/assets/app.css", "/assets/world.svg", "/api/search"} <= paths, paths
        body = sum(b for b, _, _, _ in rows)
        lines = [f"{b / 1024:8.1f} KB  {p}" + (f" ({enc})" if enc else "") for b, _, p, enc in sorted(rows, reverse=True)]
        lines.append(f"{body / 1024:8.1f} KB  in all, {len(rows)} requests "
                     f"(+{sum(h for _, h, _, _ in rows) / 1024:.1f} KB of headers)")
        (SHOTS / "page-weight.txt").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        assert body < 1024 * 1024, lines  # a budget: the page is plain HTML, CSS and JS
    finally:
        context.close()
