"""Admin API tokens: 256-bit random, stored as SHA-256, shown once, roles viewer < editor < admin."""

from __future__ import annotations

from sqlmodel import Session, col, select

from governance.clock import utcnow
from governance.errors import NotFound, ValidationFailed
from governance.registry.audit import record
from governance.registry.secrets import display_prefix, hash_secret, new_id, new_secret
from governance.registry.tables import ApiTokenRow

ROLES = ("viewer", "editor", "admin")


def role_rank(role: str) -> int:
    return ROLES.index(role)


def create_token(
    session: Session, *, role: str, name: str, actor: str, secret: str | None = None
) -> tuple[ApiTokenRow, str]:
    """Register a token (a new random one unless ``secret`` is given, for bootstrap)."""
    if role not in ROLES:
        raise ValidationFailed(f"role: must be one of {list(ROLES)}", details=[{"path": "role"}])
    secret = secret or new_secret("gov")
    digest = hash_secret(secret)
    existing = session.exec(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest)).first()
    if existing is not None:
        return existing, secret
    row = ApiTokenRow(id=new_id("tok"), name=name, role=role, token_hash=digest, prefix=display_prefix(secret))
    session.add(row)
    session.flush()
    record(session, actor=actor, action="token.create", entity="token", entity_id=row.id,
           details={"role": role, "name": name})
    return row, secret


def authenticate(session: Session, secret: str) -> ApiTokenRow | None:
    return session.exec(
        select(ApiTokenRow).where(
            ApiTokenRow.token_hash == hash_secret(secret), col(ApiTokenRow.revoked_at).is_(None)
        )
    ).first()


def list_tokens(session: Session) -> list[ApiTokenRow]:
    return list(session.exec(select(ApiTokenRow).order_by(col(ApiTokenRow.created_at))).all())


def revoke_token(session: Session, *, token_id: str, actor: str) -> None:
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFound(f"token {token_id!r} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        record(session, actor=actor, action="token.revoke", entity="token", entity_id=row.id)
