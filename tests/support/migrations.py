"""Moving a test's database between revisions with alembic, as ``clopos-server migrate`` does."""

from __future__ import annotations

from alembic import command
from sqlalchemy.engine import Connection

from clopos_server.db.engine import Database
from clopos_server.db.migrate import alembic_config


async def migrate(db: Database, step: str, revision: str) -> None:
    """``alembic upgrade|downgrade revision`` on ``db``."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)

    async with db.engine.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()
