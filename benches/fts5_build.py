#!/usr/bin/env python3
"""The build peer of `cargo bench --bench perf -- --build-peers`: SQLite FTS5 with the
trigram tokenizer (substring matching, like duibiao's character view) indexing a library
folder into a database file.

Usage: fts5_build.py LIBRARY_DIR DB_FILE. Reads every case file (`*.md` but README.md),
takes the title from its front matter and the rest of the file as the body, inserts them
all in one transaction, and prints the database size in bytes. The whole process is what
the bench times, as it times `duibiao index`.
"""

import os
import sqlite3
import sys


def title_and_body(text):
    """The front matter's `title:` and everything after the front matter."""
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 4)
    if end < 0:
        return "", text
    front, body = text[4:end], text[end + 5:]
    title = ""
    for line in front.splitlines():
        if line.startswith("title:"):
            title = line[len("title:"):].strip().strip('"')
            break
    return title, body


def rows(lib):
    for name in sorted(os.listdir(lib)):
        if not name.endswith(".md") or name == "README.md":
            continue
        with open(os.path.join(lib, name), encoding="utf-8") as f:
            title, body = title_and_body(f.read())
        yield name[:-3], title, body


def main():
    lib, db_path = sys.argv[1], sys.argv[2]
    if os.path.exists(db_path):
        os.remove(db_path)
    db = sqlite3.connect(db_path)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='trigram')"
    )
    with db:
        db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows(lib))
    db.close()
    print(os.path.getsize(db_path))


if __name__ == "__main__":
    main()
