"""The prepared message: encoded once, personalised per person, decoded exactly."""

import email
import email.policy
import quopri
import random

import pytest

from bulletins.email import TOKENS, personalise_parts
from bulletins.mime import PreparedMessage, Recipient, _Body, _qp_piece

ALPHABET = "ab =.\t\n<>\"'&é—€😀\u00a0x" + "y" * 10


def _decoded(raw: bytes) -> dict[str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return {
        part.get_content_type(): part.get_payload(decode=True).decode("utf-8")
        for part in message.walk()
        if not part.is_multipart()
    }


def _lines_ok(raw: bytes) -> None:
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998  # SMTP
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare line feeds


@pytest.mark.parametrize("seed", range(200))
def test_pieces_decode_to_the_text_and_keep_lines_short(seed):
    rng = random.Random(seed)
    pieces = [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 300)))
        for _ in range(rng.randint(1, 4))
    ]
    encoded = b"".join(_qp_piece(p) for p in pieces)
    assert quopri.decodestring(encoded).decode("utf-8").replace(
        "\r\n", "\n"
    ) == "".join(pieces)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))


@pytest.mark.parametrize("length", range(60, 90))
def test_a_piece_ending_near_the_line_limit_is_broken_outside_escapes(length):
    for tail in ("", "=", "é", "xé"):
        value = "x" * length + tail
        encoded = _qp_piece(value)
        assert quopri.decodestring(encoded).decode() == value
        assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))


def test_body_with_tokens_matches_replacing_them_first():
    html = (
        "<p>" + "long line " * 400 + TOKENS["greeting"] + "</p>"
        '<a href="' + TOKENS["unsubscribe_url"] + '">Unsubscribe</a>'
        '<a href="' + TOKENS["preferences_url"] + '">Preferences</a> end.'
    )
    body = _Body(html)
    values = {
        "greeting": "Hello &lt;Zoë&gt;,",
        "unsubscribe_url": "https://example.org/u/abc==/?a=1&amp;b=2",
        "preferences_url": "https://example.org/p/" + "z" * 120,
    }
    expected = html
    for key, token in TOKENS.items():
        expected = expected.replace(token, values[key])
    assert quopri.decodestring(body.render(values)).decode() == expected


def test_prepared_message_decodes_to_the_personalised_parts():
    html = (
        "<html><body><p>"
        + TOKENS["greeting"]
        + "</p>"
        + '<p style="color:#0b0c0c">Safer sleep = back to sleep. ¿Qué?</p>' * 300
        + '<a href="'
        + TOKENS["unsubscribe_url"]
        + '">Unsubscribe</a> <a href="'
        + TOKENS["preferences_url"]
        + '">Manage</a></body></html>'
    )
    text = (
        TOKENS["greeting"]
        + "\n\n.leading dot\nUnsubscribe: "
        + TOKENS["unsubscribe_url"]
        + "\nManage: "
        + TOKENS["preferences_url"]
        + "\n"
    )
    prepared = PreparedMessage(send_id=7, subject="Bulletin 12", html=html, text=text)
    recipient = Recipient(
        42,
        "zoe@example.org",
        'Zoë <script>alert("x")</script>',
        "https://example.org/subscriptions/unsubscribe/tok/",
        "https://example.org/subscriptions/manage/tok/?a=1&b=2",
    )
    raw = prepared.build(recipient)
    _lines_ok(raw)
    parts = _decoded(raw)
    expected_html, expected_text = personalise_parts(
        html,
        text,
        name=recipient.name,
        unsubscribe_url=recipient.unsubscribe_url,
        preferences_url=recipient.preferences_url,
    )
    assert parts["text/html"] == expected_html
    assert parts["text/plain"].replace("\r\n", "\n") == expected_text
    assert "<script>" not in parts["text/html"]
    assert "&lt;script&gt;" in parts["text/html"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Message-ID"] == "<cdr.7.42@localhost>"
    assert message["List-Unsubscribe"] == f"<{recipient.unsubscribe_url}>"


ICS = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Safer sleep — é\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.parametrize("html", ["", "<p>Hello {{name}}</p>"])
def test_attachments_follow_the_message_as_parts_of_a_mixed_message(html):
    prepared = PreparedMessage(
        send_id=3,
        subject="Your place",
        html=html.replace("{{name}}", TOKENS["greeting"]).replace("Hello ", ""),
        text=TOKENS["greeting"],
        list_headers=False,
        attachments=[
            {
                "filename": "webinar.ics",
                "content_type": "text/calendar; method=REQUEST",
                "content": ICS * 20,
            }
        ],
    )
    raw = prepared.build(Recipient(delivery_id=9, email="a@example.org", name="Ana"))
    _lines_ok(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "webinar.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_payload(decode=True).decode("utf-8") == ICS * 20
    assert message.get_body(("plain",)).get_content().strip() == "Hello Ana,"
    if html:
        assert "Hello Ana," in message.get_body(("html",)).get_content()


@pytest.mark.parametrize("filename", ['bad".ics', "bad\r\nX-Evil: 1.ics", "é.ics"])
def test_an_unsafe_attachment_name_is_refused(filename):
    from bulletins.mime import HeaderInjection

    with pytest.raises(HeaderInjection):
        PreparedMessage(
            send_id=1,
            subject="s",
            html="",
            text="t",
            attachments=[
                {"filename": filename, "content_type": "text/plain", "content": "x"}
            ],
        )
