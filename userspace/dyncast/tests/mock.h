/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stand-in for the kernel: commands run through dc_main() as from the
 * command line; their request is kept, and canned replies are fed through
 * the same reply processing (dc_nl_xfer_*) as the socket's.
 */
#ifndef DC_TEST_MOCK_H
#define DC_TEST_MOCK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "dyncast.h"

#define MOCK_FAMILY	0x42
#define MOCK_PORTID	4242
#define MOCK_REPLY_SIZE	65536

struct mock {
	struct dc_ctx ctx;
	FILE *outf, *errf;
	char *out, *err;	/* what was printed, after mock_run() */
	size_t out_len, err_len;
	unsigned int talks;
	uint32_t seq;
	char req[DC_NL_REQ_SIZE];	/* the last request */
	char reply[MOCK_REPLY_SIZE];
	size_t reply_len;
	struct nlmsghdr *open;	/* the message being built */
	bool datagrams;		/* feed one message per datagram */
	void (*on_talk)(struct mock *m, const struct nlmsghdr *req);
};

int mock_setup(void **state);
int mock_teardown(void **state);
int mock_run(struct mock *m, const char *cmdline);
void mock_clear(struct mock *m);
const struct nlmsghdr *mock_req(const struct mock *m);

struct nlmsghdr *mock_genl(struct mock *m, uint8_t cmd, uint16_t flags);
void mock_done(struct mock *m, int error);
struct nlmsghdr *mock_error(struct mock *m, int error, const char *msg);
void mock_reset(struct mock *m);

const struct nlattr *mock_attr(const struct nlmsghdr *nlh, unsigned int n,
			       ...);
unsigned int mock_count(const struct nlmsghdr *nlh, uint16_t type);
uint32_t mock_offset(const struct nlmsghdr *nlh, const struct nlattr *a);
json_t *mock_json(const struct mock *m);

#endif /* DC_TEST_MOCK_H */
