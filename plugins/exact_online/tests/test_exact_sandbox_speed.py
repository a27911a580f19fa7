"""A sandbox at speed N: limits per sandbox minute, and every moment it announces in wall-clock time,
so a client that follows the headers needs no test-only switch."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from connector.testing.sandbox import Clock
from connector_exact.sandbox.testing import START, api_client, make_sandbox, token_request


def test_a_sped_up_clock_runs_n_times_faster_and_maps_its_moments_back_to_wall_time() -> None:
    clock = Clock(speed=60)
    clock.set(START)
    assert clock.now() >= START
    wall = clock.wall_of(START + timedelta(minutes=1))
    assert wall - datetime.now(UTC) <= timedelta(seconds=1)  # a sandbox minute lasts one second
    assert clock.wall_seconds(600) == 10
    normal = Clock()
    assert normal.wall_of(START) == START and normal.wall_seconds(600) == 600


def test_at_speed_10_the_reset_headers_are_wall_clock_moments() -> None:
    """START is 5 s into a minute: 55 sandbox seconds are left, 5.5 s of wall time; the day ends in
    13 h 59 min 55 s of sandbox time, 5,039.5 s of wall time."""
    before = time.time()
    sandbox = make_sandbox(speed=10)
    after = time.time()
    try:
        with api_client(sandbox) as api:
            response = api.get("vat/VATCodes")
        assert response.status_code == 200
        minutely = int(response.headers["X-RateLimit-Minutely-Reset"]) / 1000
        daily = int(response.headers["X-RateLimit-Reset"]) / 1000
        assert before + 5.5 - 0.002 <= minutely <= after + 5.5 + 0.002
        assert before + 5039.5 - 0.002 <= daily <= after + 5039.5 + 0.002
    finally:
        sandbox.stop()


def test_at_speed_10_the_limit_is_still_60_calls_per_sandbox_minute() -> None:
    sandbox = make_sandbox(speed=10)
    try:
        with api_client(sandbox) as api:
            for _ in range(60):
                assert api.get("financial/Journals").status_code == 200
            refused = api.get("financial/Journals")
            assert refused.status_code == 429
            reset = int(refused.headers["X-RateLimit-Minutely-Reset"]) / 1000
            assert 0 < reset - time.time() <= 6  # the next sandbox minute, at most 6 s of wall time away
            sandbox.clock.advance(60)
            assert api.get("financial/Journals").status_code == 200
    finally:
        sandbox.stop()


def test_at_speed_60_the_ten_minute_token_is_announced_as_ten_seconds() -> None:
    sandbox = make_sandbox(speed=60)
    try:
        response = token_request(
            sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token()
        )
        assert response.json()["expires_in"] == "10"
        token = response.json()["access_token"]
        me = httpx.get(
            f"{sandbox.url}/api/v1/current/Me",
            headers={"Authorization": f"Bearer {token}"},
            params={"$top": 1},
        )
        assert me.status_code == 200
        sandbox.clock.advance(600)  # ten sandbox minutes later the token is dead
        me = httpx.get(
            f"{sandbox.url}/api/v1/current/Me",
            headers={"Authorization": f"Bearer {token}"},
            params={"$top": 1},
        )
        assert me.status_code == 401
    finally:
        sandbox.stop()


def test_at_speed_1_the_headers_are_as_they_always_were() -> None:
    sandbox = make_sandbox()
    try:
        with api_client(sandbox) as api:
            response = api.get("vat/VATCodes")
        assert response.headers["X-RateLimit-Minutely-Reset"] == str(
            int(START.timestamp()) // 60 * 60_000 + 60_000
        )
        assert response.headers["X-RateLimit-Reset"] == "1772496000000"
    finally:
        sandbox.stop()
