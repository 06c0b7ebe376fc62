// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink over libmnl: family resolution, request and ack with
 * extended ack reporting, dumps, multicast listening.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

/* the largest errno, as the kernel's MAX_ERRNO */
#define MAX_ERRNO	4095
#include "parse.h"

struct dc_nl_ext {
	const char *msg;
	bool has_offs, has_miss, has_miss_nest;
	uint32_t offs, miss_type, miss_nest;
};

/* Reports that @what failed, with the current errno, which it returns. */
static int dc_nl_fail(const struct dc_nl *nl, const char *what)
{
	int err = errno;

	dc_err(nl->err, "cannot %s: %s", what, strerror(err));
	return -err;
}

int dc_nl_open(struct dc_nl *nl, FILE *err)
{
	int one = 1;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->err = err;
	nl->rx = malloc(DC_NL_RX_SIZE);
	if (!nl->rx) {
		dc_err(err, "out of memory");
		return -ENOMEM;
	}
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock) {
		ret = dc_nl_fail(nl, "open a generic netlink socket");
		goto err_free;
	}
	/* Older kernels lack these; their errors then stay terse. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = dc_nl_fail(nl, "bind the netlink socket");
		goto err_close;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;

err_close:
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
err_free:
	free(nl->rx);
	nl->rx = NULL;
	return ret;
}

void dc_nl_close(struct dc_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	memset(nl, 0, sizeof(*nl));
}

struct nlmsghdr *dc_genl_start(void *buf, size_t size, uint8_t cmd,
			       uint8_t version, uint16_t flags)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)))
		return NULL;
	/* libmnl does not clear the padding of the attributes put later */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

void dc_nl_xfer_init(struct dc_nl_xfer *x, const struct nlmsghdr *req,
		     uint32_t portid, FILE *err,
		     const struct dc_attr_set *names, mnl_cb_t cb, void *data)
{
	*x = (struct dc_nl_xfer){
		.req = req,
		.portid = portid,
		.err = err,
		.names = names,
		.cb = cb,
		.data = data,
	};
}

static int dc_nl_ext_cb(const struct nlattr *a, void *data)
{
	struct dc_nl_ext *e = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			e->msg = mnl_attr_get_str(a);
		break;
	case NLMSGERR_ATTR_OFFS:
		if (!mnl_attr_validate(a, MNL_TYPE_U32)) {
			e->offs = mnl_attr_get_u32(a);
			e->has_offs = true;
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (!mnl_attr_validate(a, MNL_TYPE_U32)) {
			e->miss_type = mnl_attr_get_u32(a);
			e->has_miss = true;
		}
		break;
	case NLMSGERR_ATTR_MISS_NEST:
		if (!mnl_attr_validate(a, MNL_TYPE_U32)) {
			e->miss_nest = mnl_attr_get_u32(a);
			e->has_miss_nest = true;
		}
		break;
	}
	return MNL_CB_OK;
}

/*
 * Where the kernel says the error is, in CLI words: 'missing argument
 * "proto"', 'bad argument "timeout"', or, for a whole nest, the key that
 * names it: "for bid 10.0.0.2".  Empty if we cannot tell.
 */
static void dc_nl_where(const struct dc_nl_xfer *x, const struct dc_nl_ext *e,
			char *buf, size_t size)
{
	const struct dc_attr_set *set = x->names;
	const struct dc_attr_desc *d;
	const struct nlattr *a;
	FILE *fp;

	memset(buf, 0, size);
	if (!x->names || !x->req || (!e->has_miss && !e->has_offs))
		return;
	/* one byte short: the NUL stays when the text is cut */
	fp = fmemopen(buf, size - 1, "w");
	if (!fp)
		return;

	if (e->has_miss) {
		if (e->has_miss_nest) {
			a = dc_attrs_find(x->req, GENL_HDRLEN, x->names,
					  e->miss_nest, &d);
			set = a ? d->nest : NULL;
		}
		if (set && e->miss_type <= set->max &&
		    set->desc[e->miss_type].name)
			fprintf(fp, "missing argument \"%s\"",
				set->desc[e->miss_type].name);
	} else {
		a = dc_attrs_find(x->req, GENL_HDRLEN, x->names, e->offs, &d);
		if (a && d->kind != DC_ATTR_NEST) {
			fprintf(fp, "bad argument \"%s\"", d->name);
		} else if (a) {
			fputs("for ", fp);
			dc_attrs_print_key(fp, a, d->nest);
		}
	}
	fclose(fp);
	if (!strcmp(buf, "for "))
		buf[0] = '\0';
}

/*
 * "Error: <kernel message>, <where> (<errno text>)." with the parts we
 * have, the errno text first if the kernel said nothing; a message on a
 * successful ack is a warning.
 */
static void dc_nl_report(const struct dc_nl_xfer *x, int error,
			 const struct dc_nl_ext *e)
{
	char where[256];
	int len = 0;

	if (!x->err)
		return;
	if (e->msg) {
		len = strlen(e->msg);
		while (len && e->msg[len - 1] == '.')
			len--;
	}
	if (!error) {
		if (len)
			fprintf(x->err, "Warning: %.*s.\n", len, e->msg);
		return;
	}
	dc_nl_where(x, e, where, sizeof(where));
	fputs("Error: ", x->err);
	if (len)
		fprintf(x->err, "%.*s", len, e->msg);
	else
		fputs(strerror(-error), x->err);
	if (*where)
		fprintf(x->err, ", %s", where);
	if (len)
		fprintf(x->err, " (%s)", strerror(-error));
	fputs(".\n", x->err);
}

/* The errno of an error or done message: negative, or 0. */
static int dc_nl_errno(int error)
{
	/* the kernel sends -errno; anything else is a malformed reply */
	if (error > 0 && error <= MAX_ERRNO)
		return -error;
	if (error >= -MAX_ERRNO)
		return error;
	return -EBADMSG;
}

/*
 * The request's end, with the kernel's @error: an error of our own
 * already met (a reply we could not process) stands, so that the request
 * does not end as a success.
 */
static void dc_nl_xfer_last(struct dc_nl_xfer *x, int error,
			    const struct dc_nl_ext *e)
{
	if (x->error)
		return;
	x->error = error;
	dc_nl_report(x, error, e);
}

static void dc_nl_xfer_error(struct dc_nl_xfer *x, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	struct dc_nl_ext e = {};
	size_t off = sizeof(*err);

	if (len < sizeof(*err)) {
		x->error = -EBADMSG;
		dc_nl_report(x, x->error, &e);
		return;
	}
	/* without NETLINK_CAP_ACK, our request is echoed before the TLVs */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    err->msg.nlmsg_len >= MNL_NLMSG_HDRLEN)
		off += MNL_ALIGN(err->msg.nlmsg_len) - MNL_NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off <= len)
		mnl_attr_parse(nlh, off, dc_nl_ext_cb, &e);
	dc_nl_xfer_last(x, dc_nl_errno(err->error), &e);
}

static void dc_nl_xfer_done(struct dc_nl_xfer *x, const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	struct dc_nl_ext e = {};
	int error;

	if (len < sizeof(int))
		return;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, sizeof(int), dc_nl_ext_cb, &e);
	dc_nl_xfer_last(x, dc_nl_errno(error), &e);
}

static void dc_nl_xfer_msg(struct dc_nl_xfer *x, const struct nlmsghdr *nlh)
{
	if (x->cb && !x->cb_stopped && !x->error) {
		int ret = x->cb(nlh, x->data);

		if (ret <= MNL_CB_ERROR) {
			x->error = -EBADMSG;
			if (x->err)
				dc_err(x->err, "cannot process the kernel's reply");
		} else if (ret == MNL_CB_STOP) {
			x->cb_stopped = true;
		}
	}
	/* a plain reply to a request that asked for neither ack nor dump */
	if (!(x->req->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP)) &&
	    !(nlh->nlmsg_flags & NLM_F_MULTI))
		x->done = true;
}

/*
 * Processes one datagram of replies to x->req.  Everything is read up to
 * the final ack or NLMSG_DONE, even after an error, so that a socket used
 * for several requests (-batch) stays in step.
 */
void dc_nl_xfer_feed(struct dc_nl_xfer *x, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;

	for (; !x->done && dc_nlmsg_ok(nlh, rem);
	     nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (!mnl_nlmsg_portid_ok(nlh, x->portid) ||
		    !mnl_nlmsg_seq_ok(nlh, x->req->nlmsg_seq))
			continue;	/* left over from an earlier request */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			x->intr = true;

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			dc_nl_xfer_error(x, nlh);
			x->done = true;
			break;
		case NLMSG_DONE:
			dc_nl_xfer_done(x, nlh);
			x->done = true;
			break;
		case NLMSG_OVERRUN:
			x->error = -ENOBUFS;
			x->done = true;
			break;
		default:
			dc_nl_xfer_msg(x, nlh);
			break;
		}
	}
}

/* Returns 0, DC_NL_INTR, or the negative error already reported. */
int dc_nl_xfer_end(struct dc_nl_xfer *x)
{
	if (x->error)
		return x->error;
	if (x->intr) {
		if (x->err)
			fputs("Warning: dump interrupted, output may be inconsistent.\n",
			      x->err);
		return DC_NL_INTR;
	}
	return 0;
}

static int dc_nl_talk_err(struct dc_nl *nl, struct nlmsghdr *req, FILE *err,
			  const struct dc_attr_set *names, mnl_cb_t cb,
			  void *data)
{
	struct dc_nl_xfer x;

	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return dc_nl_fail(nl, "send the netlink request");
	dc_nl_xfer_init(&x, req, nl->portid, err, names, cb, data);
	while (!x.done) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx,
						DC_NL_RX_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dc_nl_fail(nl, "receive the netlink reply");
		dc_nl_xfer_feed(&x, nl->rx, n);
	}
	if (x.error)
		nl->kerr = x.error;
	return dc_nl_xfer_end(&x);
}

/*
 * Sends @req, hands every reply message to @cb, and waits for the final
 * ack or NLMSG_DONE.  Kernel errors are printed, their attribute named
 * after @names.
 */
int dc_nl_talk(struct dc_nl *nl, struct nlmsghdr *req,
	       const struct dc_attr_set *names, mnl_cb_t cb, void *data)
{
	return dc_nl_talk_err(nl, req, nl->err, names, cb, data);
}

struct dc_nl_family {
	const char *grp;
	uint16_t id;
	uint32_t mcgrp;
};

static void dc_nl_family_grp(const struct nlattr *nest, struct dc_nl_family *f)
{
	const char *name = NULL;
	const struct nlattr *a;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (f->grp && name && !strcmp(name, f->grp))
		f->mcgrp = id;
}

static int dc_nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dc_nl_family *f = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U16))
				f->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED))
				break;
			mnl_attr_for_each_nested(g, a)
				if (!mnl_attr_validate(g, MNL_TYPE_NESTED))
					dc_nl_family_grp(g, f);
			break;
		}
	}
	return MNL_CB_OK;
}

/*
 * Resolves family @name, and its multicast group @grp if not NULL.
 * Returns -ENOENT, unreported, if the family does not exist.
 */
int dc_nl_resolve(struct dc_nl *nl, const char *name, const char *grp)
{
	char buf[DC_NL_REQ_SIZE];
	struct dc_nl_family f = { .grp = grp };
	struct nlmsghdr *nlh;
	int ret;

	nlh = dc_genl_start(buf, sizeof(buf), CTRL_CMD_GETFAMILY, 1,
			    NLM_F_REQUEST | NLM_F_ACK);
	nlh->nlmsg_type = GENL_ID_CTRL;
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), CTRL_ATTR_FAMILY_NAME,
				     name))
		return -EMSGSIZE;
	ret = dc_nl_talk_err(nl, nlh, NULL, NULL, dc_nl_family_cb, &f);
	if (ret == -ENOENT)
		return ret;
	if (ret >= 0 && !f.id)
		ret = -EBADMSG;
	if (ret < 0) {
		dc_err(nl->err, "cannot resolve generic netlink family \"%s\": %s",
		       name, strerror(-ret));
		return ret;
	}
	nl->family = f.id;
	nl->mcgrp = f.mcgrp;
	return 0;
}

int dc_nl_notify_feed(const void *buf, size_t len, uint16_t type,
		      mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;
	int ret;

	for (; dc_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != type)
			continue;
		ret = cb(nlh, data);
		if (ret <= MNL_CB_STOP)
			return ret;
	}
	return MNL_CB_OK;
}

/* An error or an ack, as libmnl's own handler reads it */
static int dc_mnl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* The end of a dump, with the error that cut it short if one did */
static int dc_mnl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	int error;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error >= 0)
		return MNL_CB_STOP;
	errno = -error;
	return MNL_CB_ERROR;
}

/*
 * mnl_cb_run() for the replies to a dump of another netlink family
 * (conntrack, sock_diag).  libmnl's handler of NLMSG_DONE stops without
 * reading its payload, where netlink_dump() puts the error of a dump that
 * failed after its first message: a short dump would pass for a whole
 * one.  Returns as mnl_cb_run(): MNL_CB_OK for more, MNL_CB_STOP at the
 * end, MNL_CB_ERROR (-1) with errno set.
 */
int dc_mnl_dump_run(const void *buf, size_t len, unsigned int seq,
		    unsigned int portid, mnl_cb_t cb, void *data)
{
	/* NLMSG_OVERRUN and beyond keep libmnl's handlers (not const:
	 * libmnl 1.0.4 takes a plain pointer) */
	static mnl_cb_t ctl[NLMSG_DONE + 1] = {
		[NLMSG_ERROR] = dc_mnl_error_cb,
		[NLMSG_DONE] = dc_mnl_done_cb,
	};

	return mnl_cb_run2(buf, len, seq, portid, cb, data, ctl,
			   MNL_ARRAY_SIZE(ctl));
}

/* Hands every notification of the resolved group to @cb until it stops. */
int dc_nl_listen(struct dc_nl *nl, mnl_cb_t cb, void *data)
{
	int grp = nl->mcgrp;

	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return dc_nl_fail(nl, "join the multicast group");
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx,
						DC_NL_RX_SIZE);
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			fputs("Warning: events were lost, the receive buffer overran.\n",
			      nl->err);
			continue;
		}
		if (n < 0)
			return dc_nl_fail(nl, "receive events");
		ret = dc_nl_notify_feed(nl->rx, n, nl->family, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -EBADMSG : 0;
	}
}
