"""Answers of the property routes (api/routes/property_firms.py): the register, contracts, fee
standards, finance statements, the five steps and the model titles (红色物业).

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked). Prices and amounts are decimal text ("1.20"), as stored.
"""

from datetime import date

from pydantic import Field

from api.schemas.answers import Public


class FirmOut(Public):
    id: int
    name: str
    hotline: str | None
    kind: str = Field(description="market, state (兜底) or self (自管)")
    version: int
    compounds: int = Field(description="compounds under a contract in force today")


class ServedCompound(Public):
    id: int
    name: str
    community: str
    starts_on: date
    ends_on: date | None


class FirmDetail(FirmOut):
    served: list[ServedCompound]


class FirmRef(Public):
    id: int
    name: str
    kind: str


class ContractOut(Public):
    id: int
    compound_id: int
    firm: FirmRef
    starts_on: date
    ends_on: date | None
    version: int
    current: bool = Field(description="in force today")


class FeeOut(Public):
    id: int
    compound_id: int
    item: str
    unit: str
    price: str
    period_start: date
    period_end: date
    version: int


class StatementLine(Public):
    kind: str = Field(description="income or expense")
    item: str
    amount: str


class StatementOut(Public):
    id: int
    compound_id: int
    firm_id: int
    period_start: date
    period_end: date
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    lines: list[StatementLine]
    url: str


class PublishedFirm(Public):
    id: int
    name: str
    hotline: str | None
    kind: str
    starts_on: date
    ends_on: date | None


class PublishedFee(Public):
    item: str
    unit: str
    price: str
    period_start: date
    period_end: date


class PublishedStatement(Public):
    id: int
    period_start: date
    period_end: date
    filename: str
    content_type: str
    sha256: str
    lines: list[StatementLine]
    url: str
    income: str
    expense: str


class TitleHeld(Public):
    title: str
    awarded_on: date


class CompoundProperty(Public):
    firm: PublishedFirm | None
    fees: list[PublishedFee]
    statement: PublishedStatement | None
    model_titles: list[TitleHeld]


class StepOut(Public):
    id: int
    compound_id: int
    step: str = Field(description="survey 摸, help 帮, study 研, build 建, create 创")
    done_on: date
    note: str


class ModelCompound(Public):
    id: int
    compound_id: int
    compound: str
    title: str
    awarded_on: date


class MyProperty(Public):
    firm: FirmOut | None
    served: list[ServedCompound]
    firms: list[FirmOut] | None
