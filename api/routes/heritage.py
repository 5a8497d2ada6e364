"""The fort's courtyards and buildings: dated assessments and a courtyard's state on a date."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import CurrentUser
from api.deps import ConnDep, RowId, SessionDep, json_response
from api.schemas.renovation import AsOf, AssessmentIn, AssessmentOut, CourtyardStatusOut
from geo.core import clock
from geo.renovation import assessments

router = APIRouter(prefix="/api", tags=["renovation"])


@router.post("/assessments", status_code=201, response_model=AssessmentOut)
def add_assessment(body: AssessmentIn, user: CurrentUser, session: SessionDep) -> JSONResponse:
    """Record a dated assessment; earlier ones stay, so any date's state can be rebuilt."""
    record = assessments.record_assessment(session, account=user, **body.model_dump())
    session.commit()
    return json_response(record, status_code=201)


@router.get("/heritage/courtyards/{courtyard_id}", response_model=CourtyardStatusOut)
def get_courtyard_status(courtyard_id: RowId, conn: ConnDep, as_of: AsOf = None) -> JSONResponse:
    """A courtyard's danger grade, protection level, condition and occupancy on a date."""
    status = assessments.courtyard_status(conn, courtyard_id, as_of or clock.today())
    return json_response(status)
