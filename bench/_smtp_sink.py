"""A counting SMTP sink (aiosmtpd) in its own process, for the send benches.

``python bench/_smtp_sink.py`` prints its port, then answers commands on stdin, one
per line: ``stats`` prints one JSON line (messages, recipients, distinct recipients,
duplicates, duplicates with a new Message-ID), ``reset`` forgets everything,
``quit`` stops. It keeps only each recipient's Message-IDs, so it stays fast.
"""

import asyncio
import json
import re
import socket
import sys
from collections import defaultdict

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

END_OF_DATA = b"\r\n.\r\n"

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


class BulkDataSMTP(SMTP):
    """aiosmtpd's server, reading DATA in large chunks instead of line by line.

    Stock aiosmtpd awaits one ``readuntil`` per line: about 530 messages a second
    of our ~23 kB bulletins on this machine, slower than the senders it measures.
    Reading up to the end-of-data marker in one go (and undoing dot-stuffing)
    makes the sink cheap enough that the raw ceiling measures the senders.
    """

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        chunks = []
        while True:
            try:
                chunks.append(await self._reader.readuntil(END_OF_DATA))
                break
            except asyncio.LimitOverrunError as error:
                chunks.append(await self._reader.read(error.consumed))
                if b"".join(chunks[-2:]).endswith(END_OF_DATA):
                    break
        data = b"".join(chunks)[: -len(END_OF_DATA) + 2].replace(b"\r\n..", b"\r\n.")
        self.envelope.content = self.envelope.original_content = data
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)


class FastController(Controller):
    def factory(self):
        return BulkDataSMTP(self.handler, **self.SMTP_kwargs)


class CountingHandler:
    def __init__(self):
        self.reset()

    def reset(self):
        self.messages = 0
        self.recipients = 0
        self.ids_by_rcpt: dict[str, list[bytes]] = defaultdict(list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        head = envelope.content[:4096]
        match = MESSAGE_ID.search(head)
        message_id = match.group(1) if match else b""
        self.messages += 1
        for rcpt in envelope.rcpt_tos:
            self.recipients += 1
            self.ids_by_rcpt[rcpt].append(message_id)
        return "250 OK"

    def stats(self) -> dict:
        duplicates = sum(len(ids) - 1 for ids in self.ids_by_rcpt.values())
        new_ids = sum(len(set(ids)) - 1 for ids in self.ids_by_rcpt.values())
        return {
            "messages": self.messages,
            "recipients": self.recipients,
            "distinct_recipients": len(self.ids_by_rcpt),
            "duplicates": duplicates,
            "duplicates_with_new_message_id": new_ids,
        }


def main():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = CountingHandler()
    controller = FastController(
        handler, hostname="127.0.0.1", port=port, data_size_limit=None
    )
    controller.start()
    print(port, flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps(handler.stats()), flush=True)
        elif command == "reset":
            handler.reset()
            print("{}", flush=True)
        elif command == "quit":
            break
    controller.stop()


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    main()
