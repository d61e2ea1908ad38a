"""When the database is out of reach, pages answer 503 with a friendly page.

A PostgreSQL server of the test's own is started, the site is pointed at it and
it is stopped; real errors from the suite's server show that faults in queries
are still 500s, not outages.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import psycopg
import pytest
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.test import Client, RequestFactory

from tests.website.test_logging import json_log  # noqa: F401 - a fixture
from website import embedded, views

FRIENDLY = "The site is having trouble right now"


@pytest.fixture
def database_to_stop(tmp_path_factory, django_db_blocker):
    """The site's database connection, pointed at a server this test can stop."""
    base = tmp_path_factory.mktemp("pg-down")
    server = embedded.EmbeddedPostgres(base, fast=True)
    server.start()
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(embedded.postgres_database_settings(base))
        try:
            yield server
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
            server.stop()


def test_pages_answer_503_with_a_friendly_page_when_the_database_stops(
    database_to_stop,
    json_log,  # noqa: F811
):
    client = Client(raise_request_exception=False)
    assert client.get("/healthz").json()["database"]["ok"] is True
    database_to_stop.stop()

    for response in (
        client.get("/", HTTP_X_REQUEST_ID="outage-1"),
        client.post("/subscribe/", {"email": "a@example.org"}),
    ):
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        html = response.content.decode()
        assert FRIENDLY in html
        assert "Try again in a few minutes" in html
        assert f"quote reference <strong>{response['X-Request-ID']}</strong>" in html
        assert response["Retry-After"] == "120"
        assert "no-store" in response["Cache-Control"]
        for technical in ("Traceback", "OperationalError", "psycopg", "socket"):
            assert technical not in html

    logged = [json.loads(line) for line in json_log.getvalue().splitlines()]
    [outage] = [line for line in logged if line["request_id"] == "outage-1"]
    assert outage["level"] == "ERROR"
    assert outage["message"] == "Service Unavailable: /"
    assert "OperationalError" in outage["exc_info"]


def test_healthz_names_the_database_when_it_stops(database_to_stop):
    database_to_stop.stop()

    response = Client().get("/healthz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    data = response.json()
    assert data["failing"] == ["database"]
    assert data["database"]["detail"] == "database unreachable: OperationalError"
    assert data["broker"]["ok"] is True
    assert data["worker"] is None
    assert data["oldest_pending_delivery_seconds"] is None


def server_error_for(exc: BaseException):
    """What the site's 500 handler answers while ``exc`` is being handled."""
    try:
        raise exc
    except BaseException:  # noqa: BLE001 - the handler reads sys.exc_info()
        return views.server_error(RequestFactory().get("/"))


@pytest.mark.django_db
def test_a_fault_in_a_query_is_still_a_500():
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        connection.cursor().execute("SELECT * FROM no_such_table")

    response = server_error_for(caught.value)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert FRIENDLY not in response.content.decode()


@pytest.mark.django_db
def test_a_closed_cursor_is_a_programming_error_still_a_500():
    cursor = connection.cursor()
    cursor.close()
    with pytest.raises(InterfaceError) as caught:
        cursor.execute("SELECT 1")

    assert server_error_for(caught.value).status_code == 500


@pytest.mark.django_db
def test_a_query_cancelled_by_a_timeout_is_still_a_500():
    # An OperationalError from a connection that is fine: not an outage.
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SET LOCAL statement_timeout = 10")
        cursor.execute("SELECT pg_sleep(2)")

    assert isinstance(caught.value.__cause__, psycopg.errors.QueryCanceled)
    assert server_error_for(caught.value).status_code == 500


def own_connection() -> psycopg.Connection:
    """A psycopg connection of the test's own to the suite's database (autocommit)."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.mark.django_db
def test_a_connection_ended_by_the_server_is_an_outage():
    with own_connection() as doomed:
        pid = doomed.info.backend_pid
        connection.cursor().execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError) as caught:
            doomed.execute("SELECT 1")

    response = server_error_for(caught.value)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert FRIENDLY in response.content.decode()
