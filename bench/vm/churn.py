#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The churn workload of the bgp part: every second, every instance of
every site reports a queue far from its last one (alternately 0 and
1000, each instance at its own phase), through its site's report socket.

    churn.py DIR SITES

DIR/sI-report.sock is site I's socket, i1 and i2 its instances.  Each
change is beyond the update policy's thresholds, so every instance keeps
triggering: what reaches the router is what the damping lets through.
One process and one datagram per report, so that the workload costs the
VM little beside what it measures.  Failed reports are said on stderr;
it exits when none of a second's got through."""

import os
import socket
import sys
import time


def main():
    d, sites = sys.argv[1], int(sys.argv[2])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    tick = 0
    while True:
        t = time.monotonic()
        failed, err = 0, None
        for i in range(1, sites + 1):
            path = os.path.join(d, f"s{i}-report.sock")
            for k in (1, 2):
                q = 1000 if (tick + i + k) % 2 else 0
                try:
                    s.sendto(f"i{k} queue {q}".encode(), path)
                except OSError as e:
                    failed, err = failed + 1, e
        if failed:
            print(f"churn: {failed} of {2 * sites} reports failed: {err}",
                  file=sys.stderr)
        # an agent restarting loses a few; none getting through is no churn
        if failed == 2 * sites:
            sys.exit(1)
        tick += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))


if __name__ == "__main__":
    main()
