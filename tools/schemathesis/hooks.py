"""Schemathesis hooks for Gatehouse (SPEC §15): a real account and a token for its tenant.

The run signs up one user with its own tenant, fuzzes every operation with that user's
access token, and pins `{tenant_id}` to the user's tenant (another tenant's id is a 403
the authorization matrix test already proves; fuzzing it would test nothing else). When
the run itself ends the session (logout, logout-all, a revoked session), the next request
signs in again.
"""

import os
import time
import uuid

import requests
import schemathesis

URL = os.environ["GATEHOUSE_URL"]
SUFFIX = uuid.uuid4().hex[:10]
EMAIL = f"fuzz-{SUFFIX}@example.com"
PASSWORD = "correct horse battery staple 42"
SLUG = f"fuzz-{SUFFIX}"


def _post(path, **kwargs):
    """POST, waiting out a 429 (the run's own requests share the rate limits)."""
    for _ in range(30):
        response = requests.post(URL + path, timeout=10, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers.get("Retry-After", "1")))
    raise RuntimeError(f"{path}: still rate limited")


def _sign_up():
    response = _post(
        "/api/v1/signup",
        json={
            "email": EMAIL,
            "password": PASSWORD,
            "display_name": "Fuzz",
            "tenant": {"name": "Fuzz", "slug": SLUG},
        },
    )
    response.raise_for_status()
    return response.json()["tenant"]["id"]


TENANT_ID = _sign_up()


def _sign_in():
    response = _post(
        "/oauth/token",
        data={"grant_type": "password", "username": EMAIL, "password": PASSWORD, "tenant": SLUG},
    )
    response.raise_for_status()
    return response.json()["access_token"]


@schemathesis.auth(refresh_interval=2)
class GatehouseToken:
    token = None

    def get(self, case, ctx):
        if self.token is not None:
            still = requests.get(
                URL + "/api/v1/me",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=10,
            )
            if still.status_code == 200:
                return self.token
        self.token = _sign_in()
        return self.token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Only a well-formed id is pinned: a malformed one is a negative case's point, and
    # pinning it would turn the request valid while Schemathesis still expects a refusal.
    if path_parameters and _is_uuid(path_parameters.get("tenant_id")):
        path_parameters["tenant_id"] = TENANT_ID
    return path_parameters
