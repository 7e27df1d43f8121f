"""Request and answer bodies of the HQ distribution API (pydantic, with limits).

Shapes follow :mod:`kassa.hq.distribution`; ids are UUID text, times ISO-8601 UTC, sizes in
bytes, package numbers per channel data group.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Largest package number / checkpoint accepted (BigInteger).
MAX_NUMBER = 2**62
#: Largest store, data group, job or schedule id accepted in a path or query (``Integer``
#: columns: 32 bits on PostgreSQL).
MAX_ID = 2**31 - 1
MODE_DESCRIPTION = "register mode as shown in its status header"


class Strict(BaseModel):
    """Request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class JobOut(BaseModel):
    id: int
    name: str
    tables: list[str]
    exclude_from_offline: bool


class ScheduleOut(BaseModel):
    id: int
    name: str
    job_ids: list[int]
    interval_s: int | None
    active: bool
    last_run_at: datetime | None


class PackageOut(BaseModel):
    """One stored package (admin view): rows = upserts + deletes of the channel body."""

    data_group_id: int
    number: int
    kind: Literal["delta", "snapshot"]
    base_number: int
    rows: int
    offline_rows: int
    size: int = Field(description="bytes of the channel body")
    offline_size: int = Field(description="bytes of the offline body")
    row_counts: dict[str, dict[str, Any]]
    created_at: datetime


class GroupOutcomeOut(BaseModel):
    data_group_id: int
    outcome: Literal["package", "baseline", "no changes"]
    package: PackageOut | None


class RunOut(BaseModel):
    schedule_id: int
    schedule_name: str
    job_ids: list[int]
    started_at: datetime
    groups: list[GroupOutcomeOut]


class PackagesOut(BaseModel):
    data_group_id: int
    latest_number: int | None
    packages: list[PackageOut]


class EntityOut(BaseModel):
    """One channel database entity with its sync state (lag in packages)."""

    id: uuid.UUID
    kind: Literal["channel", "offline"]
    data_group_id: int
    store_id: int
    register_id: uuid.UUID | None
    register_number: int | None
    active: bool
    checkpoint: int | None
    latest_number: int | None
    lag: int | None
    last_contact_at: datetime | None
    pending_uploads: int | None
    mode: str | None
    created_at: datetime
    retired_at: datetime | None
    journal_break: str | None = Field(
        default=None, description="tamper-evident journal breaks reported (issue 8 §4)")


class ChannelDatabasesOut(BaseModel):
    entities: list[EntityOut]


class OnOff(Strict):
    on: bool = Field(strict=True)


class SupportOfflineOut(BaseModel):
    register_id: uuid.UUID
    store_id: int
    support_offline: bool
    entity_id: uuid.UUID | None
    changed: bool


class ActivationCodeOut(BaseModel):
    code: str = Field(description="one-time code, shown once")
    register_id: uuid.UUID
    store_id: int
    register_number: int
    expires_at: datetime


class StoreTokenOut(BaseModel):
    store_id: int
    data_group_id: int
    token: str = Field(description="store server token, shown once; HQ keeps only its SHA-256")


class PackageHeader(BaseModel):
    """A package header exactly as :func:`kassa.sync.package.make_header` makes it."""

    format: int
    data_group_id: int
    number: int
    base_number: int
    kind: Literal["delta", "snapshot"]
    jobs: list[int]
    row_counts: dict[str, dict[str, int]]
    sha256: str
    size: int
    high_water_version: int
    created_at: str


class HeadersOut(BaseModel):
    data_group_id: int
    latest_number: int | None
    packages: list[PackageHeader]


class ActivateIn(Strict):
    code: str = Field(min_length=4, max_length=40)


class ActivateOut(BaseModel):
    register_id: uuid.UUID
    store_id: int
    register_number: int
    device_token: str = Field(description="the register's device token, shown once")
    device_token_hash: str


class RegisterStatusIn(Strict):
    register_id: uuid.UUID
    checkpoint: int | None = Field(default=None, ge=0, le=MAX_NUMBER)
    pending_uploads: int | None = Field(default=None, ge=0, le=10_000_000)
    mode: str | None = Field(default=None, max_length=40, description=MODE_DESCRIPTION)


class JournalBreakIn(Strict):
    """Confirmed breaks of one register's tamper-evident journal (issue 8 §4): how many,
    and the latest (kassa.store.journal.report)."""

    register_id: uuid.UUID
    count: int = Field(ge=1, le=10_000_000)
    transaction_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=40, description="journal.* code")
    detail: str = Field(default="", max_length=400)
    detected_at: datetime


class StatusIn(Strict):
    """What a store server reports: its channel DB checkpoint and its registers'."""

    checkpoint: int | None = Field(default=None, ge=0, le=MAX_NUMBER)
    pending_uploads: int | None = Field(default=None, ge=0, le=10_000_000)
    mode: str | None = Field(default=None, max_length=40, description=MODE_DESCRIPTION)
    registers: list[RegisterStatusIn] = Field(default_factory=list, max_length=1000)
    journal_breaks: list[JournalBreakIn] = Field(
        default_factory=list, max_length=1000,
        description="registers whose journal has breaks (flagged on their entities)")
    hq_pull_token: str | None = Field(
        default=None, min_length=16, max_length=200, description="token HQ presents to pull"
    )
    store_server_url: str | None = Field(
        default=None, max_length=400, description="base URL where HQ reaches this store server"
    )


class StatusOut(BaseModel):
    recorded: int = Field(description="entities updated (the channel DB and offline DBs)")
    without_entity: list[uuid.UUID] = Field(
        description="reported registers without Support offline (nothing recorded)"
    )


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    change_version: int
