// SPDX-License-Identifier: GPL-2.0
/*
 * The socket side of lib/nl.c against the running kernel, through the
 * generic netlink controller ("nlctrl"), which every kernel has: family
 * resolution, dumps, extended acks, and a socket that stays usable after
 * errors.  Needs no module and no privilege; skipped where netlink sockets
 * cannot be opened.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>

#include "mock.h"

struct nl_state {
	struct dc_nl nl;
	FILE *err;
	char *text;
	size_t len;
};

static const struct dc_attr_desc ctrl_attrs[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = DC_ATTR("family-id", DC_ATTR_U32, 0),
	[CTRL_ATTR_FAMILY_NAME] = DC_ATTR("family-name", DC_ATTR_U32, 0),
};

static const struct dc_attr_set ctrl_set = { CTRL_ATTR_MAX, ctrl_attrs };

static int nl_setup(void **state)
{
	static struct nl_state s;

	s.err = open_memstream(&s.text, &s.len);
	if (!s.err)
		return -1;
	if (dc_nl_open(&s.nl, s.err)) {
		fclose(s.err);
		free(s.text);
		return -1;
	}
	*state = &s;
	return 0;
}

static int nl_teardown(void **state)
{
	struct nl_state *s = *state;

	dc_nl_close(&s->nl);
	fclose(s->err);
	free(s->text);
	return 0;
}

static struct nlmsghdr *ctrl_req(char *buf, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = dc_genl_start(buf, DC_NL_REQ_SIZE, cmd, 1, NLM_F_REQUEST | flags);
	nlh->nlmsg_type = GENL_ID_CTRL;
	return nlh;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned int *)data)++;
	return MNL_CB_OK;
}

static void test_resolve(void **state)
{
	struct nl_state *s = *state;

	assert_int_equal(dc_nl_resolve(&s->nl, "nlctrl", "notify"), 0);
	assert_int_equal(s->nl.family, GENL_ID_CTRL);
	assert_int_not_equal(s->nl.mcgrp, 0);

	/* a missing family is for the caller to report */
	assert_int_equal(dc_nl_resolve(&s->nl, "dc-no-such-fam", NULL),
			 -ENOENT);
	fflush(s->err);
	assert_int_equal(s->len, 0);
}

static void test_dump(void **state)
{
	struct nl_state *s = *state;
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	unsigned int n = 0;

	assert_int_equal(dc_nl_talk(&s->nl, ctrl_req(buf, CTRL_CMD_GETFAMILY,
						    NLM_F_DUMP),
				    &ctrl_set, count_cb, &n), 0);
	assert_true(n >= 1);

	/* a policy dump of nlctrl comes in several messages */
	n = 0;
	nlh = ctrl_req(buf, CTRL_CMD_GETPOLICY, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	assert_int_equal(dc_nl_talk(&s->nl, nlh, &ctrl_set, count_cb, &n), 0);
	assert_true(n > 1);
	fflush(s->err);
	assert_int_equal(s->len, 0);
}

static void test_errors(void **state)
{
	struct nl_state *s = *state;
	char buf[DC_NL_REQ_SIZE], name[64];
	struct nlmsghdr *nlh;
	unsigned int n = 0;

	/* a name longer than the policy allows: the kernel names the attribute */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nlh = ctrl_req(buf, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	assert_true(dc_nl_talk(&s->nl, nlh, &ctrl_set, count_cb, &n) < 0);
	fflush(s->err);
	assert_memory_equal(s->text, "Error: ", 7);
	assert_non_null(strstr(s->text, ", bad argument \"family-name\" ("));
	assert_int_equal(n, 0);

	/* an unknown command */
	assert_int_equal(dc_nl_talk(&s->nl, ctrl_req(buf, 200, NLM_F_ACK),
				    &ctrl_set, NULL, NULL), -EOPNOTSUPP);

	/* and the socket still serves */
	assert_int_equal(dc_nl_resolve(&s->nl, "nlctrl", NULL), 0);
}

/* Appends a message of @type with @len bytes of @payload at @buf + *off */
static void put_msg(char *buf, size_t *off, uint16_t type, uint16_t flags,
		    const void *payload, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = 7;
	nlh->nlmsg_pid = 0;
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), payload, len);
	*off += nlh->nlmsg_len;
}

/*
 * A dump of another family (conntrack, sock_diag) that the kernel cuts
 * short ends in NLMSG_DONE with the error: libmnl's own handler takes it
 * for the end.
 */
static void test_dump_done_error(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct nlmsgerr e = { .error = -EPERM };
	uint32_t row = 1;
	unsigned int n = 0;
	int error = -ENOMEM;
	size_t off = 0;

	(void)state;
	put_msg(buf, &off, NLMSG_MIN_TYPE, NLM_F_MULTI, &row, sizeof(row));
	put_msg(buf, &off, NLMSG_DONE, NLM_F_MULTI, &error, sizeof(error));
	errno = 0;
	assert_int_equal(dc_mnl_dump_run(buf, off, 7, 0, count_cb, &n),
			 MNL_CB_ERROR);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(n, 1);

	/* a whole dump */
	off = 0;
	error = 0;
	put_msg(buf, &off, NLMSG_MIN_TYPE, NLM_F_MULTI, &row, sizeof(row));
	put_msg(buf, &off, NLMSG_DONE, NLM_F_MULTI, &error, sizeof(error));
	assert_int_equal(dc_mnl_dump_run(buf, off, 7, 0, count_cb, &n),
			 MNL_CB_STOP);
	assert_int_equal(n, 2);

	/* more to come */
	off = 0;
	put_msg(buf, &off, NLMSG_MIN_TYPE, NLM_F_MULTI, &row, sizeof(row));
	assert_int_equal(dc_mnl_dump_run(buf, off, 7, 0, count_cb, &n),
			 MNL_CB_OK);

	/* a refused request, and a short error message */
	off = 0;
	put_msg(buf, &off, NLMSG_ERROR, 0, &e, sizeof(e));
	errno = 0;
	assert_int_equal(dc_mnl_dump_run(buf, off, 7, 0, count_cb, &n),
			 MNL_CB_ERROR);
	assert_int_equal(errno, EPERM);
	off = 0;
	put_msg(buf, &off, NLMSG_ERROR, 0, &e, sizeof(e.error));
	errno = 0;
	assert_int_equal(dc_mnl_dump_run(buf, off, 7, 0, count_cb, &n),
			 MNL_CB_ERROR);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(n, 3);
}

static int fail_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_ERROR;
}

/*
 * A reply the caller's callback could not take fails the request, though
 * the kernel ends it well (NLMSG_DONE 0, or an ack 0): a flush that could
 * not collect its list must not end as a success.
 */
static void test_cb_error_stands(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	char reqbuf[DC_NL_REQ_SIZE] __attribute__((aligned(4)));
	struct nlmsgerr e = { .error = 0 };
	struct nlmsghdr *req;
	struct dc_nl_xfer x;
	uint32_t row = 1;
	int error = 0;
	size_t off = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);

	(void)state;
	assert_non_null(err);
	req = ctrl_req(reqbuf, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	req->nlmsg_seq = 7;
	put_msg(buf, &off, NLMSG_MIN_TYPE, NLM_F_MULTI, &row, sizeof(row));
	put_msg(buf, &off, NLMSG_DONE, NLM_F_MULTI, &error, sizeof(error));
	dc_nl_xfer_init(&x, req, 0, err, NULL, fail_cb, NULL);
	dc_nl_xfer_feed(&x, buf, off);
	assert_true(x.done);
	assert_int_equal(dc_nl_xfer_end(&x), -EBADMSG);

	req = ctrl_req(reqbuf, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	req->nlmsg_seq = 7;
	off = 0;
	put_msg(buf, &off, NLMSG_MIN_TYPE, 0, &row, sizeof(row));
	e.msg = *req;
	put_msg(buf, &off, NLMSG_ERROR, NLM_F_CAPPED, &e, sizeof(e));
	dc_nl_xfer_init(&x, req, 0, err, NULL, fail_cb, NULL);
	dc_nl_xfer_feed(&x, buf, off);
	assert_true(x.done);
	assert_int_equal(dc_nl_xfer_end(&x), -EBADMSG);
	fclose(err);
	assert_non_null(strstr(text, "cannot process the kernel's reply"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dump_done_error),
		cmocka_unit_test(test_cb_error_stands),
	};
	struct dc_nl nl;

	if (dc_nl_open(&nl, stderr)) {
		printf("1..0 # SKIP no generic netlink socket here\n");
		return 0;
	}
	dc_nl_close(&nl);
	return cmocka_run_group_tests_name("dyncast CLI: netlink socket",
					   tests, nl_setup, nl_teardown);
}
