"""A form posted without its security token gets a plain-English 403, not Django's."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_form_without_its_token_gets_a_plain_english_403(site):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/subscribe/", {"email": "someone@example.org"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body
    assert "Nothing you sent has been saved" in body
    assert "CSRF" not in body
