"""Board sessions ended at sign-out, kept in the database so that every instance refuses their cookie.

A session lives only in its signed cookie, valid until it expires: nothing on the server knew it existed,
so a copy of the cookie kept working after sign-out. Sign-out now writes the session id here until the
moment the cookie would have expired anyway, and each signed-in request looks the id up (one primary-key
read), on whichever instance serves it. Rows past their expiry are pruned at each sign-out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clopos_server.board.sessions import BoardSession
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import RevokedBoardSession
from clopos_server.timeutil import utcnow


async def revoke(db: Database, session: BoardSession) -> None:
    """End ``session`` everywhere; signing out twice (a copied cookie signing out too) is no error."""
    insert = sqlite_insert if dialect_of(db) == "sqlite" else pg_insert
    expires = datetime.fromtimestamp(session.expires, UTC)
    async with db.write() as conn:
        await conn.execute(delete(RevokedBoardSession).where(RevokedBoardSession.expires_at < utcnow()))
        await conn.execute(
            insert(RevokedBoardSession)
            .values(sid=session.sid, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["sid"])
        )


async def is_revoked(db: Database, session: BoardSession) -> bool:
    async with db.read() as conn:
        found = await conn.execute(
            select(RevokedBoardSession.sid).where(RevokedBoardSession.sid == session.sid)
        )
        return found.first() is not None
