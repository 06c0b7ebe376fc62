// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what the dyncast CLI makes of the kernel's replies.
 *
 * The first input byte picks a request (a service, instance or binding
 * dump, the counters, a service add) and an output (text or JSON); the
 * rest is a stream of netlink messages, fed through the same reply
 * processing as the socket's (dc_nl_xfer_*: acks, errors with their
 * extended ack, dumps, interrupted dumps) into the command's printer, and
 * through the monitor's.  Messages that parse as netlink get the
 * request's sequence number and port id, so that they are taken as
 * replies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "dyncast.h"

#define PORTID	4242

static int print_service(const struct nlmsghdr *nlh, void *data)
{
	return dc_service_print(data, nlh, NULL);
}

static int print_instance(const struct nlmsghdr *nlh, void *data)
{
	return dc_instance_print(data, nlh, NULL);
}

static int print_binding(const struct nlmsghdr *nlh, void *data)
{
	return dc_binding_print(data, nlh, NULL);
}

static int print_stats(const struct nlmsghdr *nlh, void *data)
{
	return dc_stats_print(data, nlh);
}

static int print_event(const struct nlmsghdr *nlh, void *data)
{
	return dc_monitor_print(data, nlh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		uint8_t cmd;
		uint16_t flags;
		mnl_cb_t cb;
	} reqs[] = {
		{ DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP, print_service },
		{ DYNCAST_CMD_INSTANCE_GET, NLM_F_DUMP, print_instance },
		{ DYNCAST_CMD_BINDING_GET, NLM_F_DUMP, print_binding },
		{ DYNCAST_CMD_STATS_GET, NLM_F_ACK, print_stats },
		{ DYNCAST_CMD_SERVICE_NEW, NLM_F_ACK, NULL },
	};
	static FILE *null;
	static char reqbuf[DC_NL_REQ_SIZE];
	struct dc_ctx ctx = {};
	struct dc_nl_xfer x;
	struct nlmsghdr *req, *nlh;
	struct dc_out o;
	unsigned int pick;
	char *buf;
	int len;

	if (!null)
		null = fopen("/dev/null", "w");
	if (!null || size < 1)
		return 0;
	pick = data[0];
	data++;
	size--;
	buf = aligned_alloc(4, (size + 3) & ~(size_t)3);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	req = dc_genl_start(reqbuf, sizeof(reqbuf), reqs[pick % 5].cmd,
			    DYNCAST_FAMILY_VERSION,
			    NLM_F_REQUEST | reqs[pick % 5].flags);
	req->nlmsg_type = 0x42;
	req->nlmsg_seq = 7;
	len = size;
	for (nlh = (struct nlmsghdr *)buf; dc_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		nlh->nlmsg_seq = req->nlmsg_seq;
		nlh->nlmsg_pid = PORTID;
	}

	dc_out_init(&o, null, pick & 0x80, pick & 0x40);
	dc_out_array(&o);
	dc_nl_xfer_init(&x, req, PORTID, null, &dc_top_set,
			reqs[pick % 5].cb, &o);
	dc_nl_xfer_feed(&x, buf, size);
	dc_nl_xfer_end(&x);
	dc_out_flush(&o);

	ctx.out = null;
	ctx.err = null;
	ctx.json = pick & 0x80;
	dc_nl_notify_feed(buf, size, 0x42, print_event, &ctx);
	free(buf);
	return 0;
}
