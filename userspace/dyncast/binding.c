// SPDX-License-Identifier: GPL-2.0
/* dyncast binding { show | del | flush } */
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>

#include "dyncast.h"

static const struct dc_opt binding_opts[] = {
	DC_OPT("sport", DYNCAST_A_BINDING_SPORT, DC_OPT_PORT, 0, UINT16_MAX),
	DC_OPT("dport", DYNCAST_A_BINDING_DPORT, DC_OPT_PORT, 0, UINT16_MAX),
	{}
};

static const struct dc_attr_desc binding_attrs[DYNCAST_A_BINDING_MAX + 1] = {
	[DYNCAST_A_BINDING_PAD] = DC_ATTR(NULL, DC_ATTR_PAD, 0),
	[DYNCAST_A_BINDING_SRC4] = DC_ATTR("src", DC_ATTR_IN4, DC_ATTR_KEY),
	[DYNCAST_A_BINDING_SRC6] = DC_ATTR("src", DC_ATTR_IN6, DC_ATTR_KEY),
	[DYNCAST_A_BINDING_SPORT] = DC_ATTR("sport", DC_ATTR_BE16, DC_ATTR_KEY),
	[DYNCAST_A_BINDING_DPORT] = DC_ATTR("dport", DC_ATTR_BE16, DC_ATTR_KEY),
	[DYNCAST_A_BINDING_BID4] = DC_ATTR("bid", DC_ATTR_IN4, 0),
	[DYNCAST_A_BINDING_BID6] = DC_ATTR("bid", DC_ATTR_IN6, 0),
	[DYNCAST_A_BINDING_BID_PORT] = DC_ATTR("bid-port", DC_ATTR_BE16, 0),
	[DYNCAST_A_BINDING_AGE] = DC_ATTR("age", DC_ATTR_MSEC, DC_ATTR_DETAIL),
	[DYNCAST_A_BINDING_IDLE] = DC_ATTR("idle", DC_ATTR_MSEC, 0),
	[DYNCAST_A_BINDING_EXPIRES] = DC_ATTR("expires", DC_ATTR_MSEC, 0),
	[DYNCAST_A_BINDING_PACKETS] = DC_ATTR("packets", DC_ATTR_U64, 0),
	[DYNCAST_A_BINDING_BYTES] = DC_ATTR("bytes", DC_ATTR_U64, 0),
	[DYNCAST_A_BINDING_HOLD] = DC_ATTR("hold", DC_ATTR_FLAG, 0),
	[DYNCAST_A_BINDING_CONFIRMED] = DC_ATTR("confirmed", DC_ATTR_FLAG, 0),
};

const struct dc_attr_set dc_binding_set = {
	DYNCAST_A_BINDING_MAX, binding_attrs
};

_Static_assert(DYNCAST_A_BINDING_MAX <= DC_OPTS_ATTR_MAX &&
	       DYNCAST_A_BINDING_MAX <= DC_ATTR_SET_MAX,
	       "binding attributes do not fit the tables");

static int binding_arg(struct dc_ctx *ctx, void *data, int *argc,
		       char ***argv)
{
	struct dc_binding_req *req = data;

	if (strcmp(**argv, "src"))
		return dc_opts_arg(ctx->err, binding_opts, argc, argv,
				   &req->vals);
	if (*argc < 2)
		return dc_arg_novalue(ctx->err, "src");
	if (req->src.family)
		return dc_arg_twice(ctx->err, "src");
	if (dc_arg_addr(ctx->err, "src", (*argv)[1], req->svc.sid.family,
			&req->src))
		return -1;
	*argc -= 2;
	*argv += 2;
	return 1;
}

int dc_binding_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		     struct dc_binding_req *req)
{
	memset(req, 0, sizeof(*req));
	if (cmd != DYNCAST_CMD_BINDING_DEL)
		return dc_service_key(ctx, &req->svc, argc, argv);
	if (dc_service_args(ctx, &req->svc, argc, argv, binding_arg, req))
		return -1;
	if (!req->src.family)
		return dc_arg_missing(ctx->err, "src");
	return 0;
}

/* @buf holds DC_NL_REQ_SIZE bytes. */
struct nlmsghdr *dc_binding_build(void *buf, uint8_t cmd,
				  const struct dc_binding_req *req)
{
	struct dc_optvals vals = req->vals;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (cmd < DYNCAST_CMD_BINDING_GET || cmd > DYNCAST_CMD_BINDING_FLUSH)
		return NULL;
	nlh = dc_req_start(buf, cmd,
			   cmd == DYNCAST_CMD_BINDING_GET ? NLM_F_DUMP : NLM_F_ACK);
	if (req->svc.sid.family && dc_service_put(nlh, &req->svc))
		return NULL;
	if (cmd != DYNCAST_CMD_BINDING_DEL)
		return nlh;

	/* the flow identifier is complete only with both ports, 0 or not */
	vals.present |= (1u << DYNCAST_A_BINDING_SPORT) |
			(1u << DYNCAST_A_BINDING_DPORT);
	nest = mnl_attr_nest_start_check(nlh, DC_NL_REQ_SIZE, DYNCAST_A_BINDING);
	if (!nest ||
	    dc_put_addr(nlh, DC_NL_REQ_SIZE, &req->src, DYNCAST_A_BINDING_SRC4,
			DYNCAST_A_BINDING_SRC6) ||
	    dc_opts_put(nlh, DC_NL_REQ_SIZE, binding_opts, &vals))
		return NULL;
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

int dc_binding_print(struct dc_out *o, const struct nlmsghdr *nlh,
		     const char *event)
{
	return dc_service_print_keyed(o, nlh, DYNCAST_A_BINDING,
				      &dc_binding_set, "binding", event);
}

static int binding_show_cb(const struct nlmsghdr *nlh, void *data)
{
	return dc_binding_print(data, nlh, NULL);
}

void dc_binding_usage(FILE *fp)
{
	fputs("Usage: dyncast binding show [ SID proto { tcp | udp } [ port PORT ] ]\n"
	      "       dyncast binding del SID proto { tcp | udp } [ port PORT ] src ADDR\n"
	      "                           [ sport PORT ] [ dport PORT ]\n"
	      "       dyncast binding flush [ SID proto { tcp | udp } [ port PORT ] ]\n"
	      "SID, ADDR := { IPv4 address | IPv6 address }, both of one family\n", fp);
}

int dc_do_binding(struct dc_ctx *ctx, int argc, char **argv)
{
	static const struct dc_verb verbs[] = {
		{ "show", DYNCAST_CMD_BINDING_GET },
		{ "list", DYNCAST_CMD_BINDING_GET },
		{ "del", DYNCAST_CMD_BINDING_DEL },
		{ "delete", DYNCAST_CMD_BINDING_DEL },
		{ "flush", DYNCAST_CMD_BINDING_FLUSH },
		{}
	};
	struct dc_binding_req req;
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int cmd;

	cmd = dc_verb(ctx, "binding", verbs, &argc, &argv,
		      DYNCAST_CMD_BINDING_GET);
	if (cmd < 0 || dc_binding_parse(ctx, cmd, argc, argv, &req))
		return -1;
	nlh = dc_binding_build(buf, cmd, &req);
	if (cmd == DYNCAST_CMD_BINDING_GET)
		return dc_show(ctx, nlh, binding_show_cb, true);
	return dc_exec(ctx, nlh);
}
