// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast instance { add | replace | set | del | flush | show }
 *
 * "bid" may be repeated to add, change or delete several instances of a
 * service in one request: each bid after the first starts a new instance,
 * and the settings that follow a bid apply to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>

#include "dyncast.h"

static const char *const state_names[] = {
	[DYNCAST_STATE_UP] = "up",
	[DYNCAST_STATE_DRAIN] = "drain",
	[DYNCAST_STATE_DOWN] = "down",
};

/* "instance set" takes all of these but the first, bid-port. */
static const struct dc_opt instance_opts[] = {
	DC_OPT("bid-port", DYNCAST_A_INSTANCE_PORT, DC_OPT_PORT, 0, UINT16_MAX),
	DC_OPT("weight", DYNCAST_A_INSTANCE_WEIGHT, DC_OPT_U32, 0, DYNCAST_WEIGHT_MAX),
	DC_OPT_KEYWORD("state", DYNCAST_A_INSTANCE_STATE, state_names),
	DC_OPT("cpu", DYNCAST_A_INSTANCE_CPU, DC_OPT_PERCENT, 0, DYNCAST_LOAD_MAX),
	DC_OPT("gpu", DYNCAST_A_INSTANCE_GPU, DC_OPT_PERCENT, 0, DYNCAST_LOAD_MAX),
	DC_OPT("sessions", DYNCAST_A_INSTANCE_SESSIONS, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("queue", DYNCAST_A_INSTANCE_QUEUE, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("capacity", DYNCAST_A_INSTANCE_CAPACITY, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("cost", DYNCAST_A_INSTANCE_COST, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("site", DYNCAST_A_INSTANCE_SITE, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("service-time", DYNCAST_A_INSTANCE_SERVICE_TIME, DC_OPT_U32, 0,
	       DYNCAST_SERVICE_TIME_MAX),
	DC_OPT("load", DYNCAST_A_INSTANCE_LOAD, DC_OPT_PERCENT, 0, DYNCAST_LOAD_MAX),
	DC_OPT("inflight-adjust", DYNCAST_A_INSTANCE_INFLIGHT_ADJUST, DC_OPT_MILLI,
	       0, DYNCAST_ADJUST_MAX),
	{}
};

static const struct dc_attr_desc instance_attrs[DYNCAST_A_INSTANCE_MAX + 1] = {
	[DYNCAST_A_INSTANCE_PAD] = DC_ATTR(NULL, DC_ATTR_PAD, 0),
	[DYNCAST_A_INSTANCE_ADDR4] = DC_ATTR("bid", DC_ATTR_IN4, DC_ATTR_KEY),
	[DYNCAST_A_INSTANCE_ADDR6] = DC_ATTR("bid", DC_ATTR_IN6, DC_ATTR_KEY),
	[DYNCAST_A_INSTANCE_PORT] = DC_ATTR("bid-port", DC_ATTR_BE16, DC_ATTR_DETAIL),
	[DYNCAST_A_INSTANCE_WEIGHT] = DC_ATTR("weight", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_STATE] = DC_ATTR_KEYWORD("state", state_names, 0),
	[DYNCAST_A_INSTANCE_CPU] = DC_ATTR("cpu", DC_ATTR_PERMILLE, 0),
	[DYNCAST_A_INSTANCE_GPU] = DC_ATTR("gpu", DC_ATTR_PERMILLE, 0),
	[DYNCAST_A_INSTANCE_SESSIONS] = DC_ATTR("sessions", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_QUEUE] = DC_ATTR("queue", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_CAPACITY] = DC_ATTR("capacity", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_COST] = DC_ATTR("cost", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_SITE] = DC_ATTR("site", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_METRICS_AGE] = DC_ATTR("metrics-age", DC_ATTR_MSEC, DC_ATTR_DETAIL),
	[DYNCAST_A_INSTANCE_BINDINGS] = DC_ATTR("bindings", DC_ATTR_U32, 0),
	[DYNCAST_A_INSTANCE_STATS] = DC_ATTR_STATS_NEST("stats", &dc_stats_set),
	[DYNCAST_A_INSTANCE_LEARNED] = DC_ATTR("learned", DC_ATTR_FLAG, 0),
	[DYNCAST_A_INSTANCE_SERVICE_TIME] = DC_ATTR("service-time", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_INSTANCE_LOAD] = DC_ATTR("load", DC_ATTR_PERMILLE, DC_ATTR_DETAIL),
	[DYNCAST_A_INSTANCE_INFLIGHT_ADJUST] =
		DC_ATTR("inflight-adjust", DC_ATTR_MILLI, DC_ATTR_DETAIL),
	[DYNCAST_A_INSTANCE_INFLIGHT] = DC_ATTR("inflight", DC_ATTR_U32, 0),
};

const struct dc_attr_set dc_instance_set = {
	DYNCAST_A_INSTANCE_MAX, instance_attrs
};

_Static_assert(DYNCAST_A_INSTANCE_MAX <= DC_OPTS_ATTR_MAX &&
	       DYNCAST_A_INSTANCE_MAX <= DC_ATTR_SET_MAX,
	       "instance attributes do not fit the tables");

struct instance_parse {
	struct dc_instance_req *req;
	const struct dc_opt *opts;	/* settings taken */
	bool multi;			/* several bids allowed */
};

/* The instance that settings go to, or (@next) a new one. */
static struct dc_instance *instance_cur(struct dc_ctx *ctx,
					struct dc_instance_req *req, bool next)
{
	if (req->n && !next)
		return &req->inst[req->n - 1];
	if (req->n == DC_INSTANCES_MAX) {
		dc_err(ctx->err, "too many instances in one command, at most %d",
		       DC_INSTANCES_MAX);
		return NULL;
	}
	return &req->inst[req->n++];
}

static int instance_arg(struct dc_ctx *ctx, void *data, int *argc,
			char ***argv)
{
	struct instance_parse *p = data;
	struct dc_instance_req *req = p->req;
	struct dc_instance *inst;
	bool named;

	if (strcmp(**argv, "bid")) {
		if (!p->opts)
			return 0;
		inst = instance_cur(ctx, req, false);
		if (!inst)
			return -1;
		return dc_opts_arg(ctx->err, p->opts, argc, argv, &inst->vals);
	}

	if (*argc < 2)
		return dc_arg_novalue(ctx->err, "bid");
	named = req->n && req->inst[req->n - 1].bid.family;
	if (named && !p->multi)
		return dc_arg_twice(ctx->err, "bid");
	inst = instance_cur(ctx, req, named);
	if (!inst ||
	    dc_arg_addr(ctx->err, "bid", (*argv)[1], req->svc.sid.family,
			&inst->bid))
		return -1;
	*argc -= 2;
	*argv += 2;
	return 1;
}

int dc_instance_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		      struct dc_instance_req *req)
{
	struct instance_parse p = {
		.req = req,
		.multi = cmd != DYNCAST_CMD_INSTANCE_GET,
	};
	char buf[DC_ADDR_STRLEN];
	unsigned int i;

	memset(req, 0, sizeof(*req));
	if (cmd == DYNCAST_CMD_INSTANCE_NEW)
		p.opts = instance_opts;
	else if (cmd == DYNCAST_CMD_INSTANCE_SET)
		p.opts = instance_opts + 1;

	if (cmd == DYNCAST_CMD_INSTANCE_GET && !argc)
		return 0;
	if (dc_service_args(ctx, &req->svc, argc, argv, instance_arg, &p))
		return -1;
	if (p.multi && (!req->n || !req->inst[0].bid.family))
		return dc_arg_missing(ctx->err, "bid");

	for (i = 0; cmd == DYNCAST_CMD_INSTANCE_SET && i < req->n; i++) {
		const struct dc_instance *inst = &req->inst[i];

		if (inst->vals.present)
			continue;
		dc_err(ctx->err, "no setting given for bid %s",
		       dc_addr_fmt(inst->bid.family, &inst->bid.u, buf,
				   sizeof(buf)));
		return -1;
	}
	return 0;
}

/* @buf holds DC_NL_REQ_SIZE bytes. */
struct nlmsghdr *dc_instance_build(void *buf, uint8_t cmd,
				   const struct dc_instance_req *req)
{
	struct nlmsghdr *nlh;
	unsigned int i;

	if (cmd < DYNCAST_CMD_INSTANCE_NEW || cmd > DYNCAST_CMD_INSTANCE_GET)
		return NULL;
	nlh = dc_req_start(buf, cmd,
			   cmd == DYNCAST_CMD_INSTANCE_GET && !req->n ?
			   NLM_F_DUMP : NLM_F_ACK);
	if (req->svc.sid.family && dc_service_put(nlh, &req->svc))
		return NULL;

	for (i = 0; i < req->n; i++) {
		const struct dc_instance *inst = &req->inst[i];
		struct nlattr *nest;

		nest = mnl_attr_nest_start_check(nlh, DC_NL_REQ_SIZE,
						 DYNCAST_A_INSTANCE);
		if (!nest ||
		    dc_put_addr(nlh, DC_NL_REQ_SIZE, &inst->bid,
				DYNCAST_A_INSTANCE_ADDR4,
				DYNCAST_A_INSTANCE_ADDR6) ||
		    dc_opts_put(nlh, DC_NL_REQ_SIZE, instance_opts, &inst->vals))
			return NULL;
		mnl_attr_nest_end(nlh, nest);
	}
	return nlh;
}

int dc_instance_print(struct dc_out *o, const struct nlmsghdr *nlh,
		      const char *event)
{
	return dc_service_print_keyed(o, nlh, DYNCAST_A_INSTANCE,
				      &dc_instance_set, "instance", event);
}

static int instance_show_cb(const struct nlmsghdr *nlh, void *data)
{
	return dc_instance_print(data, nlh, NULL);
}

/*
 * The instances of a dump as "instance add" commands: what configures
 * them, not the metrics agents push; instances a forwarder learnt are its
 * router's to make
 */
static int instance_save_cb(const struct nlmsghdr *nlh, void *data)
{
	const uint32_t only = (1u << DYNCAST_A_INSTANCE_PORT) |
			      (1u << DYNCAST_A_INSTANCE_WEIGHT) |
			      (1u << DYNCAST_A_INSTANCE_STATE) |
			      (1u << DYNCAST_A_INSTANCE_CAPACITY) |
			      (1u << DYNCAST_A_INSTANCE_COST) |
			      (1u << DYNCAST_A_INSTANCE_SITE) |
			      (1u << DYNCAST_A_INSTANCE_SERVICE_TIME);
	struct dc_ctx *ctx = data;
	dc_attr_tb top, svc, tb;
	const struct nlattr *a;
	char buf[DC_ADDR_STRLEN];
	struct dc_addr bid;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top) ||
	    !top[DYNCAST_A_SERVICE] ||
	    dc_attrs_parse_nest(top[DYNCAST_A_SERVICE], &dc_service_set, svc) ||
	    !(svc[DYNCAST_A_SERVICE_ADDR4] || svc[DYNCAST_A_SERVICE_ADDR6]))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != DYNCAST_A_INSTANCE ||
		    dc_attrs_parse_nest(a, &dc_instance_set, tb) ||
		    tb[DYNCAST_A_INSTANCE_LEARNED])
			continue;
		if (dc_attr_addr(tb[DYNCAST_A_INSTANCE_ADDR4],
				 tb[DYNCAST_A_INSTANCE_ADDR6], &bid))
			continue;
		fputs("instance add ", ctx->out);
		dc_service_key_print(ctx->out, svc);
		fprintf(ctx->out, " bid %s",
			dc_addr_fmt(bid.family, &bid.u, buf, sizeof(buf)));
		dc_opts_print(ctx->out, instance_opts, tb, only);
		fputc('\n', ctx->out);
	}
	return MNL_CB_OK;
}

/* Every instance of the namespace, as "instance add" commands */
int dc_instance_save(struct dc_ctx *ctx)
{
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	nlh = dc_req_start(buf, DYNCAST_CMD_INSTANCE_GET, NLM_F_DUMP);
	return ctx->ops->talk(ctx, nlh, instance_save_cb, ctx) ? -1 : 0;
}

/* The instances of one service's dump, for "instance flush" */
struct instance_bids {
	struct dc_addr *bid;
	unsigned int n, cap;
};

static int instance_bid_cb(const struct nlmsghdr *nlh, void *data)
{
	struct instance_bids *b = data;
	const struct nlattr *a;
	struct dc_addr *tmp;
	dc_attr_tb tb;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != DYNCAST_A_INSTANCE ||
		    dc_attrs_parse_nest(a, &dc_instance_set, tb))
			continue;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			tmp = reallocarray(b->bid, b->cap, sizeof(*b->bid));
			if (!tmp) {
				errno = ENOMEM;
				return MNL_CB_ERROR;
			}
			b->bid = tmp;
		}
		if (dc_attr_addr(tb[DYNCAST_A_INSTANCE_ADDR4],
				 tb[DYNCAST_A_INSTANCE_ADDR6], &b->bid[b->n]))
			continue;
		b->n++;
	}
	return MNL_CB_OK;
}

/*
 * Every instance of one service deleted, DC_INSTANCES_MAX a request: each
 * request all or nothing, as "instance del" of them
 */
static int instance_flush(struct dc_ctx *ctx, int argc, char **argv)
{
	struct instance_bids b = {};
	struct dc_instance_req req;
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	unsigned int i, j, chunk;
	int ret = 0;

	if (dc_instance_parse(ctx, DYNCAST_CMD_INSTANCE_GET, argc, argv, &req))
		return -1;
	if (!req.svc.sid.family)
		return dc_arg_missing(ctx->err, "SID");
	if (req.n)
		return dc_arg_unknown(ctx->err, "bid");
	nlh = dc_instance_build(buf, DYNCAST_CMD_INSTANCE_GET, &req);
	if (!nlh) {
		dc_err(ctx->err, "request too large");
		return -1;
	}
	if (dc_dump_whole(ctx, nlh, instance_bid_cb, &b, &b.n)) {
		free(b.bid);
		return -1;
	}
	for (i = 0; i < b.n; i += chunk) {
		chunk = b.n - i < DC_INSTANCES_MAX ? b.n - i : DC_INSTANCES_MAX;
		req.n = chunk;
		for (j = 0; j < chunk; j++) {
			memset(&req.inst[j], 0, sizeof(req.inst[j]));
			req.inst[j].bid = b.bid[i + j];
		}
		nlh = dc_instance_build(buf, DYNCAST_CMD_INSTANCE_DEL, &req);
		ctx->kerr = 0;
		if (!dc_exec(ctx, nlh))
			continue;
		if (ctx->kerr != -ENOENT) {
			ret = -1;
			break;
		}
		/* one of them gone meanwhile: the rest one by one */
		req.n = 1;
		for (j = 0; j < chunk; j++) {
			req.inst[0] = req.inst[j];
			nlh = dc_instance_build(buf, DYNCAST_CMD_INSTANCE_DEL, &req);
			ctx->kerr = 0;
			if (dc_exec(ctx, nlh) && ctx->kerr != -ENOENT) {
				ret = -1;
				break;
			}
		}
		if (ret)
			break;
	}
	if (!ret)
		ctx->kerr = 0;
	free(b.bid);
	return ret;
}

void dc_instance_usage(FILE *fp)
{
	fputs("Usage: dyncast instance { add | replace } SID proto { tcp | udp } [ port PORT ]\n"
	      "                            bid BID [ bid-port PORT ] [ SETTINGS ] [ bid BID ... ]\n"
	      "       dyncast instance set SID proto { tcp | udp } [ port PORT ] bid BID\n"
	      "                            SETTINGS [ bid BID SETTINGS ... ]\n"
	      "       dyncast instance del SID proto { tcp | udp } [ port PORT ] bid BID\n"
	      "                            [ bid BID ... ]\n"
	      "       dyncast instance flush SID proto { tcp | udp } [ port PORT ]\n"
	      "       dyncast instance show [ SID proto { tcp | udp } [ port PORT ] [ bid BID ] ]\n"
	      "SETTINGS := [ weight WEIGHT ] [ state { up | drain | down } ] [ METRICS ]\n"
	      "            [ MODEL ]\n"
	      "METRICS := [ cpu PERCENT ] [ gpu PERCENT ] [ sessions N ] [ queue N ]\n"
	      "           [ capacity N ] [ cost USEC ] [ site ID ]\n"
	      "MODEL := [ service-time USEC ] [ load PERCENT ] [ inflight-adjust DEMANDS ]\n"
	      "SID, BID := { IPv4 address | IPv6 address }, both of one family\n", fp);
}

int dc_do_instance(struct dc_ctx *ctx, int argc, char **argv)
{
	static const struct dc_verb verbs[] = {
		{ "add", DYNCAST_CMD_INSTANCE_NEW },
		{ "replace", DYNCAST_CMD_INSTANCE_NEW | DC_VERB_REPLACE },
		{ "set", DYNCAST_CMD_INSTANCE_SET },
		{ "del", DYNCAST_CMD_INSTANCE_DEL },
		{ "delete", DYNCAST_CMD_INSTANCE_DEL },
		{ "show", DYNCAST_CMD_INSTANCE_GET },
		{ "list", DYNCAST_CMD_INSTANCE_GET },
		{}
	};
	struct dc_instance_req req;
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	bool replace;
	int cmd;

	if (argc > 0 && !strcmp(*argv, "flush"))
		return instance_flush(ctx, argc - 1, argv + 1);
	cmd = dc_verb(ctx, "instance", verbs, &argc, &argv,
		      DYNCAST_CMD_INSTANCE_GET);
	if (cmd < 0)
		return -1;
	replace = cmd & DC_VERB_REPLACE;
	cmd &= ~DC_VERB_REPLACE;
	if (dc_instance_parse(ctx, cmd, argc, argv, &req))
		return -1;
	nlh = dc_instance_build(buf, cmd, &req);
	if (nlh && replace &&
	    !mnl_attr_put_check(nlh, DC_NL_REQ_SIZE, DYNCAST_A_REPLACE, 0, NULL))
		nlh = NULL;
	if (cmd == DYNCAST_CMD_INSTANCE_GET)
		return dc_show(ctx, nlh, instance_show_cb, true);
	return dc_exec(ctx, nlh);
}
