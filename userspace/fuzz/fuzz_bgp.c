// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: dyncastd's reader of ExaBGP's JSON lines
 * (userspace/dyncastd/bgpcodec.c), which carry what any BGP speaker with a
 * session may announce.  Every path it gives is either withdrawn, or a
 * valid instance within the ranges the kernel takes, and such an instance
 * encodes again into a command.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/dyncast.h>

#include "bgp.h"

static const struct dd_bgp_codec codec = { .asn = 64512, .link_bandwidth = true };

static void check(void *data, const struct dd_bgp_path *p)
{
	const struct dd_record *r = &p->rec;
	char cmd[DD_BGP_CMD_MAX];

	(void)data;
	if (p->withdrawn) {
		if (p->valid || r->present || r->key.svc.sid.family)
			abort();
		return;
	}
	if (!p->valid || r->key.svc.sid.family != p->prefix.family ||
	    !r->key.bid.family || r->state > DD_STATE_DOWN ||
	    (r->key.svc.proto != 6 && r->key.svc.proto != 17))
		abort();
	if (((r->present & (1u << DD_M_CPU)) && r->m[DD_M_CPU] > DD_LOAD_MAX) ||
	    ((r->present & (1u << DD_M_GPU)) && r->m[DD_M_GPU] > DD_LOAD_MAX) ||
	    ((r->present & (1u << DD_M_WEIGHT)) &&
	     r->m[DD_M_WEIGHT] > DYNCAST_WEIGHT_MAX) ||
	    ((r->present & (1u << DD_M_SERVICE_TIME)) &&
	     r->m[DD_M_SERVICE_TIME] > DD_SERVICE_TIME_MAX))
		abort();
	if (!p->probe.addr.family != !p->probe.port)
		abort();
	if (dd_bgp_announce_cmd(&codec, r, p->path_id, p->agent, &p->probe,
				cmd, sizeof(cmd)) <= 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dd_bgp_counts cnt = {};
	struct dc_addr peer;
	char *line;

	if (size > DD_BGP_LINE_MAX)
		return 0;
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	dd_bgp_parse(&codec, line, &peer, check, NULL, &cnt);
	if (cnt.malformed > cnt.paths + 1000000)
		abort();
	free(line);
	return 0;
}
