"""Where the parser fixtures of these tests live; scrapers.fixtures reads whatever folder it is given."""

from __future__ import annotations

from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"
