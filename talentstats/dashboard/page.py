"""The page Voilà serves for ``talentstats dashboard``: its template (nothing fetched from the network), the trust of
the served notebook, and a start-up shortcut for the kernel.

- Voilà's ``lab`` template links Font Awesome from a CDN (a stalled or failed request offline; the dashboard uses no
  icon). :func:`write_template` writes a template ``talentstats`` based on it that drops every ``<link>`` to another
  server and preloads plotly's widget bundle from the server itself while the kernel starts.
- jupyter_server warns "Notebook ... is not trusted" for an unsigned notebook: :func:`sign_notebook` signs the
  served copy with a key kept in the server's own temporary folder (``--NotebookNotary.data_dir``).
- :func:`talentstats.fastimport.skip_iri_grammar` before nbformat is imported: plotly's FigureWidget imports nbformat,
  hence jsonschema, whose optional ``rfc3987_syntax`` compiles some 40 grammars at import (about 4 s here).

Standard library only (nbformat is imported by :func:`sign_notebook` alone, after the shortcut).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from talentstats.fastimport import skip_iri_grammar

__all__ = ["KERNEL_NAME", "TEMPLATE_NAME", "prepare_notebook", "write_kernelspec",
           "write_template"]

TEMPLATE_NAME = "talentstats"
#: the kernel of the served notebook: ipykernel with a head start (:mod:`talentstats.dashboard.kernel`)
KERNEL_NAME = "talentstats-dashboard"

#: Voilà's lab page with every ``<link>`` to another server left out, plus a preload of the figure bundle
_INDEX = """{%- extends 'voila/templates/lab/index.html.j2' -%}
{%- block notebook_css -%}
{%- for line in super().split('\\n') -%}
{%- if not (line.lstrip().startswith('<link') and '://' in line) %}
{{ line }}
{%- endif -%}
{%- endfor %}
@PRELOAD@
{%- endblock notebook_css -%}
"""
_PRELOAD = '<link rel="modulepreload" href="{{ resources.base_url }}voila/files/%s">'


def write_template(folder: Path, bundle: str | None) -> Path:
    """Write the ``talentstats`` Voilà template under ``folder``.

    Args:
        folder: an existing folder (the server's temporary folder).
        bundle: the file name of plotly's widget bundle as served under ``voila/files/`` (preloaded), or None.

    Returns:
        The Jupyter data folder to put first on ``JUPYTER_PATH`` (it holds ``voila/templates/talentstats``).
    """
    data = folder / "share" / "jupyter"
    template = data / "voila" / "templates" / TEMPLATE_NAME
    template.mkdir(parents=True, exist_ok=True)
    (template / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    index = _INDEX.replace("@PRELOAD@", _PRELOAD % bundle if bundle else "")
    (template / "index.html.j2").write_text(index, encoding="utf-8")
    return data


def write_kernelspec(data: Path) -> None:
    """Write the kernelspec :data:`KERNEL_NAME` under the Jupyter data folder ``data`` (this Python, its module
    :mod:`talentstats.dashboard.kernel`; CurveZMQ transport encryption supported, as ipykernel's).

    Args:
        data: the folder put first on ``JUPYTER_PATH`` (:func:`write_template`'s).
    """
    folder = data / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "talentstats.dashboard.kernel", "-f", "{connection_file}"],
            "display_name": "talentstats dashboard", "language": "python",
            "metadata": {"supported_encryption": ["curve"]}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


#: the tag of a notebook cell for JupyterLab and the tests only, left out of the served page
OFF_PAGE = "off-page"


def prepare_notebook(notebook: Path, data_dir: Path) -> None:
    """Leave out the cells tagged :data:`OFF_PAGE`, set the notebook's kernel to :data:`KERNEL_NAME`, then sign it
    with the key and signature store in ``data_dir`` (created), as a Jupyter server given
    ``--NotebookNotary.data_dir=data_dir`` checks it.

    Args:
        notebook: the notebook file (rewritten).
        data_dir: the notary's folder.
    """
    skip_iri_grammar()
    import nbformat
    from nbformat.sign import NotebookNotary

    data_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if OFF_PAGE not in c.get("metadata", {}).get("tags", [])]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "talentstats dashboard", "language": "python"}
    nbformat.write(nb, notebook)
    NotebookNotary(data_dir=str(data_dir)).sign(nb)
