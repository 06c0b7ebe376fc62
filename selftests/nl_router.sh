#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the C test nl_router (selftests/nl_router.c): malformed and invalid
# requests to the dyncast family are rejected with the right errno and an
# extended ack, and leave no trace.  With the module loaded, in a new
# network namespace.

. "$(dirname "$0")/lib.sh"

require_root
require_vm
setup_ns NS || ktap_skip_all "cannot create a network namespace"
if ! dc_load; then
	ktap_print_header
	ktap_set_plan 1
	ktap_test_fail "module loads"
	ktap_finished
fi
run_ctest -n "$NS" nl_router
