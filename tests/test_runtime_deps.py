"""Every third-party module the service imports is pinned in requirements.lock, the runtime lock
the Docker image installs (the dev lock holds more, so the test suite alone would not notice).

Imports are read from the source with `ast`, including those inside functions (the CLI imports
most of its work lazily), and mapped to distributions by what is installed here."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = ROOT / "requirements.lock"
# The project's own top-level packages: what the image ships (pyproject's packages.find).
PACKAGES = ("geo", "api", "cli", "maps", "fixtures")


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the files (relative to the root) that import it."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in _imported_modules(ast.parse(path.read_text(), filename=str(path))):
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in PACKAGES:
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _imported_modules(tree: ast.AST) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)  # level > 0 is a relative import: our own code
    return modules


def pinned(lock: Path) -> set[str]:
    """Normalised names of the distributions a hash-pinned lock file installs."""
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(), flags=re.MULTILINE)
    return {normalise(name) for name in names}


def unpinned(lock: Path) -> dict[str, set[str]]:
    """Imported modules whose distribution the lock lacks -> the files importing them.

    A module no installed distribution provides counts as unpinned too: nothing could ship it."""
    providers = packages_distributions()
    locked = pinned(lock)
    missing: dict[str, set[str]] = {}
    for module, files in third_party_imports().items():
        distributions = {normalise(d) for d in providers.get(module, [])}
        if not distributions & locked:
            name = ", ".join(sorted(distributions)) or f"{module} (no installed distribution)"
            missing[name] = files
    return missing


def test_runtime_lock_pins_every_third_party_import() -> None:
    missing = unpinned(RUNTIME_LOCK)
    assert missing == {}, "add them to pyproject's dependencies and run `make lock`"


def test_the_scan_sees_the_service_imports() -> None:
    """The scan is not vacuous: it finds the frameworks the service is built on, including
    httpx, which the CLI reaches through geo/notices/delivery.py."""
    imports = third_party_imports()
    assert {"fastapi", "sqlalchemy", "geoalchemy2", "psycopg", "httpx", "uvicorn"} <= set(imports)
    assert "geo/notices/delivery.py" in imports["httpx"]
    assert len(imports) >= 15


def test_a_lock_without_httpx_is_refused(tmp_path: Path) -> None:
    """The runtime lock before httpx was added (issue 19): the CLI could not even start."""
    lock = tmp_path / "requirements.lock"
    lock.write_text(_without(RUNTIME_LOCK.read_text(), "httpx"))
    assert "httpx" not in pinned(lock) and "fastapi" in pinned(lock)
    missing = unpinned(lock)
    assert set(missing) == {"httpx"}
    assert "geo/notices/delivery.py" in missing["httpx"]


def _without(lock_text: str, name: str) -> str:
    """The lock text without one distribution's entry (its line, hashes and `# via` lines)."""
    entry = re.compile(rf"^{re.escape(name)}==.*?(?=^\S)", flags=re.MULTILINE | re.DOTALL)
    return entry.sub("", lock_text, count=1)
