"""Who may talk to the dashboard server: the address it binds, the Host names it answers, the Origins it accepts.

Standard library only: :mod:`talentstats.serve` checks the arguments with it before Voilà starts, and
:mod:`talentstats.dashboard.guard` (inside the Voilà process) applies the same rules to every request.

* **Host**: a request is answered only when its ``Host`` header names this server: ``localhost``, a loopback
  address, the address it is bound to (when that is one address) or a name given with ``allow_hosts``. A page
  of another site whose name was re-pointed at this machine (DNS rebinding) sends its own name: refused.
* **Origin**: a request that carries an ``Origin`` must come from the page's own origin (scheme ``http`` or
  ``https``, the same host and port as ``Host``); ``null`` and every other site are refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from talentstats.errors import UsageError

#: the names a local server answers to without being told
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: the address served on by default
DEFAULT_BIND = "127.0.0.1"
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def check_bind(bind: str) -> str:
    """The address to listen on: one IP address (``127.0.0.1``, ``::1``, ``192.168.1.20``), ``0.0.0.0`` / ``::``
    for every interface, or ``localhost``.

    Raises:
        UsageError: anything else (naming the parameter ``bind``).
    """
    text = str(bind).strip()
    if text.lower() == "localhost":
        return DEFAULT_BIND
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise UsageError("expected an IP address such as 127.0.0.1 or 0.0.0.0 (every interface)",
                         parameter="bind", value=bind)


def is_local(bind: str) -> bool:
    """True when a (checked) bind address is reachable from this machine only (a loopback address)."""
    return ipaddress.ip_address(bind).is_loopback


def check_allow_host(name: str) -> str:
    """A host name or IP address the server may be reached by, lower case; no port, scheme or wildcard.

    Raises:
        UsageError: not a host name or address (naming the parameter ``allow_host``).
    """
    text = str(name).strip().lower()
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    labels = text.rstrip(".").split(".")
    if not text or len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UsageError("expected a host name or IP address, without scheme, port or wildcard "
                         "(e.g. dashboard.example.com)", parameter="allow_host", value=name)
    return text.rstrip(".")


def allowed_hosts(bind: str, extra: Sequence[str] = ()) -> list[str]:
    """Every Host the server answers: the local names, the bound address when it is one address, ``extra``.

    Args:
        bind: the checked bind address.
        extra: names given with ``allow_hosts`` (checked).

    Returns:
        Lower-case names and canonical addresses, without duplicates, in that order.
    """
    names = [*LOCAL_HOSTS]
    if not ipaddress.ip_address(bind).is_unspecified:
        names.append(bind)
    names += [check_allow_host(h) for h in extra]
    return list(dict.fromkeys(names))


def split_host(host: str) -> tuple[str, str]:
    """``Host`` header -> (name or address in lower case, port text): ``[::1]:8866`` -> (``::1``, ``8866``)."""
    host = host.strip().lower()
    match = re.fullmatch(r"\[([^\]]*)\](?::(\d*))?|([^:\[\]]*)(?::(\d*))?", host)
    if match is None:
        return host, ""
    name = match.group(1) if match.group(1) is not None else match.group(3)
    port = match.group(2) if match.group(1) is not None else match.group(4)
    return name.rstrip("."), port or ""


def host_allowed(host: str | None, allowed: Collection[str]) -> bool:
    """True when a request's ``Host`` header names this server.

    Args:
        host: the header (``localhost:8866``), None when absent.
        allowed: see :func:`allowed_hosts`.

    Returns:
        Whether to answer: a loopback address or a name or address in ``allowed``.
    """
    if not host:
        return False
    name, _ = split_host(host)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name in allowed
    return address.is_loopback or str(address) in allowed


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """True when a request's ``Origin`` (if it has one) is the page's own: http(s) and the same host and port as
    ``Host``.

    Args:
        origin: the ``Origin`` header, None when absent (a navigation or a script outside a browser).
        host: the ``Host`` header.

    Returns:
        Whether the origin is acceptable.
    """
    if origin is None:
        return True
    parts = urlsplit(origin.strip().lower())
    if parts.scheme not in ("http", "https") or not host:
        return False
    return split_host(parts.netloc) == split_host(host)


__all__ = ["DEFAULT_BIND", "LOCAL_HOSTS", "allowed_hosts", "check_allow_host", "check_bind", "host_allowed",
           "is_local", "origin_allowed", "split_host"]
