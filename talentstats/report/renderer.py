"""The plotly renderer of a report kernel: plotly's ``notebook`` renderer, embedding the report's plotly.js.

plotly's ``notebook`` renderer puts the full plotly.js (4.8 MB) in the first chart's output; the exported page
then swaps it for the vendored partial bundle (:func:`talentstats.report.csp.embed_plotly_js`). Embedding the
page's plotly.js from the start spares every report the 4.8 MB's trip from the kernel through the executed
notebook to the export (about 0.2 s a week); the page is the same.
"""

from __future__ import annotations

#: the name the renderer is registered under in ``plotly.io.renderers``
NAME = "talentstats_notebook"


def use_report_renderer() -> None:
    """Register the renderer and put it in place of ``notebook`` in plotly's default renderers (when there)."""
    import plotly.io as pio
    from plotly.io._base_renderers import NotebookRenderer, _mathjax_config, _window_plotly_config

    from talentstats.report.csp import BUNDLE_TRACES, page_plotly_js

    class ReportNotebookRenderer(NotebookRenderer):
        """plotly's notebook renderer whose one-time initialisation embeds the report's plotly.js."""

        def activate(self) -> None:
            from IPython.display import display_html

            script = ("        <script>\n        " + _window_plotly_config + "\n        " + _mathjax_config
                      + "\n        </script>\n        <script>" + page_plotly_js(BUNDLE_TRACES)
                      + "</script>\n        ")
            display_html(script, raw=True)

    if NAME not in pio.renderers:
        pio.renderers[NAME] = ReportNotebookRenderer()
    names = pio.renderers.default.split("+")
    if "notebook" in names:
        pio.renderers.default = "+".join(NAME if n == "notebook" else n for n in names)


__all__ = ["NAME", "use_report_renderer"]
