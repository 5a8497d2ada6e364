"""Generated requests from the service's own /openapi.json (schemathesis): every operation,
signed in as an admin and anonymous, and not one answer may be a 5xx. The one exception is a
deliberate 503 with Retry-After (a street-network query past its time limit on a busy machine):
capacity, not a fault.

Bounded so the run stays short: a fixed number of examples per operation, derandomized (the
same requests every run, so a failure is reproducible), on a private copy of the demo database
that the admin's writes may change at will.
"""

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from sqlalchemy.engine import make_url

from api.app import create_app
from geo.core.databases import drop_database, ensure_database
from tests import issue_helpers
from tests.conftest import _url_for, make_settings

EXAMPLES = 12  # per operation and identity
# A collection's own items and feature routes run the handler /collections/{collectionId}/...
# runs (one factory makes both): a few examples each try their own filter parameters.
EXAMPLES_PER_COLLECTION = 3


def _examples(operation: schemathesis.APIOperation) -> int:
    parts = operation.path.split("/")
    fixed = parts[1:3] == ["ogc", "collections"] and len(parts) > 4 and "{" not in parts[3]
    return EXAMPLES_PER_COLLECTION if fixed and parts[4] == "items" else EXAMPLES


@pytest.fixture(scope="module")
def fuzz_app(template_url: str, media_dir: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    url = _url_for(f"yishiting_fuzz_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_url).database)
    # The fuzzer is one client sending hundreds of anonymous writes: no budget for it.
    unlimited = {"anon_burst": 1e9, "anon_per_minute": 1e9}
    app_settings = make_settings(url, media_dir).model_copy(update=unlimited)
    _, admin = issue_helpers.make_account(app_settings, "admin")
    app = create_app(app_settings)
    with TestClient(app):
        yield app, admin
    drop_database(url)


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[FastAPI, dict[str, str]]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app[0])


def _strategies(operation: schemathesis.APIOperation) -> list[SearchStrategy]:
    """Valid requests, and requests that break the schema where it can be broken."""
    found = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            found.append(operation.as_strategy(generation_mode=mode))
        except Exception:  # noqa: BLE001  # an operation with nothing to break has no negative
            continue
    return found


@pytest.mark.timeout(600)
def test_no_server_error(
    api_schema: schemathesis.BaseSchema, fuzz_app: tuple[FastAPI, dict[str, str]]
) -> None:
    """Every generated request is sent signed in as the admin and anonymous; no 5xx."""
    identities = {"admin": fuzz_app[1], "anonymous": {}}
    errors: list[str] = []
    sent = 0
    unsent: list[str] = []  # operations no request was sent to: nothing checked there
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        sent_before = sent
        for strategy in _strategies(operation):

            @given(case=strategy)
            @settings(
                max_examples=_examples(operation),
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                nonlocal sent
                for who, headers in identities.items():
                    sent += 1
                    try:
                        response = case.call(headers=dict(headers))
                        headers = {k.lower() for k in response.headers}
                        deliberate = response.status_code == 503 and "retry-after" in headers
                        failure = (
                            f"{response.status_code}: {response.text[:200]}"
                            if response.status_code >= 500 and not deliberate
                            else None
                        )
                    except Exception as exc:  # noqa: BLE001  # the app answered 500 and re-raised
                        failure = f"500: {type(exc).__name__}: {str(exc)[:200]}"
                    if failure:
                        errors.append(
                            f"as {who}: {case.method} {case.formatted_path} -> {failure}\n"
                            f"  {case.as_curl_command()}"
                        )

            try:
                run()
            except Unsatisfiable:  # no request of this mode exists (nothing to break)
                continue
        if sent == sent_before:
            unsent.append(operation.verbose_name)
    print(f"fuzzed {len(operations)} operations with {sent} requests")
    assert len(operations) > 40
    assert unsent == [], f"no request sent to {unsent}"
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors[:40])
