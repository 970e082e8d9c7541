"""Who may call what: integrator scopes, staff-user abilities (through roles) and brand modules.

API, for routes (the back-office endpoints of issue 17 use it; older endpoints are not gated)::

    from clopos_server.auth.access import require

    @router.get("/stock", **operation(..., errors=[403]))
    async def list_stock(request: Request, context: AuthContext = Depends(require(scope="stock:read",
                         ability="STOCK_VIEW"))) -> Response: ...

    Depends(require(scope="finance-cash-shifts:read", ability="CASH_SHIFT_VIEW", module="cash_shift"))

``require(scope=..., ability=None, module=None)`` is a FastAPI dependency: it authenticates like
``require_auth`` (401 first) and answers the :class:`AuthContext`, or raises 403 ``forbidden`` naming what
is missing, checked in this order: ``"Module cash_shift is not available"`` (the brand lacks the module),
``"Integrator lacks scope stock:read"`` (a v2 token whose integrator lacks the scope; v1 credentials have
no integrator and are not scope-checked), ``"User lacks ability STOCK_VIEW"`` (the client's staff user's
role does not grant it). Outside HTTP: :func:`abilities_of` (a staff user's abilities), :func:`role_of`,
:func:`has_module`, and the vocabularies ``SCOPES``, ``ABILITIES``, ``BUILTIN_ROLES``, ``MODULES``.

Where they live: an integrator's scopes in ``integrators.scopes`` (cached in the directory, so a change
is seen everywhere within ``CLOPOS_REVOCATION_REFRESH_SECONDS``); a brand's modules in ``brands.modules``
(also cached); a staff user's role in ``staff_users.role`` (read per request: a changed role counts at
once). A user without a role is ``owner`` when flagged owner, else ``cashier``. Custom roles are the
brand's ``roles`` rows (from the brand document). Operators change them with ``clopos-server integrators
scopes ID --add S --remove S`` and ``clopos-server users set-role``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from clopos_server.auth.context import AuthContext, require_auth
from clopos_server.auth.directory import BrandInfo
from clopos_server.db.backoffice_models import Role
from clopos_server.db.engine import Database
from clopos_server.db.models import Brand, Integrator, StaffUser
from clopos_server.errors import ApiError
from clopos_server.services import services_of
from clopos_server.timeutil import utcnow

SCOPES: tuple[str, ...] = (
    "orders:write",
    "orders:read",
    "receipts:read",
    "stock:read",
    "stock-operations:read",
    "operations:read",
    "operation-items:read",
    "storages:read",
    "suppliers:read",
    "finance-balances:read",
    "finance-cash-shifts:read",
    "finance-categories:read",
    "finance-taxes:read",
    "finance-transactions:read",
    "catalog:read",
    "customers:read",
    "customers:write",
    "waiter-call:write",
)
ABILITIES: tuple[str, ...] = (
    "STOCK_VIEW",
    "STOCK_STORAGE_VIEW",
    "STOCK_SUPPLIER_VIEW",
    "FINANCE_BALANCE_VIEW",
    "CASH_SHIFT_VIEW",
    "FINANCE_CATEGORY_VIEW",
    "TAX_VIEW",
    "TAX_REPORT_SHOW",
    "FINANCE_TRANSACTION_VIEW",
    "RECEIPT_VIEW",
)
MODULES: tuple[str, ...] = ("cash_shift", "restaurant_emenu", "call_center")
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "owner": frozenset(ABILITIES),
    "manager": frozenset(ABILITIES) - {"FINANCE_BALANCE_VIEW", "FINANCE_TRANSACTION_VIEW"},
    "cashier": frozenset({"RECEIPT_VIEW", "CASH_SHIFT_VIEW"}),
}
MANAGER_ROLES = frozenset({"owner", "manager"})  # who may record stock on the board


class AccessError(Exception):
    """An operator mistake in a scope or role change, said in plain words."""


def forbidden(message: str) -> ApiError:
    return ApiError("forbidden", message)


def has_module(brand: BrandInfo, module: str) -> bool:
    return module in brand.modules


async def role_of(conn: AsyncConnection, brand_id: int, user_id: int) -> str | None:
    """The staff user's role name (``None``: no such user of this brand)."""
    row = (
        await conn.execute(
            select(StaffUser.role, StaffUser.owner).where(
                StaffUser.brand_id == brand_id, StaffUser.id == user_id
            )
        )
    ).first()
    if row is None:
        return None
    return row.role or ("owner" if row.owner else "cashier")


async def abilities_of(conn: AsyncConnection, brand_id: int, user_id: int) -> frozenset[str]:
    """What the staff user may see: their built-in role's abilities, or their custom role's."""
    role = await role_of(conn, brand_id, user_id)
    if role is None:
        return frozenset()
    if role in BUILTIN_ROLES:
        return BUILTIN_ROLES[role]
    stored = (
        await conn.execute(select(Role.abilities).where(Role.brand_id == brand_id, Role.name == role))
    ).scalar_one_or_none()
    return frozenset(stored or ())


def require(
    *, scope: str, ability: str | None = None, module: str | None = None
) -> Callable[[Request], Awaitable[AuthContext]]:
    """A FastAPI dependency: the caller, authenticated, holding ``scope``, ``ability`` and ``module``."""
    if scope not in SCOPES or (ability is not None and ability not in ABILITIES):
        raise ValueError(f"unknown scope {scope!r} or ability {ability!r}")
    if module is not None and module not in MODULES:
        raise ValueError(f"unknown module {module!r}")

    async def dependency(request: Request) -> AuthContext:
        context = await require_auth(request)
        if module is not None and not has_module(context.brand, module):
            raise forbidden(f"Module {module} is not available")
        services = services_of(request)
        if context.integrator_id is not None:
            scopes = services.directory.integrator_scopes.get(context.integrator_id, frozenset())
            if scope not in scopes:
                raise forbidden(f"Integrator lacks scope {scope}")
        if ability is not None:
            async with services.db.read() as conn:
                abilities = await abilities_of(conn, context.brand.id, context.user_id)
            if ability not in abilities:
                raise forbidden(f"User lacks ability {ability}")
        return context

    return dependency


# --------------------------------------------------------------------------- operator changes (CLI)


def _unknown(values: Iterable[str], known: Iterable[str]) -> list[str]:
    allowed = set(known)
    return sorted(v for v in values if v not in allowed)


async def change_scopes(
    db: Database, integrator_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    """Grant ``add`` and revoke ``remove``; the integrator's scopes after, in vocabulary order."""
    add, remove = list(add), list(remove)
    unknown = _unknown([*add, *remove], SCOPES)
    if unknown:
        raise AccessError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    async with db.write() as conn:
        current = (
            await conn.execute(select(Integrator.scopes).where(Integrator.id == integrator_id))
        ).first()
        if current is None:
            raise AccessError(f"no integrator {integrator_id!r}")
        held = (set(current.scopes or ()) | set(add)) - set(remove)
        scopes = [s for s in SCOPES if s in held]
        await conn.execute(
            update(Integrator)
            .where(Integrator.id == integrator_id)
            .values(scopes=scopes, updated_at=utcnow())
        )
    return scopes


async def set_role(db: Database, brand_slug: str, username: str, role: str) -> frozenset[str]:
    """Give a staff user a built-in or custom role; the abilities it grants."""
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == brand_slug))).scalar_one_or_none()
        if brand_id is None:
            raise AccessError(f"no brand {brand_slug!r}")
        custom = (
            await conn.execute(select(Role.name).where(Role.brand_id == brand_id).order_by(Role.name))
        ).scalars()
        known = [*BUILTIN_ROLES, *custom]
        if role not in known:
            raise AccessError(f"{brand_slug} has no role {role!r}; roles: {', '.join(known)}")
        changed = await conn.execute(
            update(StaffUser)
            .where(StaffUser.brand_id == brand_id, StaffUser.username == username)
            .values(role=role, updated_at=utcnow())
            .returning(StaffUser.id)
        )
        user_id = changed.scalar_one_or_none()
        if user_id is None:
            raise AccessError(f"{brand_slug} has no staff user {username!r}")
        return await abilities_of(conn, brand_id, user_id)
