"""The dashboard server's guards, loaded by Voilà itself (``talentstats dashboard`` names them in its command).

* :class:`GuardedIdentityProvider` checks the ``Host`` and ``Origin`` of every request Jupyter's handlers serve
  (the page, the kernel websocket, the kernel API, the login page) before it checks the token, with the rules
  of :mod:`talentstats.dashboard.access`. jupyter_server's own Host check (``allow_remote_access``,
  ``local_hostnames``) accepts names but no address other than loopback ones, so it cannot express an allowed
  LAN address; this one rule does both.
* :class:`CappedKernelManager` refuses to start more than ``max_kernels`` kernels at once (each holds a copy of
  the data, some 200 MB): the page is answered "503 busy" instead. Idle kernels whose page is gone are culled by
  jupyter_server's own culler (``MappingKernelManager.cull_idle_timeout``), set short by the command.

Importing this module imports jupyter_server and tornado: only the Voilà process does.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer, List, Unicode

from talentstats.dashboard.access import LOCAL_HOSTS, host_allowed, origin_allowed


class GuardedIdentityProvider(PasswordIdentityProvider):  # type: ignore[misc]
    """Jupyter's token identity provider behind a Host and Origin check (403 when either is foreign)."""

    allowed_hosts = List(Unicode(), default_value=list(LOCAL_HOSTS),
                         help="Host names and addresses the server answers (loopback addresses always).").tag(
                             config=True)

    def get_user(self, handler: web.RequestHandler) -> Any:
        """Refuse a request for another Host or from another Origin, then authenticate it as Jupyter does.

        Args:
            handler: the request's handler.

        Returns:
            The user (see ``PasswordIdentityProvider.get_user``).

        Raises:
            tornado.web.HTTPError: 403 for a foreign Host or Origin.
        """
        headers = handler.request.headers
        host = headers.get("Host")
        if not host_allowed(host, self.allowed_hosts):
            self.log.warning("talentstats: refused a request for Host %r (not one of %s; see --allow-host)",
                             host, ", ".join(self.allowed_hosts))
            raise web.HTTPError(403, "Host not allowed", reason="Host not allowed (see --allow-host)")
        origin = headers.get("Origin") or headers.get("Sec-Websocket-Origin")
        if not origin_allowed(origin, host):
            self.log.warning("talentstats: refused a request from Origin %r for Host %r", origin, host)
            raise web.HTTPError(403, "Origin not allowed", reason="Cross-origin request refused")
        return super().get_user(handler)


class CappedKernelManager(AsyncMappingKernelManager):  # type: ignore[misc]
    """jupyter_server's kernel manager with a cap on kernels running (or starting) at once."""

    max_kernels = Integer(4, help="Kernels (open dashboards) at most at once; more get 503.").tag(config=True)
    _starting = 0

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        """Start a kernel unless ``max_kernels`` are running or starting already.

        Raises:
            tornado.web.HTTPError: 503 when the cap is reached.
        """
        kernel_id = kwargs.get("kernel_id")
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(*args, **kwargs)
        if len(self.list_kernel_ids()) + self._starting >= self.max_kernels:
            self.log.warning("talentstats: %d dashboards open, the most allowed (--max-kernels): refused one more",
                             self.max_kernels)
            raise web.HTTPError(503, f"{self.max_kernels} dashboards open", reason=f"{self.max_kernels} dashboards "
                                "are open, the most this server allows; close one or try again in a few minutes")
        self._starting += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1


__all__ = ["CappedKernelManager", "GuardedIdentityProvider"]
