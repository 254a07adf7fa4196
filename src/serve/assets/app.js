// duibiao's page: every view is drawn from the address (path and query), so a link is the
// state — query, filters, page, open case — and the back button walks through it. Case
// text reaches the page only as text (textContent) or as HTML the server has made safe
// (/api/cases/ID/html); snippets are escaped here before their 【】 marks become <mark>.
"use strict";

const PAGE = 20;
const FACETS = [
  ["positioning", "城市定位"],
  ["country", "国家和地区"],
  ["city", "城市"],
  ["topic", "主题"],
  ["task", "任务"],
];
const FACET_SHOWN = 8;
const MAP = { top: 84, width: 360, height: 142 };

const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $("#main");

// ---- small DOM helpers: text is always set as text ----
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// A snippet's 【…】 marks the matched text: escape everything, then turn the marks into <mark>.
function snippetNode(snippet) {
  const p = el("p", { class: "snippet" });
  p.innerHTML = escapeHtml(snippet).replace(/【/g, "<mark>").replace(/】/g, "</mark>");
  return p;
}

function safeUrl(u) {
  return /^(https?:\/\/|mailto:)/i.test((u || "").trim());
}

// ---- the address as state ----
function readState() {
  const url = new URL(location.href);
  const p = url.searchParams;
  const state = { q: p.get("q") || "", page: Math.max(1, parseInt(p.get("page") || "1", 10) || 1), filters: {} };
  for (const [key] of FACETS) state.filters[key] = p.getAll(key).filter((v) => v.trim() !== "");
  return state;
}

function query(state, extra = {}) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  for (const [key] of FACETS) for (const v of state.filters[key] || []) p.append(key, v);
  if (state.page > 1) p.set("page", String(state.page));
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  const s = p.toString();
  return s ? "?" + s : "";
}

function go(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render();
}

function searchHref(state) {
  return "/" + query(state);
}

// ---- the API ----
class ApiError extends Error {
  constructor(message, suggestions, status) {
    super(message);
    this.suggestions = suggestions || [];
    this.status = status;
  }
}

async function api(path, params) {
  const res = await fetch("/api/" + path + (params || ""), { headers: { Accept: "application/json" } });
  let body;
  try {
    body = await res.json();
  } catch (_) {
    throw new ApiError("服务器的回答无法读取（HTTP " + res.status + "）", [], res.status);
  }
  if (!res.ok) throw new ApiError(body.error || "HTTP " + res.status, body.suggestions, res.status);
  return body;
}

function apiParams(state, extra) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  for (const [key] of FACETS) for (const v of state.filters[key] || []) p.append(key, v);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, String(v));
  return "?" + p.toString();
}

function errorBox(e) {
  const box = el("div", { class: "error", role: "alert" }, e.message);
  if (e.suggestions && e.suggestions.length) box.append(el("div", {}, "可能是：" + e.suggestions.join("、")));
  return box;
}

// ---- shared pieces ----
let placesCache = null;
async function places() {
  if (!placesCache) placesCache = await api("places");
  return placesCache;
}

function filterLink(key, value, label) {
  const state = { q: "", page: 1, filters: { [key]: [value] } };
  return el("a", { href: searchHref(state), "data-nav": true }, label || value);
}

function metaLine(h) {
  const parts = [];
  if (h.cities.length) parts.push(h.cities.join("、"));
  parts.push(h.countries.join("、"));
  parts.push(h.positioning.join("、"));
  if (h.tasks.length) parts.push("任务 " + h.tasks.join(" "));
  return el("div", { class: "meta" }, parts.join(" · "));
}

function hitItem(h, state) {
  const href = "/cases/" + encodeURIComponent(h.id) + query(state || { q: "", page: 1, filters: {} });
  return el(
    "li",
    { class: "hit" },
    el("h3", {}, el("a", { href, "data-nav": true, "data-id": h.id }, h.title),
      h.partial ? el("span", { class: "badge partial", title: "含查询的大部分词，而非全部" }, "部分匹配") : null),
    metaLine(h),
    h.snippet ? snippetNode(h.snippet) : null,
  );
}

function download(name, type, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function csvCell(v) {
  const s = Array.isArray(v) ? v.join("; ") : String(v ?? "");
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function exportResults(state, kind) {
  const first = await api("search", apiParams(state, { limit: 1 }));
  const all = await api("search", apiParams(state, { limit: Math.max(1, first.total) }));
  if (kind === "json") {
    download("duibiao-results.json", "application/json", JSON.stringify(all, null, 2));
    return;
  }
  const cols = ["id", "title", "cities", "countries", "positioning", "topics", "tasks", "score", "partial"];
  const lines = [cols.join(",")];
  for (const h of all.hits) lines.push(cols.map((c) => csvCell(c === "partial" ? !!h.partial : h[c])).join(","));
  // A byte-order mark lets spreadsheet programs read the Chinese text as UTF-8.
  download("duibiao-results.csv", "text/csv;charset=utf-8", "\ufeff" + lines.join("\r\n") + "\r\n");
}

// ---- the map ----
function mapNode(cities, counts, chosen, onPick) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${MAP.width} ${MAP.height}`);
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "案例城市示意图：点击城市按城市筛选");
  const land = document.createElementNS(NS, "image");
  land.setAttribute("href", "/assets/world.svg");
  land.setAttribute("width", MAP.width);
  land.setAttribute("height", MAP.height);
  svg.append(land);
  const shown = cities.filter((c) => counts[c.name]).sort((a, b) => counts[b.name] - counts[a.name]);
  for (const c of shown) {
    const n = counts[c.name];
    const dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", (c.lon + 180).toFixed(2));
    dot.setAttribute("cy", (MAP.top - c.lat).toFixed(2));
    dot.setAttribute("r", (1.2 + Math.sqrt(n) * 1.1).toFixed(2));
    dot.setAttribute("tabindex", "0");
    dot.setAttribute("role", "button");
    dot.setAttribute("data-city", c.name);
    dot.setAttribute("aria-label", `${c.name}（${c.en}）：${n} 个案例`);
    if (chosen.includes(c.name)) dot.setAttribute("class", "on");
    const title = document.createElementNS(NS, "title");
    title.textContent = `${c.name} ${c.en} · ${n} 个案例`;
    dot.append(title);
    dot.addEventListener("click", () => onPick(c.name));
    dot.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(c.name); } });
    svg.append(dot);
  }
  return el("figure", { class: "map", "aria-label": "示意图" }, svg, el("span", { class: "label" }, "示意图 · 点的大小表示案例数"));
}

// ---- views ----
let searchSeq = 0;
const facetOpen = new Map();

async function viewSearch() {
  const state = readState();
  const seq = ++searchSeq;
  const q = $("#q");
  if (document.activeElement !== q) q.value = state.q;
  let results, facets, pl;
  try {
    [results, facets, pl] = await Promise.all([
      api("search", apiParams(state, { limit: state.page * PAGE })),
      api("facets", apiParams(state)),
      places(),
    ]);
  } catch (e) {
    if (seq === searchSeq) main().replaceChildren(errorBox(e));
    return;
  }
  if (seq !== searchSeq) return; // a newer keystroke's answer is on its way
  document.title = (state.q ? state.q + " · " : "") + "对标 · 国际化+ 案例库";

  const toggle = (key, value) => {
    const next = structuredClone(state);
    const list = next.filters[key];
    const i = list.indexOf(value);
    if (i >= 0) list.splice(i, 1);
    else list.push(value);
    next.page = 1;
    go(searchHref(next));
  };

  const facetBox = el("aside", { class: "facets", "aria-label": "筛选" });
  const narrow = window.matchMedia("(max-width: 760px)").matches;
  for (const [key, label] of FACETS) {
    const counts = facets[key] || {};
    const chosen = state.filters[key];
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "zh"));
    for (const v of chosen) if (!(v in counts)) entries.unshift([v, 0]);
    if (!entries.length) continue;
    const list = el("ul");
    entries.forEach(([v, n], i) => {
      const on = chosen.includes(v);
      list.append(el("li", { hidden: i >= FACET_SHOWN && !on ? true : null },
        el("button", { type: "button", "aria-pressed": on ? "true" : "false", "data-facet": key, "data-value": v,
          onclick: () => toggle(key, v) }, el("span", {}, v), el("span", { class: "n" }, String(n)))));
    });
    // On a phone the facets come before the results: only those in use start open there.
    // A facet the reader opened or closed stays so while the results are redrawn.
    const open = chosen.length || (facetOpen.has(key) ? facetOpen.get(key) : !narrow && key !== "topic" && key !== "task");
    const details = el("details", { open: open ? true : null },
      el("summary", {}, label), list);
    details.addEventListener("toggle", () => facetOpen.set(key, details.open));
    if (entries.length > FACET_SHOWN) {
      details.append(el("button", { type: "button", class: "more", onclick: (e) => {
        for (const li of list.children) li.hidden = false;
        e.target.remove();
      } }, `显示全部 ${entries.length} 项`));
    }
    facetBox.append(details);
  }

  const chips = el("div", { class: "chips", "aria-label": "已选筛选" });
  for (const [key, label] of FACETS) {
    for (const v of state.filters[key]) {
      chips.append(el("span", { class: "chip" }, `${label}：${v}`,
        el("button", { type: "button", "aria-label": `移除筛选 ${v}`, title: "移除", onclick: () => toggle(key, v) }, "×")));
    }
  }

  const shown = results.hits.slice((state.page - 1) * PAGE);
  const summary = el("div", { class: "summary" },
    el("span", { class: "count", id: "total" }, `共 ${results.total} 个案例`),
    results.relaxed ? el("span", { class: "badge partial" }, "含部分匹配") : null,
    el("span", { class: "tools no-print" },
      el("button", { type: "button", class: "btn", onclick: () => exportResults(state, "csv") }, "导出 CSV"),
      el("button", { type: "button", class: "btn", onclick: () => exportResults(state, "json") }, "导出 JSON"),
      el("a", { class: "btn", href: "/brief" + query({ ...state, page: 1 }), "data-nav": true }, "生成简报")));

  const list = el("ol", { class: "hits", id: "hits", start: String((state.page - 1) * PAGE + 1) });
  for (const h of shown) list.append(hitItem(h, state));
  const content = [summary];
  if (chips.childElementCount) content.unshift(chips);
  content.push(mapNode(pl.cities, facets.hits_by_city || {}, state.filters.city, (c) => toggle("city", c)));
  if (!shown.length) {
    content.push(el("p", { class: "empty-state" }, state.q ? `没有找到含“${state.q}”的案例。试试更短的词，或去掉一些筛选。` : "没有符合这些筛选的案例。"));
  } else content.push(list);
  const pages = Math.ceil(results.total / PAGE);
  if (pages > 1) {
    const at = (n) => searchHref({ ...state, page: n });
    content.push(el("nav", { class: "pager", "aria-label": "翻页" },
      state.page > 1 ? el("a", { class: "btn", href: at(state.page - 1), "data-nav": true, rel: "prev" }, "上一页") : null,
      el("span", {}, `第 ${state.page} / ${pages} 页`),
      state.page < pages ? el("a", { class: "btn", href: at(state.page + 1), "data-nav": true, rel: "next" }, "下一页") : null));
  }
  main().replaceChildren(el("div", { class: "layout" }, facetBox, el("section", { "aria-label": "结果" }, ...content)));
}

function factsList(rows) {
  const dl = el("dl", { class: "facts" });
  for (const [label, value] of rows) {
    if (!value || (Array.isArray(value) && !value.length)) continue;
    dl.append(el("dt", {}, label), el("dd", {}, value));
  }
  return dl;
}

async function viewCase(id) {
  const state = readState();
  let c, body, similar;
  try {
    [c, body, similar] = await Promise.all([
      api("cases/" + encodeURIComponent(id)),
      api("cases/" + encodeURIComponent(id) + "/html"),
      api("cases/" + encodeURIComponent(id) + "/similar", "?limit=5"),
    ]);
  } catch (e) {
    main().replaceChildren(el("a", { class: "back", href: searchHref(state), "data-nav": true }, "← 返回检索"), errorBox(e));
    return;
  }
  document.title = c.title + " · 对标";
  const links = (key, values) => values.map((v) => filterLink(key, v));
  const bodyNode = el("div", { class: "body" });
  bodyNode.innerHTML = body.html; // rendered and made safe by the server (html.rs)
  const sources = el("ol", { class: "sources" });
  for (const s of c.sources) {
    sources.append(el("li", {}, safeUrl(s.url) ? el("a", { href: s.url, rel: "noopener noreferrer", target: "_blank" }, s.title) : s.title));
  }
  const sim = el("ol", { class: "hits" });
  for (const h of similar.hits) sim.append(hitItem(h));
  main().replaceChildren(
    el("a", { class: "back no-print", href: searchHref(state), "data-nav": true }, "← 返回检索结果"),
    el("article", { class: "case", "data-id": c.id },
      el("h1", {}, c.title),
      c.title_en ? el("p", { class: "en" }, c.title_en) : null,
      factsList([
        ["城市", links("city", c.cities)],
        ["国家和地区", links("country", c.countries)],
        ["城市定位", links("positioning", c.positioning)],
        ["主题", links("topic", c.topics)],
        ["对应任务", c.tasks.map((t) => el("a", { href: "/tasks/" + encodeURIComponent(t), "data-nav": true }, t))],
        ["时间", c.period],
        ["事实核实", c.checked ? c.checked.replace("-", " 年 ") + " 月" : null],
      ]),
      bodyNode,
      el("h2", {}, "来源"), sources,
      el("h2", {}, "相似案例"), sim.childElementCount ? sim : el("p", {}, "暂无")),
  );
}

async function viewTasks() {
  let rows;
  try {
    rows = await api("tasks");
  } catch (e) {
    main().replaceChildren(errorBox(e));
    return;
  }
  document.title = "任务 · 对标";
  const groups = new Map();
  for (const r of rows) {
    if (!groups.has(r.positioning)) groups.set(r.positioning, []);
    groups.get(r.positioning).push(r);
  }
  const none = rows.filter((r) => !r.cases.length).length;
  const out = [el("h1", {}, "行动计划的任务"),
    el("p", {}, `${rows.length} 项任务，其中 ${none} 项尚无对应案例（红色标出）。点击任务查看对应案例与推荐案例。`)];
  for (const [pos, list] of groups) {
    const section = el("section", { class: "tasks-group" }, el("h2", {}, `${pos}（${list[0].positioning_code}）`));
    for (const r of list) {
      section.append(el("div", { class: "task-row" + (r.cases.length ? "" : " none"), "data-task": r.id },
        el("a", { href: "/tasks/" + encodeURIComponent(r.id), "data-nav": true }, r.id),
        el("span", {}, r.title),
        el("span", { class: "n", title: "对应案例数" }, r.cases.length ? `${r.cases.length} 个案例` : "无案例")));
    }
    out.push(section);
  }
  main().replaceChildren(...out);
}

async function viewTask(id) {
  let v;
  try {
    v = await api("tasks/" + encodeURIComponent(id));
  } catch (e) {
    main().replaceChildren(el("a", { class: "back", href: "/tasks", "data-nav": true }, "← 全部任务"), errorBox(e));
    return;
  }
  const t = v.task;
  document.title = t.id + " · 对标";
  const linked = el("ol", { class: "hits" });
  for (const h of v.linked) linked.append(hitItem(h));
  const suggested = el("ol", { class: "hits" });
  for (const h of v.suggested) suggested.append(hitItem(h));
  main().replaceChildren(
    el("a", { class: "back no-print", href: "/tasks", "data-nav": true }, "← 全部任务"),
    el("article", { class: "task" },
      el("p", { class: "meta" }, `${t.positioning}（${t.positioning_code}）`),
      el("h1", {}, `${t.id} ${t.title}`),
      el("p", {}, t.summary),
      t.precedents.length ? el("p", { class: "meta" }, "计划点名的对标地：" + t.precedents.join("、")) : null,
      el("p", {}, el("a", { class: "btn", href: "/tasks/" + encodeURIComponent(t.id) + "/brief", "data-nav": true }, "打印任务简报")),
      el("h2", {}, `对应案例（${v.linked.length}）`),
      v.linked.length ? linked : el("p", { class: "empty-state" }, "尚无对应案例。下面是按任务文字检索到的推荐案例。"),
      el("h2", {}, "推荐案例"),
      el("p", { class: "meta" }, "按任务的标题与说明检索，未经编辑确认。"),
      v.suggested.length ? suggested : el("p", {}, "暂无")),
  );
}

// A brief: the task (or the query), then for each case its overview, practices and lessons
// for Qingdao, with its sources, laid out for A4.
async function briefCases(ids) {
  return Promise.all(ids.map(async (id) => {
    const [c, body] = await Promise.all([api("cases/" + encodeURIComponent(id)), api("cases/" + encodeURIComponent(id) + "/html")]);
    return { c, body };
  }));
}

function briefNode(title, intro, cases, backHref) {
  const out = [el("div", { class: "print-bar" },
    el("a", { class: "btn", href: backHref, "data-nav": true }, "返回"),
    el("button", { type: "button", class: "btn", onclick: () => window.print() }, "打印 / 存为 PDF"))];
  const doc = el("article", { class: "brief" }, el("h1", {}, title), ...intro,
    el("p", { class: "meta" }, `共 ${cases.length} 个案例 · 生成于 ${new Date().toISOString().slice(0, 10)} · 对标案例库`));
  const wanted = ["案例概述", "主要做法", "对青岛的启示"];
  for (const { c, body } of cases) {
    const part = el("section", { class: "case-brief", "data-id": c.id }, el("h2", {}, c.title),
      el("p", { class: "meta" }, [...c.cities, ...c.countries].join("、") + (c.checked ? ` · 事实核实于 ${c.checked}` : "")));
    for (const name of wanted) {
      const s = body.sections.find((x) => x.heading === name);
      if (!s) continue;
      const div = el("div");
      div.innerHTML = s.html; // made safe by the server
      part.append(el("h3", {}, name), div);
    }
    const src = el("ol", { class: "sources" });
    for (const s of c.sources) src.append(el("li", {}, safeUrl(s.url) ? el("a", { href: s.url }, s.title) : s.title));
    part.append(el("h3", {}, "来源"), src);
    doc.append(part);
  }
  out.push(doc);
  return out;
}

async function viewTaskBrief(id) {
  try {
    const v = await api("tasks/" + encodeURIComponent(id));
    const ids = (v.linked.length ? v.linked : v.suggested).map((h) => h.id);
    const cases = await briefCases(ids);
    const t = v.task;
    document.title = `${t.id} 任务简报 · 对标`;
    main().replaceChildren(...briefNode(`${t.id} ${t.title}`, [
      el("p", { class: "meta" }, `${t.positioning}（${t.positioning_code}）`),
      el("p", {}, t.summary),
      v.linked.length ? null : el("p", { class: "meta" }, "此任务尚无对应案例，以下为推荐案例，未经编辑确认。"),
    ], cases, "/tasks/" + encodeURIComponent(t.id)));
  } catch (e) {
    main().replaceChildren(errorBox(e));
  }
}

async function viewResultsBrief() {
  const state = readState();
  try {
    const r = await api("search", apiParams(state, { limit: PAGE }));
    const cases = await briefCases(r.hits.map((h) => h.id));
    const filters = FACETS.flatMap(([k, label]) => state.filters[k].map((v) => `${label}：${v}`));
    document.title = "检索简报 · 对标";
    main().replaceChildren(...briefNode(state.q ? `检索简报：${state.q}` : "案例简报", [
      filters.length ? el("p", { class: "meta" }, "筛选：" + filters.join("；")) : null,
      el("p", { class: "meta" }, `共 ${r.total} 个匹配案例，简报收录前 ${r.hits.length} 个。`),
    ], cases, searchHref(state)));
  } catch (e) {
    main().replaceChildren(errorBox(e));
  }
}

function bars(title, counts, key) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "zh"));
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const list = el("ul", { class: "bars" });
  for (const [k, n] of entries) {
    const bar = el("span", { class: "bar", role: "img", "aria-label": `${n}` });
    bar.style.width = (100 * n / max).toFixed(1) + "%";
    list.append(el("li", {}, key ? filterLink(key, k) : el("span", {}, k), el("span", {}, bar), el("span", { class: "n" }, String(n))));
  }
  return [el("h2", {}, title), list];
}

async function viewStats() {
  let s;
  try {
    s = await api("stats");
  } catch (e) {
    main().replaceChildren(errorBox(e));
    return;
  }
  document.title = "统计 · 对标";
  main().replaceChildren(el("h1", {}, "案例库统计"),
    el("p", {}, `${s.cases} 个案例，来自 ${s.countries} 个国家和地区的 ${s.cities} 个城市。`),
    ...bars("按城市定位", s.by_positioning, "positioning"),
    ...bars("按国家和地区", s.by_country, "country"),
    ...(s.by_checked_year ? bars("按事实核实年份", s.by_checked_year) : []));
}

// ---- the router ----
function render() {
  const segs = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const view = segs[0] === "tasks" ? "tasks" : segs[0] === "stats" ? "stats" : "search";
  for (const a of document.querySelectorAll(".views a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (segs.length === 0) return viewSearch();
  if (segs[0] === "cases" && segs.length === 2) return viewCase(segs[1]);
  if (segs[0] === "tasks" && segs.length === 1) return viewTasks();
  if (segs[0] === "tasks" && segs.length === 2) return viewTask(segs[1]);
  if (segs[0] === "tasks" && segs[2] === "brief") return viewTaskBrief(segs[1]);
  if (segs[0] === "brief") return viewResultsBrief();
  if (segs[0] === "stats") return viewStats();
  main().replaceChildren(el("p", {}, "没有这个页面。"), el("a", { href: "/", "data-nav": true }, "回到检索"));
}

// ---- the library's health: a banner when the library on disk has problems ----
async function pollStatus() {
  try {
    const s = await api("status");
    const banner = $("#banner");
    if (s.problems && s.problems.length) {
      banner.replaceChildren(el("strong", {}, `案例库有 ${s.problems.length} 个问题，页面仍显示上一次完好的索引（运行 duibiao check 查看）：`),
        el("ul", {}, s.problems.slice(0, 10).map((p) => el("li", {}, p))));
      banner.hidden = false;
    } else banner.hidden = true;
    const gen = s.generation;
    if (pollStatus.generation && gen !== pollStatus.generation && !s.rebuilding) render();
    pollStatus.generation = gen;
  } catch (_) { /* the server is gone or restarting: try again later */ }
}

function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

document.addEventListener("DOMContentLoaded", () => {
  const q = $("#q");
  const typed = debounce(() => {
    const state = readState();
    const onSearch = location.pathname === "/";
    state.q = q.value.trim();
    state.page = 1;
    // Typing refines one search: replace the history entry rather than add one per key.
    go(searchHref(state), { replace: onSearch });
  }, 180);
  q.addEventListener("input", typed);
  $("#searchform").addEventListener("submit", async (e) => {
    e.preventDefault();
    const state = readState();
    state.q = q.value.trim();
    state.page = 1;
    // Enter opens the first hit.
    try {
      const r = await api("search", apiParams(state, { limit: 1 }));
      if (r.hits.length) {
        go("/cases/" + encodeURIComponent(r.hits[0].id) + query(state));
        // As when a link opens a case: reading (and Tab) goes on in the case, not the box.
        main().focus({ preventScroll: true });
      } else go(searchHref(state));
    } catch (_) {
      go(searchHref(state));
    }
  });
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      q.focus();
      q.select();
    }
  });
  // Links inside the page change the address and redraw, without a page load.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-nav]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(a.getAttribute("href"));
    if (!a.closest(".facets")) main().focus({ preventScroll: true });
    window.scrollTo(0, 0);
  });
  window.addEventListener("popstate", render);
  render();
  pollStatus();
  setInterval(pollStatus, 3000);
});
