"""The typed dependencies of the API's routes, as ``Annotated`` aliases a handler declares as parameters.

``Svc``: what the app holds (``Services``: settings, database, directory, signer, caches, bus).
``Auth``: who is calling (``AuthContext``: brand, venue, API client, integrator), authenticated once per
request by ``auth.context.require_auth``, which also charges the rate limit and rehearses armed faults.

    async def get_thing(thing_id: str, request: Request, context: Auth, services: Svc) -> Response: ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from clopos_server.auth.context import AuthContext, require_auth
from clopos_server.services import Services, services_of


async def services_dep(request: Request) -> Services:
    """The app's services (async: FastAPI would run a plain function in its thread pool)."""
    return services_of(request)


Svc = Annotated[Services, Depends(services_dep)]
Auth = Annotated[AuthContext, Depends(require_auth)]
