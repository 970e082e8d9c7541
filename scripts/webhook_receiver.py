"""A webhook receiver to run beside ``make run`` (docs/webhooks.md): prints every delivery it gets, when it
arrived, and whether its signature verifies. Standard library only.

    python scripts/webhook_receiver.py --port 9000 --secret whsec_...

Without ``--secret`` it prints deliveries unverified (create the endpoint first, then restart it with the
secret the create answered).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 5 * 60  # seconds a webhook-timestamp may be off: an older delivery could be a replay


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` under the secret's bytes, any
    of the space-separated ``v1,`` signatures (two during a secret rotation's overlap)."""
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split(" "))


def handler(secret: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            event = json.loads(body)
            check = (
                "unverified" if secret is None else ("verified" if verified(secret, headers, body) else "BAD")
            )
            at = datetime.now().strftime("%H:%M:%S.%f")[:-3]  # when it arrived: compare with your request's
            print(f"{at}  {event['type']:<18} {event['data']['event_id']}  signature {check}", flush=True)
            self.send_response(204 if check != "BAD" else 400)
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", help="the endpoint's whsec_ secret")
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), handler(options.secret))
    print(f"listening on http://127.0.0.1:{options.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
