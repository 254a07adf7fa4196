#!/usr/bin/env python3
"""Load on `duibiao serve` while its library changes: a benchmark, run by hand, not by CI.

    python3 benches/load.py target/release/duibiao [--clients 50] [--requests 5000]
                            [--changes 5] [--timeout 300] [--seed 2026] [--library cases]

It copies the shipped library (cases/, or --library DIR) to a temporary folder, serves it on 127.0.0.1 port
0, and sends REQUESTS mixed API requests from CLIENTS threads, each on its own keep-alive
connection (http.client): searches with many queries and filters, facets, cases, similar
cases, stats, tasks, a task, and bad requests that must get 400 or 404. Meanwhile another
thread edits the library CHANGES times (a case's title, then a case's body, in turn) and
waits for each rebuild: /api/status names a new generation. The load is cut in CHANGES+1
slices and each slice after the first starts only once the next edit is on disk, so every
rebuild happens under load.

Every answer is checked, not only its status: valid JSON; a search's total is at least its
number of hits, its hits obey its filters and are cases of the library, 口袋公园 always finds
a pocket-park case; a case answers with its own id, and its title is the current one or,
for a request that began before the new generation was live, the one before; similar cases
never include the case itself; stats count every case; a task answers with its own id;
errors are JSON with an "error". It prints the count of failed or wrong answers (with the
first few), the p50/p99 latency of /api/search and of all requests, the rebuild times and
how many requests ran while a rebuild was under way, then stops the server. The exit
status is 1 when any answer was wrong or the run hit its time limit.

Standard library only. Bounded: REQUESTS requests, and a hard TIMEOUT in seconds after
which the clients stop and the run fails.
"""
import argparse
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POCKET = {"new-york-pocket-parks", "shanghai-pocket-parks"}
QUERIES = ["口袋公园", "临空经济", "会展", "港口", "数字政府", "绿道", "城市更新", "人才", "金融",
           "海洋", "智慧城市", "养老", "自贸区", "smart city", "port", "公园城市", "创新", "机场",
           "碳中和", "旅游", "不存在的词语组合", "医疗", "物流", "数据开放"]
FILTERS = ["city", "country", "positioning", "topic", "task"]
HIT_FIELD = {"city": "cities", "country": "countries", "positioning": "positioning",
             "topic": "topics", "task": "tasks"}


class Server:
    def __init__(self, binary, library, index):
        self.proc = subprocess.Popen(
            [binary, "--library", library, "--index", index, "serve", "--addr", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        line = b""
        deadline = time.monotonic() + 120
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                sys.exit("load.py: the server printed no URL")
            if select.select([fd], [], [], 0.5)[0]:
                line += os.read(fd, 1) or b""
        u = urlsplit(line.decode().strip())
        self.host, self.port = u.hostname, u.port

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def get(conn, path):
    conn.request("GET", path, headers={"Accept": "application/json"})
    res = conn.getresponse()
    return res.status, res.read()


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Titles:
    """Each case's title over time, so an answer can be judged against the generation that
    was live when its request began."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current = {}   # id -> title live now
        self.previous = {}  # id -> (old title, time the new one was seen live)

    def allowed(self, case_id, title, started):
        with self.lock:
            if self.current.get(case_id) == title:
                return True
            old = self.previous.get(case_id)
            return old is not None and old[0] == title and (old[1] is None or started < old[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--library", default=os.path.join(ROOT, "cases"), help="the library to copy and serve")
    ap.add_argument("--skip", action="append", default=[], metavar="KIND",
                    help="leave out one kind of request (search, facets, case, similar, stats, tasks, task, bad)"
                         ", to see what the others cost without it")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    hard_deadline = time.monotonic() + args.timeout

    work = tempfile.mkdtemp(prefix="duibiao-load-")
    library, index = os.path.join(work, "library"), os.path.join(work, "index")
    shutil.copytree(args.library, library)
    server = Server(os.path.abspath(args.binary), library, index)
    try:
        return run(args, rng, hard_deadline, server, library)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(args, rng, hard_deadline, server, library):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)

    def api(path):
        status, body = get(conn, path)
        assert status == 200, (path, status, body[:200])
        return json.loads(body)

    # What the library holds, from the server itself: the values the requests draw from.
    everything = api("/api/search?limit=1000")
    ids = sorted(h["id"] for h in everything["hits"])
    stats = api("/api/stats")
    n_cases = stats["cases"]
    tasks = api("/api/tasks")
    task_ids = [t["id"] for t in tasks]
    values = {
        "country": sorted(stats["by_country"]),
        "positioning": sorted(stats["by_positioning"]),
        "city": sorted(c["name"] for c in api("/api/places")["cities"]),
        "task": task_ids,
        "topic": sorted({t for h in everything["hits"] for t in h["topics"]}),
    }
    titles = Titles()
    for cid in ids:
        titles.current[cid] = api(f"/api/cases/{cid}")["title"]
    generation = api("/api/status")["generation"]
    conn.close()
    assert len(ids) == n_cases == everything["total"], (len(ids), n_cases)

    # ---- the requests: (kind, path, check(status, body, started) -> error or None) ----
    def search_request():
        q = rng.choice(QUERIES + [""])
        params = [("q", q)] if q else []
        filters = {}
        for key in FILTERS:
            if rng.random() < (0.5 if not q else 0.15):
                filters[key] = rng.sample(values[key], rng.choice([1, 1, 2]))
                params += [(key, v) for v in filters[key]]
        limit = rng.choice([5, 10, 20, 50])
        params.append(("limit", limit))

        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            hits = r["hits"]
            if r["total"] < len(hits) or len(hits) > limit:
                return f"total {r['total']} < {len(hits)} hits or more than limit {limit}"
            for h in hits:
                if h["id"] not in titles.current:
                    return f"unknown case {h['id']}"
                for key, wanted in filters.items():
                    if not set(wanted) & set(h[HIT_FIELD[key]]):
                        return f"hit {h['id']} fails filter {key}={wanted}"
            if q == "口袋公园" and not filters and not POCKET & {h["id"] for h in hits}:
                return "口袋公园 without a pocket-park case"
            return None
        return "search", "/api/search?" + urlencode(params), check

    def facets_request():
        q = rng.choice(QUERIES)

        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            if not isinstance(r.get("total"), int) or not all(k in r for k in FILTERS):
                return "facets without total or a facet"
            if any(n > r["total"] for k in FILTERS for n in r[k].values()):
                return "a facet count above the total"
            return None
        return "facets", "/api/facets?" + urlencode({"q": q}), check

    def case_request():
        cid = rng.choice(ids)

        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            if r["id"] != cid:
                return f"asked {cid}, got {r['id']}"
            if not titles.allowed(cid, r["title"], started):
                return f"{cid}: stale or unknown title {r['title']!r}"
            return None
        return "case", f"/api/cases/{cid}", check

    def similar_request():
        cid = rng.choice(ids)

        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            got = [h["id"] for h in r["hits"]]
            if cid in got or len(got) > 5 or not got:
                return f"similar to {cid}: {got}"
            return None
        return "similar", f"/api/cases/{cid}/similar", check

    def stats_request():
        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            if r["cases"] != n_cases or sum(r["by_positioning"].values()) < n_cases:
                return f"stats count {r['cases']}"
            return None
        return "stats", "/api/stats", check

    def tasks_request():
        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            if [t["id"] for t in r] != task_ids:
                return "task list changed"
            return None
        return "tasks", "/api/tasks", check

    def task_request():
        tid = rng.choice(task_ids)

        def check(status, body, started):
            if status != 200:
                return f"status {status}"
            r = json.loads(body)
            if r["task"]["id"] != tid:
                return f"asked {tid}, got {r['task']['id']}"
            if any(h["id"] not in titles.current for h in r["linked"] + r["suggested"]):
                return "a task's case is not in the library"
            return None
        return "task", f"/api/tasks/{tid}", check

    BAD = [("/api/search?" + urlencode({"city": "不存在的城市"}), 400),
           ("/api/search?" + urlencode({"country": "美國x"}), 400),
           ("/api/search?limit=ten", 400),
           ("/api/search?bogus=1", 400),
           ("/api/cases/no-such-case", 404),
           ("/api/tasks/NOPE-99", 404),
           ("/api/nothing-here", 404)]

    def bad_request():
        path, want = rng.choice(BAD)

        def check(status, body, started):
            if status != want:
                return f"status {status}, wanted {want}"
            r = json.loads(body)
            if not r.get("error") or not isinstance(r.get("suggestions"), list):
                return "an error without its message"
            return None
        return "bad", path, check

    mix = [(search_request, 45), (facets_request, 10), (case_request, 15), (similar_request, 8),
           (stats_request, 5), (tasks_request, 4), (task_request, 8), (bad_request, 5)]
    skipped = {m.__name__.removesuffix("_request") for m, _ in mix} & set(args.skip)
    makers = [m for m, w in mix for _ in range(w) if m.__name__.removesuffix("_request") not in skipped]
    plan = [rng.choice(makers)() for _ in range(args.requests)]
    # 口袋公园 with no filter, every 25th request: it must find a pocket-park case throughout,
    # also while a pocket-park case's body is being rebuilt.
    def check_pocket(status, body, started):
        if status != 200:
            return f"status {status}"
        r = json.loads(body)
        if r["total"] < len(r["hits"]):
            return "total below hits"
        if not POCKET & {h["id"] for h in r["hits"]}:
            return "口袋公园 without a pocket-park case"
        return None
    for i in range(0, args.requests if "search" not in skipped else 0, 25):
        plan[i] = ("search", "/api/search?" + urlencode({"q": "口袋公园", "limit": 10}), check_pocket)

    # ---- the load, in slices released by the changer ----
    slices = args.changes + 1
    per_slice = -(-args.requests // slices)
    lock = threading.Lock()
    released = threading.Condition(lock)
    state = {"next": 0, "open_until": min(per_slice, args.requests), "stop": False}
    results = []  # (kind, started, seconds, error or None)
    rebuilding_windows = []  # (edit written, new generation seen)

    def client():
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        while True:
            with released:
                while state["next"] >= state["open_until"] and not state["stop"] and state["next"] < args.requests:
                    released.wait(0.5)
                    if time.monotonic() > hard_deadline:
                        state["stop"] = True
                if state["stop"] or state["next"] >= args.requests:
                    break
                i = state["next"]
                state["next"] += 1
            kind, path, check = plan[i]
            started = time.monotonic()
            try:
                status, body = get(conn, path)
                took = time.monotonic() - started
                try:
                    err = check(status, body, started)
                except (ValueError, KeyError, TypeError) as e:
                    err = f"bad answer: {e!r}: {body[:120]!r}"
            except (OSError, http.client.HTTPException) as e:
                took = time.monotonic() - started
                err = f"request failed: {e!r}"
                conn.close()
                conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
            with lock:
                results.append((kind, started, took, err if err is None else f"{path}: {err}"))
        conn.close()

    # The edits: a title (a case that is not about pocket parks), then a body (of a
    # pocket-park case, which must keep being found), in turn.
    title_cases = [c for c in ids if c not in POCKET]
    rebuild_times = []

    def changer():
        nonlocal generation
        st = http.client.HTTPConnection(server.host, server.port, timeout=30)
        for k in range(args.changes):
            # Wait until this slice is under way, so the edit lands under load.
            while True:
                with lock:
                    if state["next"] >= state["open_until"] - per_slice // 2 or state["stop"]:
                        break
                time.sleep(0.01)
            if state["stop"]:
                break
            if k % 2 == 0:
                cid = title_cases[(k * 7) % len(title_cases)]
                path = os.path.join(library, cid + ".md")
                text = open(path, encoding="utf-8").read()
                new_title = f"{titles.current[cid]}（负载测试第{k + 1}次改）"
                text, n = re.subn(r"^title: .*$", "title: " + json.dumps(new_title, ensure_ascii=False),
                                  text, count=1, flags=re.M)
                assert n == 1, cid
                with titles.lock:
                    titles.previous[cid] = (titles.current[cid], None)
                    titles.current[cid] = new_title
            else:
                cid = sorted(POCKET)[k % 2]
                path = os.path.join(library, cid + ".md")
                text = open(path, encoding="utf-8").read().rstrip("\n") + f"\n\n负载测试第{k + 1}次补充的一段正文。\n"
                new_title = None
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
            written = time.monotonic()
            # Open the next slice, then wait for the new generation to go live.
            with released:
                state["open_until"] = min(args.requests, state["open_until"] + per_slice)
                released.notify_all()
            while True:
                if time.monotonic() > hard_deadline:
                    with released:
                        state["stop"] = True
                        released.notify_all()
                    return
                status, body = get(st, "/api/status")
                s = json.loads(body)
                if s["generation"] != generation and not s["rebuilding"]:
                    break
                if s["problems"]:
                    with lock:
                        results.append(("status", written, 0, f"edit {k + 1} broke the library: {s['problems'][:2]}"))
                    break
                time.sleep(0.05)
            live = time.monotonic()
            generation = s["generation"]
            rebuild_times.append(live - written)
            rebuilding_windows.append((written, live))
            if new_title is not None:
                with titles.lock:
                    titles.previous[cid] = (titles.previous[cid][0], live)
        with released:
            state["open_until"] = args.requests
            released.notify_all()
        st.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    ch = threading.Thread(target=changer, daemon=True)
    ch.start()
    for t in threads:
        t.start()
    for t in threads + [ch]:
        t.join(max(0, hard_deadline - time.monotonic()))
    elapsed = time.monotonic() - t0
    timed_out = time.monotonic() > hard_deadline or any(t.is_alive() for t in threads + [ch])

    with lock:
        done = list(results)
    wrong = [r for r in done if r[3] is not None]
    sent = sum(1 for r in done if r[0] != "status")
    during = sum(1 for r in done if any(a <= r[1] <= b for a, b in rebuilding_windows))
    search_ms = [r[2] * 1000 for r in done if r[0] == "search"]
    all_ms = [r[2] * 1000 for r in done if r[0] != "status"]
    kinds = {}
    for r in done:
        kinds[r[0]] = kinds.get(r[0], 0) + 1

    print(f"duibiao serve under load: {args.clients} clients, {sent} of {args.requests} requests in "
          f"{elapsed:.1f} s ({sent / max(elapsed, 1e-9):.0f} requests/s), {len(ids)} cases, "
          f"{len(rebuild_times)} of {args.changes} library edits rebuilt")
    print("requests by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(f"failed or wrong answers: {len(wrong)}")
    for r in wrong[:10]:
        print(f"  {r[3]}")
    print(f"/api/search latency: p50 {pct(search_ms, 50):.2f} ms, p99 {pct(search_ms, 99):.2f} ms, "
          f"max {max(search_ms, default=float('nan')):.2f} ms ({len(search_ms)} requests)")
    print(f"all requests latency: p50 {pct(all_ms, 50):.2f} ms, p99 {pct(all_ms, 99):.2f} ms, "
          f"max {max(all_ms, default=float('nan')):.2f} ms")
    print("p50/p99 by kind: " + ", ".join(
        f"{k} {pct(v, 50):.0f}/{pct(v, 99):.0f} ms" for k, v in sorted(
            (k, [r[2] * 1000 for r in done if r[0] == k]) for k in kinds if k != "status")))
    if rebuild_times:
        print("edit to new generation live: " + ", ".join(f"{t:.2f}" for t in rebuild_times) + " s; "
              f"{during} requests began while a rebuild was under way")
    if timed_out:
        print(f"TIMED OUT after {args.timeout:.0f} s")
    return 1 if wrong or timed_out or sent < args.requests or len(rebuild_times) < args.changes else 0


if __name__ == "__main__":
    sys.exit(main())
