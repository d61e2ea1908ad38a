"""Development mail: one .eml file per message under EMAIL_FILE_PATH."""

import email
from email import policy

from django.core.mail import EmailMultiAlternatives, get_connection


def test_each_message_is_its_own_eml_file(tmp_path):
    connection = get_connection("website.mail.EmlFileBackend", file_path=tmp_path)
    messages = []
    for n in range(2):
        msg = EmailMultiAlternatives(
            subject=f"Bulletin {n}",
            body="Plain text part.",
            from_email="learning@example.org",
            to=[f"reader{n}@example.org"],
            connection=connection,
        )
        msg.attach_alternative("<p>HTML part.</p>", "text/html")
        messages.append(msg)

    assert connection.send_messages(messages) == 2

    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    parsed = [
        email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files
    ]
    assert {m["Subject"] for m in parsed} == {"Bulletin 0", "Bulletin 1"}
    body = parsed[0].get_body(preferencelist=("plain",)).get_content()
    assert "Plain text part." in body
    assert parsed[0].get_body(preferencelist=("html",)) is not None


def test_sending_nothing_writes_nothing(tmp_path):
    connection = get_connection("website.mail.EmlFileBackend", file_path=tmp_path)
    assert connection.send_messages([]) == 0
    assert list(tmp_path.iterdir()) == []
