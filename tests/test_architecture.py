"""The import rules of docs/architecture.md, and the documents the docs point to, checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNEL = {"mediawatch"}
STORAGE_PUBLIC = {"storage", "storage.alerts", "storage.workspace", "storage.export", "storage.copy", "storage.db"}
FIRST_PARTY = {"mediawatch", "scrapers", "storage", "nlp", "digests", "web", "flows", "demo", "bench", "tests"}

# package → (packages it may import wholesale, storage modules it may import)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "mediawatch": (KERNEL, set()),
    "scrapers": (KERNEL | {"scrapers"}, set()),
    "nlp": (KERNEL | {"nlp"}, set()),
    "storage": (KERNEL | {"storage"}, set()),
    "digests": (KERNEL | {"digests"}, STORAGE_PUBLIC),
    "web": (KERNEL | {"web", "digests"}, STORAGE_PUBLIC),
    "demo": (FIRST_PARTY - {"flows", "tests", "web"}, STORAGE_PUBLIC),
    "bench": (FIRST_PARTY - {"flows", "tests"}, set()),
}


# Only flows/ (the wiring) knows Prefect: the stages, the workspace and the tools are plain Python.
NO_PREFECT = ("mediawatch", "scrapers", "nlp", "storage", "digests", "web", "demo", "bench")


def all_imported_modules(path: Path) -> set[str]:
    """Every absolute module `path` imports (top level, inside functions, under TYPE_CHECKING)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def imported_modules(path: Path) -> set[str]:
    """Every absolute first-party module `path` imports."""
    return {n for n in all_imported_modules(path) if n.split(".")[0] in FIRST_PARTY}


def prefect_imports(path: Path) -> set[str]:
    return {n for n in all_imported_modules(path) if n.split(".")[0] == "prefect"}


def allowed(package: str, module: str) -> bool:
    whole, storage_modules = RULES[package]
    top = module.split(".")[0]
    if top in whole:
        return True
    return ".".join(module.split(".")[:2]) in storage_modules


def test_the_rule_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from storage.store import Store\n    import flows.cli\n", encoding="utf-8")
    found = imported_modules(bad)
    assert found == {"storage.store", "flows.cli"}
    assert not allowed("digests", "storage.store")
    assert not allowed("web", "flows.cli")
    assert allowed("web", "storage.workspace")
    stage = tmp_path / "deliver.py"
    stage.write_text("def password():\n    from prefect.blocks.system import Secret\n    return Secret\n", encoding="utf-8")
    assert prefect_imports(stage) == {"prefect.blocks.system"}


@pytest.mark.parametrize("package", NO_PREFECT)
def test_stages_do_not_import_prefect(package: str) -> None:
    found = [f"{path.relative_to(ROOT)}: {module}" for path in sorted((ROOT / package).rglob("*.py"))
             for module in sorted(prefect_imports(path))]
    assert found == [], "only flows/ may import Prefect (secrets, artifacts and tasks belong there):\n" + "\n".join(found)


@pytest.mark.parametrize("package", sorted(RULES))
def test_each_package_imports_only_what_architecture_md_allows(package: str) -> None:
    broken = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for module in sorted(imported_modules(path))
        if not allowed(package, module)
    ]
    assert broken == [], "imports that docs/architecture.md does not allow:\n" + "\n".join(broken)


LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_every_markdown_link_in_the_docs_points_to_a_file_in_the_repository(doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    missing = [t for t in LINK.findall(path.read_text(encoding="utf-8"))
               if "://" not in t and not (path.parent / t).exists()]
    assert missing == []


def test_architecture_md_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/architecture.md)" in readme.split("## More documentation", 1)[1].split("\n## ", 1)[0]


_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[^\]]*\])?(?P<rest>.*)$")
PACKAGES = ("mediawatch", "scrapers", "storage", "nlp", "digests", "web", "flows", "demo")


def unexplained_ignores(text: str) -> list[int]:
    """Lines whose `# type: ignore` lacks an error code or a reason after it (mypy runs in .ci/run)."""
    bad = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _IGNORE.search(line)
        if m and (not m["code"] or len(m["rest"].strip(" -—:#")) < 3):
            bad.append(n)
    return bad


def test_the_ignore_checker_wants_a_code_and_a_reason() -> None:
    assert unexplained_ignores("x = f()  # type: ignore\ny = g()  # type: ignore[arg-type]\n") == [1, 2]
    assert unexplained_ignores("z = h()  # type: ignore[arg-type]  # stubs say str, the API takes bytes\n") == []


def test_every_type_ignore_in_the_packages_has_a_code_and_a_reason() -> None:
    bad = [f"{p.relative_to(ROOT)}:{n}" for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
           for n in unexplained_ignores(p.read_text(encoding="utf-8"))]
    assert not bad, f"`# type: ignore` without an error code and a reason: {', '.join(bad)}"


def literals_naming_the_tests_folder(path: Path) -> list[str]:
    """String literals of `path` that name the tests folder ("tests", "tests/fixtures", …)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"tests(/.*)?", node.value)]


def test_no_package_reads_the_tests_folder(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('"""Docs may say tests/flows/x.py checks it."""\nFIXTURES = ROOT / "tests" / "fixtures"\n', encoding="utf-8")
    assert literals_naming_the_tests_folder(probe) == ["tests"]
    found = [f"{p.relative_to(ROOT)}: {lit!r}" for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
             for lit in literals_naming_the_tests_folder(p)]
    assert found == [], "production code must not read tests/ (the tests pass their folders in):\n" + "\n".join(found)
