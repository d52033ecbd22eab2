"""``python -m talentstats.dashboard.kernel -f CONNECTION_FILE``: the IPython kernel of ``talentstats dashboard``
(its kernelspec is written by :mod:`talentstats.serve`): ipykernel's own, which starts :mod:`~.warm` as soon as it
is up, so that the dashboard's imports and data are ready when the page asks for them."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the kernel (as ``ipykernel_launcher`` does), warming up once it is initialised."""
    if sys.path and sys.path[0] == "":
        del sys.path[0]  # (as ipykernel_launcher: not the working directory's modules)
    from ipykernel.kernelapp import IPKernelApp

    from talentstats.dashboard import warm

    app = IPKernelApp.instance()
    app.initialize()
    warm.start()
    app.start()


if __name__ == "__main__":
    main()
