"""Skip an optional import that costs seconds and gives this project nothing, in its own processes.

jsonschema, which nbformat (and so nbgrader and nbclient) imports, imports `rfc3987_syntax`
when it is installed, only to check strings of the "iri" format, and that import builds a
parser: `import nbformat` takes 3.0 s with it and 0.5 s without, here. No schema that
nbformat, nbgrader or jupyter_events validates uses the "iri" formats, so nothing else changes.
Called where the project's own processes start (the command line, the classroom package that
Dask workers import, the tests); a learner's kernel and other people's processes are left alone.
"""

from __future__ import annotations

import sys

UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_unused_optional_imports() -> None:
    """Make these imports fail as if the packages were absent (unless already imported).

    >>> skip_unused_optional_imports()
    >>> try:
    ...     import rfc3987_syntax
    ... except ImportError:
    ...     print("skipped")
    skipped
    """
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)
