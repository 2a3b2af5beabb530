"""Parser fixtures in the Fundus style: tests/fixtures/<family>/<page>.html + <page>.expected.json.

    python -m scrapers.fixtures --regenerate      # rewrite every .expected.json and show the diff
    python -m scrapers.fixtures --regenerate nastooh/irna_gilan_bus

Review the diff before committing: an expected file is a claim about what the page says.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediawatch.settings import PROJECT_ROOT
from scrapers.charset import decode_html
from scrapers.parsers import PARSERS, get_parser

FIXTURES_DIR = PROJECT_ROOT / "tests" / "fixtures"
# Relative dates («۳ ساعت پیش») in fixtures are read as of this moment, so results never drift.
FIXTURE_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def fixture_pages(root: Path = FIXTURES_DIR) -> Iterator[Path]:
    """Every fixture page, family by family (the family is the parent folder's name)."""
    for family in sorted(PARSERS):
        yield from sorted((root / family).glob("*.html"))


def expected_path(page: Path) -> Path:
    return page.with_suffix(".expected.json")


def fixture_url(page: Path) -> str:
    """The URL recorded in the expected file, or a stable made-up one for a new fixture."""
    exp = expected_path(page)
    if exp.exists():
        return json.loads(exp.read_text(encoding="utf-8"))["url"]
    return f"https://{page.parent.name}.fixture.invalid/{page.stem}"


def parse_fixture(page: Path) -> dict[str, Any]:
    """Parse one fixture page with its family's parser (bytes decoded as the crawler would)."""
    html = decode_html(page.read_bytes())
    return get_parser(page.parent.name).parse(html, fixture_url(page), now=FIXTURE_NOW).to_json()


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def regenerate(only: list[str] | None = None, root: Path = FIXTURES_DIR) -> int:
    """Rewrite expected files (all, or `family/page` names given); print a unified diff; count changed."""
    changed = 0
    for page in fixture_pages(root):
        name = f"{page.parent.name}/{page.stem}"
        if only and name not in only:
            continue
        exp = expected_path(page)
        old = exp.read_text(encoding="utf-8") if exp.exists() else ""
        new = dump(parse_fixture(page))
        if old != new:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{exp.name}", f"b/{exp.name}"))
            exp.write_text(new, encoding="utf-8")
    print(f"{changed} expected file(s) changed", file=sys.stderr)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scrapers.fixtures", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regenerate", action="store_true", help="rewrite the .expected.json files and show the diff")
    ap.add_argument("pages", nargs="*", help="family/page names (default: all)")
    args = ap.parse_args(argv)
    if not args.regenerate:
        for page in fixture_pages():
            print(f"{page.parent.name}/{page.stem}")
        return 0
    regenerate(args.pages or None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
