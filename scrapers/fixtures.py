"""Parser fixtures in the Fundus style: <dir>/<family>/<page>.html + <page>.expected.json.

    python -m scrapers.fixtures DIR                  # list the fixture pages under DIR
    python -m scrapers.fixtures DIR --regenerate     # rewrite every .expected.json and show the diff
    python -m scrapers.fixtures DIR --regenerate nastooh/irna_gilan_bus

The folder is always given (by the tests, `sources check --save-fixture DIR`, or on the command line):
this module reads no folder of its own.

Review the diff before committing: an expected file is a claim about what the page says.

Real pages enter as `<family>/<source_id>.html.gz` (the bytes as served, gzipped), saved by
`mediawatch sources check --save-fixture DIR` (scrapers.check.save_fixture). Their expected file
also records where and when the page was fetched, which no parse changes: `fetched_at` (relative
dates such as «۳ ساعت پیش» are read as of that moment), `content_type` (the charset the server
declared) and the source's `selectors` overrides from sources.toml, if any.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapers.charset import decode_html
from scrapers.errors import ParseError
from scrapers.parsers import PARSERS, get_parser

# Relative dates («۳ ساعت پیش») in fixtures are read as of this moment, so results never drift.
FIXTURE_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# Keys of an expected file that say where the page came from, not what it says (never regenerated).
META_KEYS = ("fetched_at", "content_type", "selectors")
_SUFFIXES = (".html.gz", ".html")


def fixture_pages(root: Path) -> Iterator[Path]:
    """Every fixture page (.html written by us, .html.gz saved from the web), family by family."""
    for family in sorted(PARSERS):
        yield from sorted(p for suffix in _SUFFIXES for p in (root / family).glob("*" + suffix))


def page_stem(page: Path) -> str:
    """«mehr.html.gz» → «mehr»."""
    return next(page.name[: -len(s)] for s in _SUFFIXES if page.name.endswith(s))


def expected_path(page: Path) -> Path:
    return page.with_name(page_stem(page) + ".expected.json")


def fixture_meta(page: Path) -> dict[str, Any]:
    """What the expected file records about the page: its URL and the META_KEYS present."""
    exp = expected_path(page)
    data = json.loads(exp.read_text(encoding="utf-8")) if exp.exists() else {}
    meta = {k: data[k] for k in META_KEYS if k in data}
    meta["url"] = data.get("url") or f"https://{page.parent.name}.fixture.invalid/{page_stem(page)}"
    return meta


def fixture_url(page: Path) -> str:
    """The URL recorded in the expected file, or a stable made-up one for a new fixture."""
    return fixture_meta(page)["url"]


def parse_fixture(page: Path) -> dict[str, Any]:
    """Parse one fixture page with its family's parser (bytes decoded as the crawler would)."""
    meta = fixture_meta(page)
    raw = gzip.decompress(page.read_bytes()) if page.name.endswith(".gz") else page.read_bytes()
    html = decode_html(raw, meta.get("content_type"))
    now = datetime.fromisoformat(meta["fetched_at"]) if "fetched_at" in meta else FIXTURE_NOW
    parser = get_parser(page.parent.name, meta.get("selectors"))
    return parser.parse(html, meta["url"], now=now).to_json()


def expected_of(page: Path, parsed: dict[str, Any]) -> dict[str, Any]:
    """The expected file's content: the parse, then the page's META_KEYS kept as they were."""
    meta = fixture_meta(page)
    return {**parsed, **{k: meta[k] for k in META_KEYS if k in meta}}


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def regenerate(only: list[str] | None = None, *, root: Path) -> int:
    """Rewrite expected files (all, or `family/page` names given); print a unified diff; count changed.
    A page that no longer parses is reported (family/page and why) and its expected file kept."""
    changed = 0
    for page in fixture_pages(root):
        name = f"{page.parent.name}/{page_stem(page)}"
        if only and name not in only:
            continue
        exp = expected_path(page)
        old = exp.read_text(encoding="utf-8") if exp.exists() else ""
        try:
            new = dump(expected_of(page, parse_fixture(page)))
        except ParseError as exc:
            print(f"{name}: does not parse: {exc}", file=sys.stderr)
            continue
        if old != new:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{exp.name}", f"b/{exp.name}"))
            exp.write_text(new, encoding="utf-8")
    print(f"{changed} expected file(s) changed", file=sys.stderr)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scrapers.fixtures", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path, help="the fixture folder (<family>/<page>.html inside)")
    ap.add_argument("--regenerate", action="store_true", help="rewrite the .expected.json files and show the diff")
    ap.add_argument("pages", nargs="*", help="family/page names (default: all)")
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        ap.error(f"{args.dir} is not a folder")
    if not args.regenerate:
        for page in fixture_pages(args.dir):
            print(f"{page.parent.name}/{page_stem(page)}")
        return 0
    regenerate(args.pages or None, root=args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
