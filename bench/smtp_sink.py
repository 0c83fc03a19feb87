"""A local SMTP server that accepts and counts every message: the benchmark's mail server.

    .venv/bin/python bench/smtp_sink.py PORT COUNT_FILE

Runs aiosmtpd on 127.0.0.1:PORT until SIGTERM, then writes how many messages it accepted to
COUNT_FILE. Run as its own process, so that the server does not share the sender's core.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        return "250 Message accepted for delivery"


def main() -> None:
    port, count_file = int(sys.argv[1]), Path(sys.argv[2])
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    count_file.write_text(str(counter.count))


if __name__ == "__main__":
    main()
