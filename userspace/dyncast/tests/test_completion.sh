#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion, without bash-completion itself (its two helpers
# stood in for): what it offers after "agent show" against the kinds the
# CLI's usage names, and a few other places.

set -u

here=$(cd "$(dirname "$0")" && pwd)
cli=$here/../dyncast
failed=0 n=0

# shellcheck disable=SC2034 # what _dyncast reads
_init_completion()
{
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}
}

_filedir()
{
	COMPREPLY=(FILES)
}

# shellcheck source=../dyncast.bash-completion
. "$here/../dyncast.bash-completion"

# offers WANT LINE...: completing the last word of LINE offers WANT (sorted)
offers()
{
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_dyncast
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*: offered \"$got\", want \"$want\""
		failed=1
	fi
}

# the kinds of "dyncast agent help", sorted
kinds=$("$cli" agent help | sed -n '/^KIND := {/,/}/p' | tr -d '{}|' |
	sed 's/KIND :=//' | xargs -n 1 | sort | xargs)
[ -n "$kinds" ] || { echo "not ok 0 - no kinds in dyncast agent help"; exit 1; }

offers "$(printf '%s\n' $kinds socket | sort | xargs)" dyncast agent show ''
offers "learned" dyncast agent show le
offers "socket" dyncast agent show learned ''
offers "socket" dyncast agent show site ''
offers "FILES" dyncast -n ns1 agent show socket ''
offers "$kinds" dyncast agent show socket /run/x.sock ''
offers "" dyncast agent show plan socket /run/x.sock ''
offers "FILES" dyncast agent show socket ''
offers "help show" dyncast agent ''
offers "" dyncast agent help ''
offers "tcp udp" dyncast service add 192.0.2.1 proto ''
offers "policy port proto" dyncast service add 192.0.2.1 p

echo "# $n checks"
exit $failed
