"""Headless Chromium for any package's browser tests: `from tests.browser import ARTIFACTS, browser`.

Chromium is Debian's (/usr/bin/chromium, or MEDIAWATCH_CHROMIUM); when it is missing, browser tests FAIL
with a clear message in CI (env CI=true) and are skipped with the reason locally.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


_OUTSIDE = """(selector) => {
    const out = [];
    for (const card of document.querySelectorAll(selector)) {
        const box = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
                out.push(el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40));
        }
    }
    return out;
}"""


def outside_cards(page, selector: str) -> list[str]:
    """The elements that stick out of their card (`selector`, e.g. "article.alert") left or right."""
    return list(page.evaluate(_OUTSIDE, selector))


def chromium_path() -> str:
    path = os.environ.get("MEDIAWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {path}: CI must install Debian's chromium package")
        pytest.skip(f"Chromium not found at {path}: apt-get install chromium, or set MEDIAWATCH_CHROMIUM")
    return path


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()
