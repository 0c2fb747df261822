"""Schemathesis against the app's own OpenAPI document: generated requests, valid and invalid,
to every operation, as the admin (who reaches every code path) and as a subcontractor's provider
user (the scoped paths), on a small supply chain. No
answer may be a 5xx, and every answer must match the schema the document declares for it.

Bounded: FUZZ_EXAMPLES examples per operation (default 25; half that as the subcontractor)
keep `make test` short; set it higher for a deeper run
(`FUZZ_EXAMPLES=500 pytest tests/footing/test_fuzz.py`).
"""

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


# The schema is read from an app built for the purpose (the document does not depend on the
# database); the requests go to it too, and reach the test database through the session
# dependency, which the `engine` fixture points at it. (schemathesis.pytest.from_fixture would
# be the natural shape, but it does not run under pytest 9 yet.)
fuzz_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(with_dashboard=False),
).exclude(
    # Logging in costs an argon2 hash per example and proves nothing the other operations
    # do not; the token endpoint's answers are covered in tests/auth.
    path="/api/v1/auth/token",
)


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]


@fuzz_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_of_an_admin_gets_a_5xx_or_an_undeclared_answer(case: Any, world: Any) -> None:
    case.call_and_validate(headers=world.keys["admin"], checks=CHECKS)


@fuzz_schema.parametrize()
@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_of_a_subcontractor_gets_a_5xx_or_an_undeclared_answer(
        case: Any, world: Any) -> None:
    """The scoped paths: a provider user's key, mostly answered 403, 404 or 422."""
    case.call_and_validate(headers=world.keys["s1"], checks=CHECKS)
