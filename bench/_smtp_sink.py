"""A counting SMTP sink (aiosmtpd), one process of several, for the send benches.

``python bench/_smtp_sink.py PORT [DELAY_MS]`` listens on PORT with ``SO_REUSEPORT``,
so several processes share one port and the kernel spreads connections over them
(one Python process would be what the bench measures); with DELAY_MS it takes that
long over each message, as a real mail server does. It prints ``ready``, then
answers commands on stdin, one per line: ``stats`` prints one JSON line (messages,
recipients, and each recipient's Message-IDs, for the parent to merge), ``reset``
forgets everything, ``quit`` stops.
"""

import asyncio
import json
import re
import sys
import threading
from collections import defaultdict

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


class CountingHandler:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.reset()

    def reset(self):
        self.messages = 0
        self.recipients = 0
        self.ids_by_rcpt: dict[str, list[bytes]] = defaultdict(list)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # Offer PIPELINING (RFC 2920) as Postfix, Exim and the big providers do.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        head = envelope.content[:4096]
        match = MESSAGE_ID.search(head)
        message_id = match.group(1) if match else b""
        self.messages += 1
        for rcpt in envelope.rcpt_tos:
            self.recipients += 1
            self.ids_by_rcpt[rcpt].append(message_id)
        return "250 OK"

    def stats(self) -> dict:
        return {
            "messages": self.messages,
            "recipients": self.recipients,
            "ids": {
                rcpt: [i.decode("ascii", "replace") for i in ids]
                for rcpt, ids in self.ids_by_rcpt.items()
            },
        }


async def _call(fn):
    return fn()


def commands(handler: CountingHandler, loop: asyncio.AbstractEventLoop) -> None:
    """stdin commands, answered with the event loop's view of the counts."""
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            stats = asyncio.run_coroutine_threadsafe(_call(handler.stats), loop)
            print(json.dumps(stats.result()), flush=True)
        elif command == "reset":
            asyncio.run_coroutine_threadsafe(_call(handler.reset), loop).result()
            print("{}", flush=True)
        elif command == "quit":
            break
    loop.call_soon_threadsafe(loop.stop)


def main():
    port = int(sys.argv[1])
    handler = CountingHandler(int(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: BulkDataSMTP(handler, data_size_limit=None, loop=loop),
            host="127.0.0.1",
            port=port,
            reuse_port=True,
        )
    )
    print("ready", flush=True)
    threading.Thread(target=commands, args=(handler, loop), daemon=True).start()
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    main()
