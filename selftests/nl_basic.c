// SPDX-License-Identifier: GPL-2.0
/*
 * Basic checks of the dyncast generic netlink family: it resolves, has the
 * expected version and the "events" multicast group, and rejects commands
 * it does not implement, and the replace flag where it means nothing,
 * instead of accepting or ignoring them.
 *
 * Run with the module loaded (nl_basic.sh does that).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/dyncast.h>

#include "ktap.h"

#define CMD_UNKNOWN	200

struct family {
	uint16_t id;
	uint32_t version;
	uint32_t events_grp;	/* 0: not found */
};

static struct mnl_socket *nl;
static unsigned int seq;

/* An ack or an error, as libmnl's own handler (which a control array
 * replaces) takes it.
 */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	errno = e->error < 0 ? -e->error : e->error;
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/*
 * The end of a dump: a dump that failed says why in it (libmnl 1.0.4 does
 * not look).
 */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	errno = -err;
	return MNL_CB_ERROR;
}

/* Send a request and read the answer.  Returns 0 when the kernel acked it or
 * answered with data, -errno when it answered with an error, and -ETIMEDOUT
 * when it did not answer.
 */
static int genl_talk(uint16_t type, uint8_t cmd, uint16_t flags,
		     void (*fill)(struct nlmsghdr *nlh), mnl_cb_t cb,
		     void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
	};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	ssize_t len;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = DYNCAST_FAMILY_VERSION;
	if (fill)
		fill(nlh);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	do {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run2(buf, len, seq, portid, cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > 0);

	return ret < 0 ? -errno : 0;
}

static void fill_family_name(struct nlmsghdr *nlh)
{
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DYNCAST_FAMILY_NAME);
}

static void parse_groups(const struct nlattr *groups, struct family *f)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, groups) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			switch (mnl_attr_get_type(a)) {
			case CTRL_ATTR_MCAST_GRP_NAME:
				name = mnl_attr_get_str(a);
				break;
			case CTRL_ATTR_MCAST_GRP_ID:
				id = mnl_attr_get_u32(a);
				break;
			}
		}
		if (name && !strcmp(name, DYNCAST_MCGRP_EVENTS))
			f->events_grp = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family *f = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			f->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_VERSION:
			f->version = mnl_attr_get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			parse_groups(a, f);
			break;
		}
	}
	return MNL_CB_OK;
}

static void fill_replace(struct nlmsghdr *nlh)
{
	mnl_attr_put(nlh, DYNCAST_A_REPLACE, 0, NULL);
}

/* A command the family does not have must come back as an error. */
static void check_rejected(const struct family *f, uint8_t cmd,
			   uint16_t flags, const char *what)
{
	int ret = genl_talk(f->id, cmd, flags, NULL, NULL, NULL);

	if (ret == -ETIMEDOUT)
		ktap_msg("no answer to %s", what);
	else if (!ret)
		ktap_msg("%s was accepted", what);
	else
		ktap_msg("%s: %s", what, strerror(-ret));
	ktap_result(ret < 0 && ret != -ETIMEDOUT, "%s is rejected", what);
}

int main(void)
{
	struct timeval tv = { .tv_sec = 2 };
	struct family f = {};
	int grp, ret;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		ktap_skip_all("no generic netlink");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		perror("netlink socket");
		return KSFT_FAIL;
	}
	srand(time(NULL));
	seq = rand();

	ktap_plan(11);

	ret = genl_talk(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, fill_family_name,
			family_cb, &f);
	if (ret)
		ktap_msg("CTRL_CMD_GETFAMILY: %s", strerror(-ret));
	if (!ktap_result(!ret && f.id, "family " DYNCAST_FAMILY_NAME " resolves"))
		ktap_finished();
	ktap_msg("family id %u, version %u", f.id, f.version);

	ktap_result(f.version == DYNCAST_FAMILY_VERSION,
		    "family version is %u", DYNCAST_FAMILY_VERSION);

	if (ktap_result(f.events_grp, "family has the \"" DYNCAST_MCGRP_EVENTS
			"\" multicast group")) {
		/* on a socket of its own, so events do not mix with answers */
		struct mnl_socket *mon = mnl_socket_open(NETLINK_GENERIC);

		grp = f.events_grp;
		ret = mon ? mnl_socket_setsockopt(mon, NETLINK_ADD_MEMBERSHIP,
						  &grp, sizeof(grp)) : -1;
		if (ret)
			ktap_msg("NETLINK_ADD_MEMBERSHIP: %s", strerror(errno));
		ktap_result(!ret, "joining the events group works");
		if (mon)
			mnl_socket_close(mon);
	} else {
		ktap_skipped("joining the events group works");
	}

	check_rejected(&f, CMD_UNKNOWN, 0, "unknown command 200");
	check_rejected(&f, CMD_UNKNOWN, NLM_F_DUMP, "dump of unknown command 200");
	check_rejected(&f, DYNCAST_CMD_UNSPEC, 0, "command UNSPEC");

	/* replace is for the -new commands: refused, not ignored, elsewhere */
	ret = genl_talk(f.id, DYNCAST_CMD_STATS_GET, 0, NULL, NULL, NULL);
	ktap_result(!ret, "stats-get answers");
	ret = genl_talk(f.id, DYNCAST_CMD_STATS_GET, 0, fill_replace, NULL, NULL);
	if (ret != -EINVAL)
		ktap_msg("stats-get with replace: %s", ret ? strerror(-ret) : "answered");
	ktap_result(ret == -EINVAL, "stats-get with replace is refused (EINVAL)");
	ret = genl_talk(f.id, DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP, NULL, NULL, NULL);
	ktap_result(!ret, "a service dump answers");
	ret = genl_talk(f.id, DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP, fill_replace,
			NULL, NULL);
	if (ret != -EINVAL)
		ktap_msg("service dump with replace: %s", ret ? strerror(-ret) : "answered");
	ktap_result(ret == -EINVAL, "a service dump with replace is refused (EINVAL)");

	mnl_socket_close(nl);
	ktap_finished();
}
