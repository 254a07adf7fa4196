#!/usr/bin/env python3
"""Side-by-side search quality: duibiao against its peers, on the shipped library.

Run by hand, not by CI:    python3 benches/compare.py

It installs its peers itself (into target/compare-venv: Python jieba with Whoosh's
ChineseAnalyzer; SQLite FTS5 with the trigram tokenizer comes with Python; ripgrep from the
system's packages when missing), indexes the same shipped library in each, runs the same
relevance set (tests/relevance/queries.yaml) and the same substring runs, and prints
MRR@10, recall@10 and substring recall for every system.

Every system gets the same plain text (Markdown markup stripped) and the same filters
(applied to the case metadata after ranking, for the peers that have no filters).
"""
import os
import random
import re
import shutil
import subprocess
import sys
import time
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "cases")
VENV = os.path.join(ROOT, "target", "compare-venv")
SEED = 2026
RUNS_PER_CASE = 25


def ensure_venv():
    """Re-run inside a venv holding the peers."""
    py = os.path.join(VENV, "bin", "python")
    if sys.prefix != VENV:
        if not os.path.exists(py):
            venv.create(VENV, with_pip=True)
            subprocess.check_call([py, "-m", "pip", "install", "-q", "jieba==0.42.1", "whoosh==2.7.4", "pyyaml"])
        os.execv(py, [py] + sys.argv)
    if shutil.which("rg") is None:
        subprocess.call(["apt-get", "install", "-y", "ripgrep"], stdout=subprocess.DEVNULL)


ensure_venv()

import yaml  # noqa: E402


def load_library():
    cases = []
    for name in sorted(os.listdir(CASES)):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(CASES, name), encoding="utf-8").read()
        _, fm, body = text.split("---\n", 2)
        meta = yaml.safe_load(fm)
        meta["plain"] = plain(body)
        cases.append(meta)
    places = yaml.safe_load(open(os.path.join(CASES, "places.yaml"), encoding="utf-8"))
    plan = yaml.safe_load(open(os.path.join(CASES, "plan.yaml"), encoding="utf-8"))
    return cases, places, plan


def plain(md):
    """Markdown to the text a reader sees (close to duibiao's own conversion)."""
    out = []
    for line in md.splitlines():
        line = re.sub(r"^#+\s*", "", line)
        line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line)
        line = line.replace("**", "").replace("`", "")
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        if line.strip():
            out.append(line.strip())
    return "\n".join(out)


def resolver(places, plan):
    """Filter values (canonical or alias, any case) to canonical names, per filter."""
    def table(entries, keys):
        t = {}
        for e in entries:
            for k in keys(e):
                t[str(k).lower()] = e["name"] if "name" in e else e["id"]
        return t
    city = table(places["cities"], lambda e: [e["name"], e["en"]] + e.get("aliases", []))
    country = table(places["countries"], lambda e: [e["name"], e["en"]] + e.get("aliases", []))
    pos = table(plan["positionings"], lambda e: [e["name"], e["code"]] + e.get("aliases", []))
    return {
        "city": lambda v: city[v.lower()],
        "country": lambda v: country[v.lower()],
        "positioning": lambda v: pos[v.lower()],
        "task": lambda v: v.upper(),
        "topic": lambda v: v,
    }


FIELD = {"city": "cities", "country": "countries", "positioning": "positioning", "task": "tasks", "topic": "topics"}


def passes(case, filters, resolve):
    for key, values in filters.items():
        wanted = {resolve[key](v) for v in values}
        if not wanted & set(case.get(FIELD[key]) or []):
            return False
    return True


# ---- the systems: each gets (query, filters) and returns ranked ids ----

class Duibiao:
    name = "duibiao"

    def __init__(self, cases):
        subprocess.check_call(["cargo", "build", "--release", "-q"], cwd=ROOT)
        self.bin = os.path.join(ROOT, "target", "release", "duibiao")
        self.index = os.path.join(ROOT, "target", "compare-index")
        shutil.rmtree(self.index, ignore_errors=True)
        t = time.time()
        subprocess.check_call([self.bin, "--library", CASES, "--index", self.index, "index"], stdout=subprocess.DEVNULL)
        self.build_s = time.time() - t

    def search(self, q, filters, limit=10):
        args = [self.bin, "--library", CASES, "--index", self.index, "--no-rebuild", "search", "--json", "--limit", str(limit), "--", q]
        for key, values in filters.items():
            for v in values:
                args[-2:-2] = ["--" + key, v]
        import json
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        return [h["id"] for h in json.loads(out)["hits"]]


class WhooshJieba:
    name = "Whoosh + jieba (ChineseAnalyzer)"

    def __init__(self, cases):
        from jieba.analyse import ChineseAnalyzer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.filedb.filestore import RamStorage
        import jieba
        jieba.setLogLevel(60)
        analyzer = ChineseAnalyzer()
        schema = Schema(id=ID(stored=True), title=TEXT(analyzer=analyzer, field_boost=3.0), body=TEXT(analyzer=analyzer))
        t = time.time()
        self.ix = RamStorage().create_index(schema)
        w = self.ix.writer()
        for c in cases:
            w.add_document(id=c["id"], title=c["title"] + " " + (c.get("title_en") or ""), body=c["plain"])
        w.commit()
        self.build_s = time.time() - t
        from whoosh.qparser import AndGroup, MultifieldParser
        self.parser = MultifieldParser(["title", "body"], schema, group=AndGroup)

    def search(self, q, filters, limit=10):
        with self.ix.searcher() as s:
            r = s.search(self.parser.parse(q), limit=None)
            return [h["id"] for h in r]


class Fts5Trigram:
    name = "SQLite FTS5 (trigram)"

    def __init__(self, cases):
        import sqlite3
        t = time.time()
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='trigram')")
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", [(c["id"], c["title"], c["plain"]) for c in cases])
        self.build_s = time.time() - t

    def search(self, q, filters, limit=10):
        terms = [t for t in q.split() if t]
        if not terms:
            return []
        # Each word as a quoted string; the trigram tokenizer cannot match fewer than three characters.
        expr = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        try:
            rows = self.db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 3.0, 1.0)", (expr,)).fetchall()
        except Exception:
            return []
        return [r[0] for r in rows]


class Ripgrep:
    name = "ripgrep (plain matching)"

    def __init__(self, cases):
        self.dir = os.path.join(ROOT, "target", "compare-plain")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        t = time.time()
        for c in cases:
            open(os.path.join(self.dir, c["id"] + ".txt"), "w", encoding="utf-8").write(c["title"] + "\n" + c["plain"])
        self.build_s = time.time() - t

    def search(self, q, filters, limit=10):
        found = None
        for term in q.split():
            out = subprocess.run(["rg", "-l", "-i", "-F", "--", term, self.dir], capture_output=True, text=True).stdout
            ids = {os.path.basename(p)[:-4] for p in out.split()}
            found = ids if found is None else found & ids
        # No ranking: file order.
        return sorted(found or [])


def relevance(system, queries, cases_by_id, resolve):
    rr = rec = 0.0
    for q in queries:
        filters = q.get("filters") or {}
        ids = system.search(q["q"], filters, 10)
        ids = [i for i in ids if passes(cases_by_id[i], filters, resolve)][:10]
        expect = set(q["expect"])
        first = next((k for k, i in enumerate(ids) if i in expect), None)
        rr += 0 if first is None else 1 / (first + 1)
        rec += len(expect & set(ids)) / len(expect)
    return rr / len(queries), rec / len(queries)


def substring_runs(cases):
    rng = random.Random(SEED)
    runs = []
    for c in cases:
        lines = [l for l in ([c["title"]] + c["plain"].splitlines()) if len(l) >= 2]
        for _ in range(RUNS_PER_CASE):
            line = rng.choice(lines)
            n = min(rng.randint(2, 8), len(line))
            start = rng.randint(0, len(line) - n)
            run = line[start:start + n]
            if run.strip():
                runs.append((c["id"], run))
    return runs


def substring_recall(system, runs):
    hit = 0
    for cid, run in runs:
        # A run is searched as typed; the case must be among all the matches.
        if cid in system.search(run, {}, 200):
            hit += 1
    return hit / len(runs)


def main():
    cases, places, plan = load_library()
    cases_by_id = {c["id"]: c for c in cases}
    resolve = resolver(places, plan)
    queries = yaml.safe_load(open(os.path.join(ROOT, "tests", "relevance", "queries.yaml"), encoding="utf-8"))
    runs = substring_runs(cases)
    rows = []
    for cls in (Duibiao, WhooshJieba, Fts5Trigram, Ripgrep):
        system = cls(cases)
        t = time.time()
        mrr, rec = relevance(system, queries, cases_by_id, resolve)
        sub = substring_recall(system, runs)
        rows.append((system.name, mrr, rec, sub, system.build_s, time.time() - t))
        print(f"done: {system.name}", file=sys.stderr)
    print(f"{len(queries)} relevance queries, {len(runs)} substring runs, {len(cases)} cases\n")
    print("| system | MRR@10 | recall@10 | substring recall | index s |")
    print("|---|---|---|---|---|")
    for name, mrr, rec, sub, build_s, _ in rows:
        print(f"| {name} | {mrr:.3f} | {rec:.3f} | {sub:.3f} | {build_s:.2f} |")


if __name__ == "__main__":
    main()
