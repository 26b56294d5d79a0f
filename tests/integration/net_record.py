"""Run ``lampdesk`` under an audit hook that records every network attempt (and lets it through).

Usage: python net_record.py REPORT_FILE lampdesk-arguments...
Each attempt is appended to REPORT_FILE, one a line: ``socket.connect ADDRESS`` (the repr of
the address tuple), else ``event repr(args)``.
"""

import os
import sys

WATCHED = frozenset(
    {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
)


def install(report: str) -> None:
    def record(event: str, args: tuple[object, ...]) -> None:
        if event in WATCHED:
            shown = args[1] if event == "socket.connect" else args
            fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, f"{event} {shown!r}\n".encode())
            finally:
                os.close(fd)

    sys.addaudithook(record)


if __name__ == "__main__":
    install(sys.argv.pop(1))
    from lampdesk.cli import main

    sys.argv[0] = "lampdesk"
    raise SystemExit(main(sys.argv[1:]))
