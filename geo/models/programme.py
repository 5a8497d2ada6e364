"""The renovation programme's reference data: kinds of project with the phases each declares
(rows, so a planner adds a kind or changes its phases without code), and contractor firms.

The histories (programme_event, item_schedule, item_phase_event) and contractors' provisional
reports are written and read in SQL by geo/renovation/ (migration 0035_programme)."""

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base


class RenovationKind(Base):
    __tablename__ = "renovation_kind"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(32))
    label_en: Mapped[str] = mapped_column(String(64))


class KindPhase(Base):
    """One phase of a kind, in order. `protected_only`: a phase only of items on a protected
    courtyard; `skippable`: an item may move past it without entering it; `action`: the row of
    geo/accounts/access.TABLE that says who may move an item into it."""

    __tablename__ = "kind_phase"
    kind: Mapped[str] = mapped_column(ForeignKey("renovation_kind.code"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    label_zh: Mapped[str] = mapped_column(String(32))
    label_en: Mapped[str] = mapped_column(String(64))
    protected_only: Mapped[bool] = mapped_column(Boolean, server_default="false")
    skippable: Mapped[bool] = mapped_column(Boolean, server_default="false")
    action: Mapped[str] = mapped_column(String(32))


class ContractorFirm(Base):
    __tablename__ = "contractor_firm"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
