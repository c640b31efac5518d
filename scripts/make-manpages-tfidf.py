#!/usr/bin/python3
"""A real sparse corpus for nmfkit's tests and bench: the Linux man pages of sections 2 and 3 (Debian's
manpages-dev, `apt-get install -y manpages-dev`) as a documents × terms TF-IDF matrix in CSR form.

    python3 scripts/make-manpages-tfidf.py [--man /usr/share/man] [--out test/fixtures/manpages-tfidf]

Writes OUT/tfidf.json.gz: { rows, cols, indptr, indices, data, terms, documents, provenance }, rows = pages,
cols = terms, CSR with sorted column indices and no duplicates (nmfkit's input form, docs/sparse.md), values
rounded to 5 significant digits. The tests and the bench read this file, so neither needs the package.

The text of a page: its troff source without comments, requests and font escapes (what a reader sees, roughly).
Pages that are only a `.so` redirect to another page are skipped. Terms: lower-case words of 3 or more letters,
English stop words removed (scikit-learn's list), in at least MIN_DF pages and at most MAX_DF of them, the
MAX_TERMS most frequent; weights: scikit-learn's TfidfVectorizer (smooth idf, sublinear tf, rows l2-normalised).
"""
import argparse
import gzip
import json
import os
import re
import subprocess

from sklearn.feature_extraction.text import TfidfVectorizer

SECTIONS = ("man2", "man3")
MIN_DF = 5
MAX_DF = 0.5
MAX_TERMS = 2000
DIGITS = 5


def page_text(source):
    """The words of a troff page: comments, requests' names, escapes and quoting dropped."""
    lines = []
    for line in source.splitlines():
        if line.startswith('.\\"') or line.startswith("'\\\"") or line.startswith('\\"'):
            continue
        if line.startswith(".") or line.startswith("'"):
            # A request: keep its arguments (.B name, .SH DESCRIPTION), drop its name.
            parts = line.split(None, 1)
            line = parts[1] if len(parts) > 1 else ""
        line = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", " ", line)  # font changes
        line = re.sub(r"\\\*(\[[^\]]*\]|\(..|.)", " ", line)  # strings
        line = re.sub(r"\\\((..)", " ", line)  # special characters
        line = re.sub(r"\\.", " ", line)  # any other escape
        lines.append(line)
    return "\n".join(lines)


def package_version():
    try:
        return subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "manpages-dev"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except Exception:
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--man", default="/usr/share/man")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "manpages-tfidf"))
    args = parser.parse_args()

    documents, texts = [], []
    for section in SECTIONS:
        folder = os.path.join(args.man, section)
        for name in sorted(os.listdir(folder)):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(os.path.join(folder, name), "rt", encoding="utf-8", errors="replace") as f:
                source = f.read()
            if re.match(r"^\s*\.so\s", source) and len(source.strip().splitlines()) <= 2:
                continue  # a redirect to another page
            documents.append(f"{section}/{name.removesuffix('.gz')}")
            texts.append(page_text(source))

    vectorizer = TfidfVectorizer(
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b",
        lowercase=True,
        stop_words="english",
        min_df=MIN_DF,
        max_df=MAX_DF,
        max_features=MAX_TERMS,
        sublinear_tf=True,
    )
    matrix = vectorizer.fit_transform(texts).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    matrix.data = [float(f"{x:.{DIGITS}g}") for x in matrix.data]
    out = {
        "rows": matrix.shape[0],
        "cols": matrix.shape[1],
        "indptr": matrix.indptr.tolist(),
        "indices": matrix.indices.tolist(),
        "data": list(matrix.data),
        "terms": vectorizer.get_feature_names_out().tolist(),
        "documents": documents,
        "provenance": {
            "source": f"Debian package manpages-dev {package_version()} (Linux man-pages), sections 2 and 3 under {args.man}",
            "script": "scripts/make-manpages-tfidf.py",
            "terms": f"words of ≥ 3 letters, lower-cased, scikit-learn's English stop words removed, min_df {MIN_DF}, max_df {MAX_DF}, the {MAX_TERMS} most frequent",
            "weights": "scikit-learn TfidfVectorizer(sublinear_tf=True, smooth idf, rows l2-normalised), rounded to 5 significant digits",
        },
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "tfidf.json.gz")
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{path}: {out['rows']} pages × {out['cols']} terms, {len(out['data'])} stored entries")


if __name__ == "__main__":
    main()
