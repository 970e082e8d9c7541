"""The other half of ``lose_answer`` (clopos_server.faults): the request did its work and committed; its
answer is dropped here and the client gets what a gateway that lost it sends, a 502 or a closed
connection."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos_server.api.middleware import send_error
from clopos_server.faults.rehearsal import LOST, lost_answer


class ConnectionDropped(Exception):
    """Raised after the answer began, so that the server closes the connection mid-answer."""


class LostAnswerMiddleware:
    def __init__(self, app: ASGIApp, error_format: str = "list") -> None:
        self.app = app
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        dropped = False

        async def send_or_drop(message: Message) -> None:
            nonlocal dropped
            lost = state.get(LOST)
            if lost is None:
                await send(message)
                return
            if message["type"] == "http.response.start" and not dropped:
                dropped = True
                rule_id, lose_as = lost
                if lose_as == "closed_connection":
                    await send({"type": "http.response.start", "status": 502, "headers": []})
                    raise ConnectionDropped(f"rehearsed fault {rule_id}: connection closed")
                await send_error(send, lost_answer(rule_id), self.error_format)

        await self.app(scope, receive, send_or_drop)
