"""Run ``lampdesk`` under an audit hook that records and refuses every network attempt.

Usage: python no_network.py REPORT_FILE lampdesk-arguments...
Each attempt is appended to REPORT_FILE, so it is seen even if a library swallows the error.
"""

import os
import sys

WATCHED = frozenset(
    {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
)


def install(report: str) -> None:
    def refuse_network(event: str, args: tuple[object, ...]) -> None:
        if event in WATCHED:
            fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, f"{event} {args!r}\n".encode())
            finally:
                os.close(fd)
            raise ConnectionRefusedError(f"LampDesk must not use the network: {event}")

    sys.addaudithook(refuse_network)


if __name__ == "__main__":
    install(sys.argv.pop(1))
    from lampdesk.cli import main

    sys.argv[0] = "lampdesk"
    raise SystemExit(main(sys.argv[1:]))
