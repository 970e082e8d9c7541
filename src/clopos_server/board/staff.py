"""Staff users on the board: sign-in, the venues a user may see, and the context the services act with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update

from clopos_server.auth.context import AuthContext
from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.auth.passwords import hash_secret_async, verify_secret_async
from clopos_server.db.engine import Database
from clopos_server.db.models import Brand, StaffUser
from clopos_server.kit.values import storable
from clopos_server.timeutil import utcnow

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    brand_id: int
    username: str
    display_name: str
    venue_id: int | None  # None: every venue of the brand
    password_hash: str | None
    language: str = "en"  # the board's language for this user


@dataclass(frozen=True, slots=True)
class BoardContext(AuthContext):
    """An :class:`AuthContext` for a staff user acting on the board (no API client behind it).

    ``api_client_id`` is 0; history and idempotency scopes name the staff user instead.
    """

    @property
    def credential_ref(self) -> str:
        return f"staff:{self.user_id}"


def board_context(brand: BrandInfo, venue_id: int, staff: Staff) -> BoardContext:
    return BoardContext("board", brand, venue_id, 0, staff.id)


def display_name(row: Any) -> str:
    """First and last name, or the username when neither is set (a row with those three columns)."""
    return f"{row.first_name or ''} {row.last_name or ''}".strip() or str(row.username)


def _staff(row: Row[Any]) -> Staff:
    return Staff(
        id=row.id,
        brand_id=row.brand_id,
        username=row.username,
        display_name=display_name(row),
        venue_id=row.venue_id,
        password_hash=row.password_hash,
        language=row.language or "en",
    )


async def load_staff(db: Database, brand_id: int, user_id: int) -> Staff | None:
    """The active staff user, or ``None`` (gone, or switched off)."""
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(StaffUser).where(
                    StaffUser.brand_id == brand_id, StaffUser.id == user_id, StaffUser.status.is_(True)
                )
            )
        ).first()
    return None if row is None else _staff(row)


async def authenticate(db: Database, brand: BrandInfo | None, username: str, password: str) -> Staff | None:
    """The staff user when brand, username and password match; argon2 runs in a worker thread, and an
    unknown brand or user costs the same hash check, so timing does not tell which part was wrong."""
    row = None
    if brand is not None and username and storable(username):  # PostgreSQL refuses NUL in a parameter
        async with db.read() as conn:
            row = (
                await conn.execute(
                    select(StaffUser).where(
                        StaffUser.brand_id == brand.id,
                        StaffUser.username == username,
                        StaffUser.status.is_(True),
                    )
                )
            ).first()
    stored = row.password_hash if row is not None and row.password_hash else None
    matches = await verify_secret_async(stored, password)
    if row is None or stored is None or not matches:
        return None
    return _staff(row)


def venues_of(staff: Staff, brand: BrandInfo) -> list[VenueInfo]:
    """The venues a staff user sees: all of the brand's, or the one the user belongs to."""
    venues = sorted(brand.venues.values(), key=lambda v: v.id)
    if staff.venue_id is not None:
        venues = [v for v in venues if v.id == staff.venue_id]
    return venues


async def set_language(db: Database, brand_id: int, user_id: int, language: str) -> None:
    """The staff user's board language, kept with the user (every device they sign in on uses it)."""
    async with db.write() as conn:
        await conn.execute(
            update(StaffUser)
            .where(StaffUser.brand_id == brand_id, StaffUser.id == user_id)
            .values(language=language, updated_at=utcnow())
        )


class PasswordError(ValueError):
    """An operator mistake (no such brand or user, a too-short password), said in a sentence."""


async def set_password(db: Database, brand_slug: str, username: str, password: str) -> int:
    """Set a staff user's board password (stored as an argon2 hash); returns the user's id.

    Every session signed in with the old password ends (the session cookie carries a tag of the hash).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await hash_secret_async(password)
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == brand_slug))).scalar_one_or_none()
        if brand_id is None:
            raise PasswordError(f"no brand {brand_slug!r}")
        user_id = (
            await conn.execute(
                update(StaffUser)
                .where(StaffUser.brand_id == brand_id, StaffUser.username == username)
                .values(password_hash=password_hash, updated_at=utcnow())
                .returning(StaffUser.id)
            )
        ).scalar_one_or_none()
        if user_id is None:
            raise PasswordError(f"brand {brand_slug!r} has no staff user {username!r}")
    return int(user_id)
