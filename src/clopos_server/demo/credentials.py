"""What an integrator needs to talk to a server holding the demo brands, as ``clopos-server sandbox``
prints it and the landing page shows it. Here, with the demo brands, so that the landing page (``api/``)
and the sandbox (an entry point above it) share it without the page importing the sandbox."""

from __future__ import annotations

from typing import Any

from clopos_server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PROD_INTEGRATOR,
    DEMO_TEST_INTEGRATOR,
)

V1_PREFIX = "/open-api"
V2_PREFIX = "/open-api/v2"
DEMO_VENUE = 1
BOARD_LOGINS = {"owner": "owner-demo-1", "cashier": "cashier-demo-1"}  # staff of the demo brand


def demo_credentials(base_url: str) -> dict[str, Any]:
    """What an integrator needs to talk to a server holding the demo brands: the base URL, the v1 and v2
    login bodies, the board's staff logins. The JSON that ``clopos-server sandbox`` prints."""
    return {
        "base_url": base_url,
        "brand": DEMO_BRAND,
        "venue_id": DEMO_VENUE,
        "v1": {
            "prefix": V1_PREFIX,
            "auth": {
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "brand": DEMO_BRAND,
                "venue_id": DEMO_VENUE,
            },
        },
        "v2": {
            "prefix": V2_PREFIX,
            "auth": {
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "brand": DEMO_BRAND,
                "integrator_id": DEMO_TEST_INTEGRATOR,
            },
            "production_integrator": DEMO_PROD_INTEGRATOR,
        },
        "board": {"url": f"{base_url}/board/login?brand={DEMO_BRAND}", "logins": dict(BOARD_LOGINS)},
        "docs": f"{base_url}/docs",
    }
