# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # for the scripts that source this file
#
# The steering scenario, one for the simulation (bench/steer.sh) and the VM
# (bench/vm/bench.sh, part "steer"): three edge sites of one service, each
# with one instance.  The near site is small, the far one large.

# Service time of a demand, milliseconds (fixed in the VM)
STEER_SVC_MS=50
# Sites: round-trip time from the router (ms) : slots (demands served at once)
STEER_SITES=(5:2 20:3 50:5)
# Interval of the instances' metric reports, milliseconds
STEER_INTERVAL_MS=100

# The same sites with single-server (M/M/1) instances of different speed,
# for the simulation only: RTT_MS:1:SPEED, a demand taking
# STEER_MM1_SVC_MS / SPEED on average
STEER_MM1_SVC_MS=10
STEER_MM1_SITES=(5:1:0.5 20:1:1 50:1:2)

# Ten times the slots (and the demand), for the simulation only
STEER_LARGE_SITES=(5:20 20:30 50:50)
