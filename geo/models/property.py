"""Property firms in the open (红色物业; see migration 0042_property).

property_firm: a firm in the register, with its hotline and kind (market, state 兜底, self).
property_contract: a compound's contract with a firm for a period (history kept: a contract
ends, the next begins). property_fee: a compound's fee standard for a period (item, unit,
price). property_statement: a finance statement for a period, the uploaded file's hash and, for
an XLSX, its lines. property_step: one of the five steps (摸帮研建创) done in a compound;
model_compound_title: a compound's model title (市级物业服务标准化示范小区) from a day on.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.core.vocabulary import METHOD_STEP_TERMS, PROPERTY_FIRM_TERMS
from geo.models.base import Base

FIRM_KINDS = tuple(PROPERTY_FIRM_TERMS)
STEPS = tuple(METHOD_STEP_TERMS)  # 摸、帮、研、建、创


class PropertyFirm(Base):
    __tablename__ = "property_firm"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    hotline: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class PropertyContract(Base):
    __tablename__ = "property_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("property_firm.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class PropertyFee(Base):
    __tablename__ = "property_fee"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(24))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class PropertyStatement(Base):
    __tablename__ = "property_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("property_firm.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("district_now()")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class PropertyStep(Base):
    __tablename__ = "property_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    step: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class ModelCompoundTitle(Base):
    __tablename__ = "model_compound_title"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"))
    title: Mapped[str] = mapped_column(String(80))
    awarded_on: Mapped[date] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
