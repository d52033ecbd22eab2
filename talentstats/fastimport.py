"""Import-time savings of the report process and its notebook kernel.

``nbformat`` (imported by the report run, and by plotly in the kernel to show a chart) imports ``jsonschema``,
whose format checkers import ``rfc3987_syntax`` when it is installed (``jsonschema[format-nongpl]``, pulled in by
the Jupyter stack). That module compiles an Earley grammar at import: 1.5-4 s measured here, twice per report
(this process and the kernel). Only the ``iri`` / ``iri-reference`` formats of draft-7+ schemas use it; nbformat
validates notebooks with draft 4 and no format checker, so a report never does.
"""

from __future__ import annotations

import sys


def skip_iri_grammar() -> None:
    """Leave jsonschema's ``iri`` format checkers out of this process (see the module) by marking
    ``rfc3987_syntax`` as not importable; a no-op once jsonschema is imported (nothing left to save) or when the
    module is already loaded."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


__all__ = ["skip_iri_grammar"]
