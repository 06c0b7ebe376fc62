// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "mock.h"

/* The message being built is complete: count it in. */
static void mock_close_msg(struct mock *m)
{
	if (!m->open)
		return;
	m->reply_len = (char *)m->open - m->reply +
		       MNL_ALIGN(m->open->nlmsg_len);
	m->open = NULL;
}

static struct nlmsghdr *mock_msg(struct mock *m, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	mock_close_msg(m);
	assert_true(m->reply_len + DC_NL_REQ_SIZE <= sizeof(m->reply));
	nlh = mnl_nlmsg_put_header(m->reply + m->reply_len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_pid = MOCK_PORTID;
	nlh->nlmsg_seq = m->seq + 1;	/* that of the next request */
	m->open = nlh;
	return nlh;
}

struct nlmsghdr *mock_genl(struct mock *m, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mock_msg(m, MOCK_FAMILY, flags);
	struct genlmsghdr *genl;

	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = DYNCAST_FAMILY_VERSION;
	return nlh;
}

void mock_done(struct mock *m, int error)
{
	struct nlmsghdr *nlh = mock_msg(m, NLMSG_DONE, NLM_F_MULTI);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*p = error;
}

/* An error or ack, with NETLINK_CAP_ACK; add NLMSGERR_ATTR_* to it. */
struct nlmsghdr *mock_error(struct mock *m, int error, const char *msg)
{
	struct nlmsghdr *nlh = mock_msg(m, NLMSG_ERROR, NLM_F_CAPPED);
	struct nlmsgerr *err;

	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = error;
	memcpy(&err->msg, m->req, sizeof(err->msg));
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	return nlh;
}

void mock_reset(struct mock *m)
{
	m->reply_len = 0;
	m->open = NULL;
}

static void mock_feed(struct mock *m, struct dc_nl_xfer *x)
{
	size_t off = 0;

	if (!m->datagrams) {
		dc_nl_xfer_feed(x, m->reply, m->reply_len);
		return;
	}
	while (off < m->reply_len) {
		const struct nlmsghdr *nlh = (const void *)(m->reply + off);

		dc_nl_xfer_feed(x, nlh, nlh->nlmsg_len);
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
}

static int mock_talk(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
		     void *data)
{
	struct mock *m = ctx->priv;
	struct dc_nl_xfer x;

	assert_true(req->nlmsg_len <= sizeof(m->req));
	req->nlmsg_type = MOCK_FAMILY;
	req->nlmsg_seq = m->seq + 1;
	req->nlmsg_pid = 0;
	memcpy(m->req, req, req->nlmsg_len);
	m->talks++;

	if (m->on_talk)
		m->on_talk(m, req);
	mock_close_msg(m);
	if (!m->reply_len) {
		if (req->nlmsg_flags & NLM_F_DUMP)
			mock_done(m, 0);
		else
			mock_error(m, 0, NULL);
		mock_close_msg(m);
	}

	dc_nl_xfer_init(&x, req, MOCK_PORTID, ctx->err, &dc_top_set, cb, data);
	mock_feed(m, &x);
	assert_true(x.done);
	mock_reset(m);
	m->seq++;
	if (x.error)
		ctx->kerr = x.error;
	else if (x.intr)
		ctx->syserr = true;	/* as the kernel's talk does */
	return dc_nl_xfer_end(&x);
}

static int mock_listen(struct dc_ctx *ctx, mnl_cb_t cb, void *data)
{
	struct mock *m = ctx->priv;
	int ret;

	mock_close_msg(m);
	ret = dc_nl_notify_feed(m->reply, m->reply_len, MOCK_FAMILY, cb, data);
	mock_reset(m);
	return ret < 0 ? -1 : 0;
}

static const struct dc_ops mock_ops = {
	.talk = mock_talk,
	.listen = mock_listen,
};

static int mock_streams(struct mock *m)
{
	m->outf = open_memstream(&m->out, &m->out_len);
	m->errf = open_memstream(&m->err, &m->err_len);
	if (!m->outf || !m->errf)
		return -1;
	m->ctx.out = m->outf;
	m->ctx.err = m->errf;
	return 0;
}

static void mock_streams_close(struct mock *m)
{
	fclose(m->outf);
	fclose(m->errf);
	free(m->out);
	free(m->err);
}

/* Forgets what was printed so far. */
void mock_clear(struct mock *m)
{
	mock_streams_close(m);
	assert_int_equal(mock_streams(m), 0);
}

int mock_setup(void **state)
{
	struct mock *m = calloc(1, sizeof(*m));

	if (!m || mock_streams(m))
		return -1;
	m->ctx.ops = &mock_ops;
	m->ctx.priv = m;
	*state = m;
	return 0;
}

int mock_teardown(void **state)
{
	struct mock *m = *state;

	mock_streams_close(m);
	free(m);
	return 0;
}

/* Runs "dyncast @cmdline"; its words are separated by single spaces. */
int mock_run(struct mock *m, const char *cmdline)
{
	char *argv[256], *line, *word, *save = NULL;
	int argc = 0, ret;

	line = strdup(cmdline);
	assert_non_null(line);
	for (word = strtok_r(line, " ", &save); word;
	     word = strtok_r(NULL, " ", &save)) {
		assert_true(argc < (int)(sizeof(argv) / sizeof(argv[0])));
		argv[argc++] = word;
	}
	m->ctx.json = false;
	m->ctx.pretty = false;
	m->ctx.stats = false;
	m->ctx.details = false;
	m->ctx.timestamp = false;
	ret = dc_main(&m->ctx, argc, argv);
	fflush(m->outf);
	fflush(m->errf);
	free(line);
	return ret;
}

const struct nlmsghdr *mock_req(const struct mock *m)
{
	return (const struct nlmsghdr *)m->req;
}

static const struct nlattr *mock_nth(const struct nlattr *start,
				     const char *end, uint16_t type,
				     unsigned int nth)
{
	const struct nlattr *a;

	for (a = start; mnl_attr_ok(a, end - (const char *)a);
	     a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) == type && !nth--)
			return a;
	return NULL;
}

/*
 * The attribute at a path of @n (type, index) pairs from the top of a
 * generic netlink message: mock_attr(nlh, 2, DYNCAST_A_INSTANCE, 1,
 * DYNCAST_A_INSTANCE_CPU, 0) is the CPU of the second instance.
 */
const struct nlattr *mock_attr(const struct nlmsghdr *nlh, unsigned int n,
			       ...)
{
	const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	const char *end = mnl_nlmsg_get_payload_tail(nlh);
	va_list ap;

	va_start(ap, n);
	while (n-- && a) {
		uint16_t type = va_arg(ap, int);
		unsigned int nth = va_arg(ap, unsigned int);

		a = mock_nth(a, end, type, nth);
		if (a && n) {
			end = (const char *)a + a->nla_len;
			a = mnl_attr_get_payload(a);
		}
	}
	va_end(ap);
	return a;
}

unsigned int mock_count(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;
	unsigned int n = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		n += mnl_attr_get_type(a) == type;
	return n;
}

uint32_t mock_offset(const struct nlmsghdr *nlh, const struct nlattr *a)
{
	return (const char *)a - (const char *)nlh;
}

json_t *mock_json(const struct mock *m)
{
	json_error_t error;
	json_t *j = json_loadb(m->out, m->out_len, 0, &error);

	if (!j)
		print_error("bad JSON (%s): %s\n", error.text, m->out);
	assert_non_null(j);
	return j;
}
