"""Table models. Import every module here so that Alembic and the tests see all tables."""

from geo.models.accounts import Account
from geo.models.base import Base
from geo.models.deployments import (
    Checkpoint,
    DeployedCadre,
    Deployment,
    DutyShift,
    WorkGroup,
)
from geo.models.district import (
    Building,
    ChargingStation,
    Community,
    Compound,
    CompoundPairing,
    Courtyard,
    Department,
    District,
    IllegalStructure,
    Official,
    Relic,
    Road,
    Subdistrict,
    Unit,
)
from geo.models.edits import FeatureEdit
from geo.models.grid import (
    GridHolding,
    GridPerson,
    GridPost,
    GridPostBuilding,
    IssueGridContact,
    PublicityRule,
)
from geo.models.halls import Hall, HallDecision, HallSession
from geo.models.imports import ImportLog
from geo.models.issues import Category, Issue, IssueEvent, IssuePhoto, IssueSupport
from geo.models.leaders import LeaderPairing, SiteVisit
from geo.models.notices import IssueAlert, Notice, Webhook, WebhookAttempt, WebhookDelivery
from geo.models.operations import DemoLoad, IdempotencyRequest, RateBucket, RateCharge
from geo.models.partners import MemberUnit, UnitMember, Whistle, WhistleParty
from geo.models.programme import ContractorFirm, KindPhase, RenovationKind
from geo.models.property import (
    ModelCompoundTitle,
    PropertyContract,
    PropertyFee,
    PropertyFirm,
    PropertyStatement,
    PropertyStep,
)
from geo.models.renovation import (
    Assessment,
    ProgressEvent,
    ProgressPhoto,
    ProgressReview,
    RenovationBatch,
    RenovationItem,
    RenovationMilestone,
    RenovationProject,
)
from geo.models.signin import BrowserSession, SigninLink, SigninThrottle
from geo.models.wishes import Cadre, ServiceSession, UnitPairing, Wish, WishEvent

__all__ = [
    "Cadre",
    "ServiceSession",
    "UnitPairing",
    "Wish",
    "WishEvent",
    "Account",
    "ContractorFirm",
    "KindPhase",
    "RenovationKind",
    "BrowserSession",
    "SigninLink",
    "SigninThrottle",
    "Category",
    "DemoLoad",
    "IdempotencyRequest",
    "RateBucket",
    "RateCharge",
    "FeatureEdit",
    "Hall",
    "MemberUnit",
    "UnitMember",
    "Whistle",
    "WhistleParty",
    "Deployment",
    "WorkGroup",
    "Checkpoint",
    "DeployedCadre",
    "DutyShift",
    "HallDecision",
    "HallSession",
    "ImportLog",
    "Issue",
    "IssueEvent",
    "IssuePhoto",
    "IssueSupport",
    "IssueAlert",
    "Notice",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "Base",
    "Building",
    "ChargingStation",
    "Community",
    "Compound",
    "CompoundPairing",
    "Courtyard",
    "Department",
    "District",
    "GridHolding",
    "GridPerson",
    "GridPost",
    "GridPostBuilding",
    "IssueGridContact",
    "PublicityRule",
    "IllegalStructure",
    "Official",
    "LeaderPairing",
    "SiteVisit",
    "Relic",
    "Road",
    "Subdistrict",
    "Unit",
    "Assessment",
    "ProgressEvent",
    "ProgressPhoto",
    "ProgressReview",
    "RenovationBatch",
    "RenovationItem",
    "RenovationMilestone",
    "RenovationProject",
    "ModelCompoundTitle",
    "PropertyContract",
    "PropertyFee",
    "PropertyFirm",
    "PropertyStatement",
    "PropertyStep",
]
