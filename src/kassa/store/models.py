"""Request and answer bodies of the store server API (docs/API.md "Store server").

Money is integer cents (``*_cents``), ids UUID text, times ISO-8601 UTC, package numbers per
channel data group. Request bodies refuse unknown fields (422), except transaction records,
which :meth:`kassa.domain.transaction.Transaction.from_record` checks field by field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kassa.domain.offline_profile import MAX_BATCH

MAX_NUMBER = 2**62


class Strict(BaseModel):
    """Request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class LastPullOut(BaseModel):
    at: datetime
    result: Literal["ok", "nothing_new", "error"]
    packages: list[int]
    rows: int
    checkpoint: int | None
    error: str | None
    error_code: str | None


class HealthOut(BaseModel):
    status: Literal["ok"]
    store_id: int
    checkpoint: int | None = Field(description="last package applied to the channel DB")
    last_pull: LastPullOut | None = Field(default=None, description="last pull round from HQ")


class ActivateIn(Strict):
    code: str = Field(min_length=4, max_length=40, description="one-time code from HQ")


class ActivateOut(BaseModel):
    register_id: uuid.UUID
    store_id: int
    register_number: int
    device_token: str = Field(description="the register's device token, shown once")


class RegisterOut(BaseModel):
    id: uuid.UUID
    number: int
    name: str
    support_offline: bool


class StoreOut(BaseModel):
    id: int
    name: str
    currency: str
    data_group_id: int


class OfflineProfileOut(BaseModel):
    """DESIGN §1 fields; durations in seconds."""

    id: int | None
    name: str | None
    timeout_s: float
    retry_count_to_offline: int
    reconnect_interval_s: float
    health_check_interval_s: float | None
    prompt_on_seamless_offline: bool
    download_interval_s: float
    upload_interval_s: float
    upload_batch_size: int
    pause_offline_sync: bool


class JournalHeadOut(BaseModel):
    head: str = Field(description="hash of the register's newest entry here, or its genesis; "
                      "a register with an empty offline DB chains on from it")
    entries: int = Field(description="transactions of the register with a journal entry here")


class MeOut(BaseModel):
    # "register" would shadow BaseModel.register (ABC), hence the alias.
    model_config = ConfigDict(populate_by_name=True)

    register_: RegisterOut = Field(alias="register")
    store: StoreOut
    offline_profile: OfflineProfileOut
    receipt: dict[str, Any] = Field(
        description="header, footer and the receipt_* commerce parameters without the prefix"
    )
    journal: JournalHeadOut | None = Field(
        default=None, description="the register's tamper-evident journal here (issue 8 §4)"
    )


class SignInIn(Strict):
    operator_id: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=200)


class SignInOut(BaseModel):
    operator_id: str
    name: str
    role: str


class ProductOut(BaseModel):
    id: int
    name: str
    barcode: str
    price_cents: int | None = Field(description="shelf price in cents; null when unpriced")
    tax_group_id: str
    tax_group_name: str
    tax_rate_bp: int = Field(description="basis points: 625 = 6.25 %")
    department: str | None
    brand: str | None
    category: str | None
    product_type: str | None
    package_size: str | None
    unit_of_measure: str


class ProductsOut(BaseModel):
    items: list[ProductOut]


class CustomerOut(BaseModel):
    id: int
    name: str
    loyalty_card: str
    age: str | None
    income: str | None
    home_ownership: str | None
    marital_status: str | None
    household_size: str | None
    household_comp: str | None
    kids_count: str | None


class TaxGroupOut(BaseModel):
    id: str
    name: str
    rate_bp: int


class TaxGroupsOut(BaseModel):
    items: list[TaxGroupOut]


class CommitOut(BaseModel):
    id: uuid.UUID
    result: Literal["committed", "duplicate"]
    seq: int | None = Field(description="the channel DB's P-job cursor of the transaction")


class UploadIn(Strict):
    transactions: list[dict[str, Any]] = Field(max_length=MAX_BATCH)


class ErrorOut(BaseModel):
    code: str
    message: str


class RejectedOut(BaseModel):
    id: str | None
    error: ErrorOut


class UploadOut(BaseModel):
    acknowledged: list[uuid.UUID] = Field(description="stored now or before: mark uploaded")
    rejected: list[RejectedOut] = Field(description="refused records; nothing of them stored")


class PackageHeader(BaseModel):
    """A package header as :func:`kassa.sync.package.make_header` makes it (offline variant)."""

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


class PackagesOut(BaseModel):
    packages: list[PackageHeader]


class StatusIn(Strict):
    checkpoint: int | None = Field(default=None, ge=0, le=MAX_NUMBER)
    pending_uploads: int = Field(ge=0, le=10_000_000)
    mode: str = Field(min_length=1, max_length=24, description="the register's switch state")
    oldest_pending_age_s: float | None = Field(default=None, ge=0)
    reported_at: AwareDatetime | None = Field(default=None, description="the register's clock")


class StatusOut(BaseModel):
    register_id: uuid.UUID
    recorded_at: datetime


class HQTransactionOut(BaseModel):
    seq: int
    record: dict[str, Any]


class HQTransactionsOut(BaseModel):
    transactions: list[HQTransactionOut]
    last_seq: int = Field(description="the cursor to send as after= next time")
