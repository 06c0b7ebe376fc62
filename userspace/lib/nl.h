/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DC_NL_H
#define DC_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <libmnl/libmnl.h>

#include "attrs.h"

/*
 * Requests are small: the largest, DC_INSTANCES_MAX IPv6 instances with
 * every setting, takes some 4.2 KB.
 */
#define DC_NL_REQ_SIZE		8192
/* MNL_SOCKET_DUMP_SIZE of newer libmnl: never truncates a dump skb */
#define DC_NL_RX_SIZE		32768

/* dc_nl_talk(): a dump completed, but marked NLM_F_DUMP_INTR */
#define DC_NL_INTR		1

struct dc_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* resolved generic netlink family id */
	uint32_t mcgrp;		/* resolved multicast group, 0 if none */
	FILE *err;
	char *rx;
	int kerr;		/* the last error the kernel replied, -errno */
};

/* State of one request while its replies are coming in. */
struct dc_nl_xfer {
	const struct nlmsghdr *req;
	uint32_t portid;
	FILE *err;			/* NULL: report nothing */
	const struct dc_attr_set *names;	/* names attributes of req */
	mnl_cb_t cb;
	void *data;
	bool done;
	bool intr;
	bool cb_stopped;
	int error;
};

int dc_nl_open(struct dc_nl *nl, FILE *err);
void dc_nl_close(struct dc_nl *nl);
int dc_nl_resolve(struct dc_nl *nl, const char *name, const char *grp);
struct nlmsghdr *dc_genl_start(void *buf, size_t size, uint8_t cmd,
			       uint8_t version, uint16_t flags);
int dc_nl_talk(struct dc_nl *nl, struct nlmsghdr *req,
	       const struct dc_attr_set *names, mnl_cb_t cb, void *data);
int dc_nl_listen(struct dc_nl *nl, mnl_cb_t cb, void *data);

/*
 * Whether a whole message starts at @nlh, with @len bytes left.  libmnl's
 * mnl_nlmsg_ok() casts nlmsg_len to int: a length of 2 GiB or more passes
 * as negative, and mnl_nlmsg_next() then never moves on.
 */
static inline bool dc_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* The socket-free halves of dc_nl_talk() and dc_nl_listen(). */
void dc_nl_xfer_init(struct dc_nl_xfer *x, const struct nlmsghdr *req,
		     uint32_t portid, FILE *err,
		     const struct dc_attr_set *names, mnl_cb_t cb, void *data);
void dc_nl_xfer_feed(struct dc_nl_xfer *x, const void *buf, size_t len);
int dc_nl_xfer_end(struct dc_nl_xfer *x);
int dc_nl_notify_feed(const void *buf, size_t len, uint16_t type,
		      mnl_cb_t cb, void *data);
int dc_mnl_dump_run(const void *buf, size_t len, unsigned int seq,
		    unsigned int portid, mnl_cb_t cb, void *data);

#endif /* DC_NL_H */
