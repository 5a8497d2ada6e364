"""maps/static/work/vocabulary.js: geo/core/vocabulary.py as an ES module for the workspace pages.

A static file rather than an API answer so that the service worker precaches it with the
scripts (maps/work MODULES): the labels are on the phone offline, and come with no extra request
before the first screen. `make vocabulary` writes it; tests/test_vocabulary.py fails when the
file and the Python module differ.
"""

import json

from geo.core.vocabulary import as_json
from maps.base import STATIC_DIR

PATH = STATIC_DIR / "work" / "vocabulary.js"
HEADER = (
    "/* Generated from geo/core/vocabulary.py by `make vocabulary` (maps/vocabulary_file.py):\n"
    " * change the words there, never here. */\n"
)


def module_text() -> str:
    """The module's source: one line per table, so a changed label is a one-line diff."""
    lines = (
        f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in as_json().items()
    )
    return HEADER + "export const VOCABULARY = {\n" + ",\n".join(lines) + ",\n};\n"


def write() -> None:
    """Write the module where the pages load it from."""
    PATH.write_text(module_text(), encoding="utf-8")


if __name__ == "__main__":
    write()
