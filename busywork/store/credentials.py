"""Stored OAuth credentials: one encrypted token set per business and connector."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Credential(SQLModel, table=True):
    """A connector's tokens, encrypted with the keys in ``BUSYWORK_SECRET_KEYS``.

    ``version`` grows on every write, so two workers refreshing a rotating refresh token at
    once cannot silently overwrite each other: the loser sees the winner's tokens instead.
    """

    __tablename__ = "credential"

    business: str = Field(primary_key=True, max_length=64)
    connector: str = Field(primary_key=True, max_length=64)
    #: Fernet token of the JSON token set; never the clear text.
    ciphertext: str = Field(sa_type=sa.Text)
    version: int = Field(default=1)
    updated_at: datetime
