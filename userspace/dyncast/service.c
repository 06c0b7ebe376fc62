// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast service { add | replace | set | del | flush | show }, and the
 * service key (SID proto P [port P]) that instance and binding commands
 * share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>

#include "dyncast.h"

static const char *const proto_names[] = {
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
};

static const char *const mode_names[] = {
	[DYNCAST_MODE_REWRITE] = "rewrite",
	[DYNCAST_MODE_TUNNEL] = "tunnel",
	[DYNCAST_MODE_FORWARD] = "forward",
};

static const char *const affinity_names[] = {
	[DYNCAST_AFFINITY_5TUPLE] = "5tuple",
	[DYNCAST_AFFINITY_3TUPLE] = "3tuple",
	[DYNCAST_AFFINITY_2TUPLE] = "2tuple",
};

static const char *const policy_names[] = {
	[DYNCAST_POLICY_WEIGHTED] = "weighted",
	[DYNCAST_POLICY_LEAST_COST] = "least-cost",
	[DYNCAST_POLICY_HASH] = "hash",
};

static const char *const onoff_names[] = { "off", "on" };

static const struct dc_opt key_opts[] = {
	DC_OPT_KEYWORD("proto", DYNCAST_A_SERVICE_PROTO, proto_names),
	DC_OPT("port", DYNCAST_A_SERVICE_PORT, DC_OPT_PORT, 0, UINT16_MAX),
	{}
};

#define SRC_PREFIX_OPT	2	/* index in service_opts, max set per family */

static const struct dc_opt service_opts[] = {
	DC_OPT_KEYWORD("mode", DYNCAST_A_SERVICE_MODE, mode_names),
	DC_OPT_KEYWORD("affinity", DYNCAST_A_SERVICE_AFFINITY, affinity_names),
	DC_OPT("src-prefix", DYNCAST_A_SERVICE_SRC_PREFIX, DC_OPT_U8, 0, 128),
	DC_OPT("timeout", DYNCAST_A_SERVICE_TIMEOUT, DC_OPT_U32, 1, DYNCAST_TIMEOUT_MAX),
	DC_OPT("unconfirmed-timeout", DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT,
	       DC_OPT_U32, 0, DYNCAST_TIMEOUT_MAX),
	DC_OPT_KEYWORD("policy", DYNCAST_A_SERVICE_POLICY, policy_names),
	DC_OPT("max-bindings", DYNCAST_A_SERVICE_MAX_BINDINGS, DC_OPT_U32, 0, UINT32_MAX),
	DC_OPT("service-time", DYNCAST_A_SERVICE_SERVICE_TIME, DC_OPT_U32, 1,
	       DYNCAST_SERVICE_TIME_MAX),
	DC_OPT("key-id", DYNCAST_A_SERVICE_KEY_ID, DC_OPT_U8, 0, UINT8_MAX),
	DC_OPT("key-overlap", DYNCAST_A_SERVICE_KEY_OVERLAP, DC_OPT_U32, 0,
	       DYNCAST_TIMEOUT_MAX),
	DC_OPT("demand-idle", DYNCAST_A_SERVICE_DEMAND_IDLE, DC_OPT_U32, 0,
	       DYNCAST_DEMAND_IDLE_MAX),
	DC_OPT("slack", DYNCAST_A_SERVICE_SLACK, DC_OPT_U32, 0, DYNCAST_SLACK_MAX),
	DC_OPT_KEYWORD("counters", DYNCAST_A_SERVICE_COUNTERS, onoff_names),
	{}
};

static const struct dc_attr_desc service_attrs[DYNCAST_A_SERVICE_MAX + 1] = {
	[DYNCAST_A_SERVICE_PAD] = DC_ATTR(NULL, DC_ATTR_PAD, 0),
	[DYNCAST_A_SERVICE_ADDR4] = DC_ATTR("sid", DC_ATTR_IN4,
					    DC_ATTR_BARE | DC_ATTR_KEY),
	[DYNCAST_A_SERVICE_ADDR6] = DC_ATTR("sid", DC_ATTR_IN6,
					    DC_ATTR_BARE | DC_ATTR_KEY),
	[DYNCAST_A_SERVICE_PROTO] = DC_ATTR_KEYWORD("proto", proto_names, DC_ATTR_KEY),
	[DYNCAST_A_SERVICE_PORT] = DC_ATTR("port", DC_ATTR_BE16, DC_ATTR_KEY),
	[DYNCAST_A_SERVICE_MODE] = DC_ATTR_KEYWORD("mode", mode_names, 0),
	[DYNCAST_A_SERVICE_AFFINITY] = DC_ATTR_KEYWORD("affinity", affinity_names, 0),
	[DYNCAST_A_SERVICE_SRC_PREFIX] = DC_ATTR("src-prefix", DC_ATTR_U8, 0),
	[DYNCAST_A_SERVICE_TIMEOUT] = DC_ATTR("timeout", DC_ATTR_U32, 0),
	[DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT] =
		DC_ATTR("unconfirmed-timeout", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_POLICY] = DC_ATTR_KEYWORD("policy", policy_names, 0),
	[DYNCAST_A_SERVICE_MAX_BINDINGS] = DC_ATTR("max-bindings", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_SERVICE_TIME] = DC_ATTR("service-time", DC_ATTR_U32, 0),
	[DYNCAST_A_SERVICE_DEMAND_IDLE] = DC_ATTR("demand-idle", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_SLACK] = DC_ATTR("slack", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_COUNTERS] = DC_ATTR_KEYWORD("counters", onoff_names,
						       DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_BINDINGS] = DC_ATTR("bindings", DC_ATTR_U32, 0),
	[DYNCAST_A_SERVICE_INSTANCES] = DC_ATTR("instances", DC_ATTR_U32, 0),
	[DYNCAST_A_SERVICE_STATS] = DC_ATTR_STATS_NEST("stats", &dc_stats_set),
	[DYNCAST_A_SERVICE_ROUTER4] = DC_ATTR("router", DC_ATTR_IN4, 0),
	[DYNCAST_A_SERVICE_ROUTER6] = DC_ATTR("router", DC_ATTR_IN6, 0),
	[DYNCAST_A_SERVICE_KEYED] = DC_ATTR("keyed", DC_ATTR_FLAG, 0),
	[DYNCAST_A_SERVICE_KEY_ID] = DC_ATTR("key-id", DC_ATTR_U8, 0),
	[DYNCAST_A_SERVICE_KEY_OVERLAP] = DC_ATTR("key-overlap", DC_ATTR_U32, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_OLD_KEY_ID] = DC_ATTR("old-key-id", DC_ATTR_U8, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_OLD_KEY_EXPIRES] =
		DC_ATTR("old-key-expires", DC_ATTR_U64, DC_ATTR_DETAIL),
	[DYNCAST_A_SERVICE_HASH_SEEDED] = DC_ATTR("hash-seeded", DC_ATTR_FLAG, DC_ATTR_DETAIL),
};

const struct dc_attr_set dc_service_set = {
	DYNCAST_A_SERVICE_MAX, service_attrs
};

_Static_assert(DYNCAST_A_SERVICE_MAX <= DC_OPTS_ATTR_MAX &&
	       DYNCAST_A_SERVICE_MAX <= DC_ATTR_SET_MAX,
	       "service attributes do not fit the tables");

/*
 * SID proto { tcp | udp } [ port PORT ], then the keywords that @fn takes:
 * @fn returns 1 if it took **argv and its value, 0 if **argv is not one
 * of its keywords, -1 on error.
 */
int dc_service_args(struct dc_ctx *ctx, struct dc_service *svc, int argc,
		    char **argv, dc_arg_fn fn, void *data)
{
	if (argc < 1)
		return dc_arg_missing(ctx->err, "SID");
	if (dc_arg_addr(ctx->err, "SID", *argv, 0, &svc->sid))
		return -1;
	argc--;
	argv++;

	while (argc > 0) {
		int ret = dc_opts_arg(ctx->err, key_opts, &argc, &argv,
				      &svc->vals);

		if (!ret && fn)
			ret = fn(ctx, data, &argc, &argv);
		if (ret < 0)
			return -1;
		if (!ret)
			return dc_arg_unknown(ctx->err, *argv);
	}
	if (!dc_opt_isset(&svc->vals, DYNCAST_A_SERVICE_PROTO))
		return dc_arg_missing(ctx->err, "proto");
	return 0;
}

/* The optional service filter of show and flush: nothing, or a key. */
int dc_service_key(struct dc_ctx *ctx, struct dc_service *svc, int argc,
		   char **argv)
{
	return argc ? dc_service_args(ctx, svc, argc, argv, NULL, NULL) : 0;
}

/* The DYNCAST_A_SERVICE nest: address, key and whatever settings are set. */
int dc_service_put(struct nlmsghdr *nlh, const struct dc_service *svc)
{
	struct dc_optvals vals = svc->vals;
	struct nlattr *nest;

	/* port 0 is the default: leave it out, as the ABI asks */
	if (dc_opt_isset(&vals, DYNCAST_A_SERVICE_PORT) &&
	    !vals.val[DYNCAST_A_SERVICE_PORT])
		vals.present &= ~(1u << DYNCAST_A_SERVICE_PORT);

	nest = mnl_attr_nest_start_check(nlh, DC_NL_REQ_SIZE, DYNCAST_A_SERVICE);
	if (!nest ||
	    dc_put_addr(nlh, DC_NL_REQ_SIZE, &svc->sid, DYNCAST_A_SERVICE_ADDR4,
			DYNCAST_A_SERVICE_ADDR6) ||
	    dc_opts_put(nlh, DC_NL_REQ_SIZE, key_opts, &vals) ||
	    dc_opts_put(nlh, DC_NL_REQ_SIZE, service_opts, &vals) ||
	    (svc->router.family &&
	     dc_put_addr(nlh, DC_NL_REQ_SIZE, &svc->router,
			 DYNCAST_A_SERVICE_ROUTER4, DYNCAST_A_SERVICE_ROUTER6)) ||
	    (svc->has_key &&
	     !mnl_attr_put_check(nlh, DC_NL_REQ_SIZE, DYNCAST_A_SERVICE_KEY,
				 sizeof(svc->key), svc->key)) ||
	    (svc->has_seed &&
	     !mnl_attr_put_check(nlh, DC_NL_REQ_SIZE,
				 DYNCAST_A_SERVICE_HASH_SEED,
				 sizeof(svc->seed), svc->seed)))
		return -1;
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

struct service_settings {
	struct dc_opt opts[DC_ARRAY_SIZE(service_opts)];
	struct dc_service *svc;
};

/* router ADDR, key HEX, key-file FILE, hash-seed HEX: no numbers */
static int service_forwarder_arg(struct dc_ctx *ctx, struct dc_service *svc,
				 int *argc, char ***argv)
{
	const char *name = **argv;
	int ret;

	if (strcmp(name, "router") && strcmp(name, "key") &&
	    strcmp(name, "key-file") && strcmp(name, "hash-seed"))
		return 0;
	if (*argc < 2)
		return dc_arg_novalue(ctx->err, name);
	if (!strcmp(name, "hash-seed")) {
		if (svc->has_seed)
			return dc_arg_twice(ctx->err, name);
		ret = dc_arg_hex(ctx->err, name, (*argv)[1], svc->seed,
				 sizeof(svc->seed));
		svc->has_seed = !ret;
	} else if (!strcmp(name, "router")) {
		if (svc->router.family)
			return dc_arg_twice(ctx->err, name);
		ret = dc_arg_addr(ctx->err, name, (*argv)[1], svc->sid.family,
				  &svc->router);
	} else {
		if (svc->has_key)
			return dc_arg_twice(ctx->err, "key");
		ret = !strcmp(name, "key") ?
		      dc_arg_key(ctx->err, name, (*argv)[1], svc->key,
				 sizeof(svc->key)) :
		      dc_arg_key_file(ctx->err, name, (*argv)[1], svc->key,
				      sizeof(svc->key));
		svc->has_key = !ret;
		/* a file that cannot be read is no mistake of the line */
		if (ret == DC_ARG_IO)
			ctx->syserr = true;
	}
	if (ret)
		return -1;
	*argc -= 2;
	*argv += 2;
	return 1;
}

static int service_setting(struct dc_ctx *ctx, void *data, int *argc,
			   char ***argv)
{
	struct service_settings *s = data;
	int ret;

	ret = service_forwarder_arg(ctx, s->svc, argc, argv);
	if (ret)
		return ret;
	/* src-prefix is at most the length of the SID's family */
	s->opts[SRC_PREFIX_OPT].max = s->svc->sid.family == AF_INET ? 32 : 128;
	return dc_opts_arg(ctx->err, s->opts, argc, argv, &s->svc->vals);
}

int dc_service_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		     struct dc_service *svc)
{
	struct service_settings s = { .svc = svc };

	memset(svc, 0, sizeof(*svc));
	if (cmd == DYNCAST_CMD_SERVICE_GET)
		return dc_service_key(ctx, svc, argc, argv);
	if (cmd == DYNCAST_CMD_SERVICE_DEL)
		return dc_service_args(ctx, svc, argc, argv, NULL, NULL);

	memcpy(s.opts, service_opts, sizeof(s.opts));
	if (dc_service_args(ctx, svc, argc, argv, service_setting, &s))
		return -1;

	if (dc_opt_isset(&svc->vals, DYNCAST_A_SERVICE_SRC_PREFIX) &&
	    !dc_opt_isset(&svc->vals, DYNCAST_A_SERVICE_AFFINITY)) {
		dc_err(ctx->err, "argument \"src-prefix\" requires \"affinity\"");
		return -1;
	}
	if (dc_opt_isset(&svc->vals, DYNCAST_A_SERVICE_KEY_ID) &&
	    !svc->has_key) {
		dc_err(ctx->err, "argument \"key-id\" requires \"key\" or \"key-file\"");
		return -1;
	}
	if (svc->router.family &&
	    (!dc_opt_isset(&svc->vals, DYNCAST_A_SERVICE_MODE) ||
	     svc->vals.val[DYNCAST_A_SERVICE_MODE] != DYNCAST_MODE_FORWARD)) {
		dc_err(ctx->err, "argument \"router\" requires \"mode forward\"");
		return -1;
	}
	if (cmd == DYNCAST_CMD_SERVICE_SET && !svc->has_key && !svc->has_seed &&
	    !svc->router.family &&
	    !(svc->vals.present & ~((1u << DYNCAST_A_SERVICE_PROTO) |
				    (1u << DYNCAST_A_SERVICE_PORT)))) {
		dc_err(ctx->err, "\"service set\" needs at least one setting");
		return -1;
	}
	return 0;
}

/* @buf holds DC_NL_REQ_SIZE bytes. */
struct nlmsghdr *dc_service_build(void *buf, uint8_t cmd,
				  const struct dc_service *svc)
{
	/*
	 * Generic netlink rejects NLM_F_CREATE and NLM_F_EXCL on new
	 * families: "add" failing on an existing service is the command's
	 * own meaning.
	 */
	static const uint16_t flags[] = {
		[DYNCAST_CMD_SERVICE_NEW] = NLM_F_ACK,
		[DYNCAST_CMD_SERVICE_SET] = NLM_F_ACK,
		[DYNCAST_CMD_SERVICE_DEL] = NLM_F_ACK,
		[DYNCAST_CMD_SERVICE_GET] = NLM_F_ACK,
	};
	struct nlmsghdr *nlh;

	if (cmd >= DC_ARRAY_SIZE(flags) || !flags[cmd])
		return NULL;
	if (cmd == DYNCAST_CMD_SERVICE_GET && !svc->sid.family)
		return dc_req_start(buf, cmd, NLM_F_DUMP);

	nlh = dc_req_start(buf, cmd, flags[cmd]);
	if (dc_service_put(nlh, svc))
		return NULL;
	return nlh;
}

int dc_service_print(struct dc_out *o, const struct nlmsghdr *nlh,
		     const char *event)
{
	dc_attr_tb top, tb;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top) ||
	    !top[DYNCAST_A_SERVICE] ||
	    dc_attrs_parse_nest(top[DYNCAST_A_SERVICE], &dc_service_set, tb))
		return MNL_CB_OK;

	dc_out_open(o, NULL);
	if (event)
		dc_print_event(o, "service", event);
	dc_attrs_print(o, &dc_service_set, tb, 0);
	dc_out_close(o);
	return MNL_CB_OK;
}

/*
 * Instances and bindings: each @type nest of the message is one object,
 * named by the service key that the message carries too.
 */
int dc_service_print_keyed(struct dc_out *o, const struct nlmsghdr *nlh,
			   uint16_t type, const struct dc_attr_set *set,
			   const char *object, const char *event)
{
	dc_attr_tb top, tb, key = {};
	const struct nlattr *a;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top))
		return MNL_CB_OK;
	if (top[DYNCAST_A_SERVICE])
		dc_attrs_parse_nest(top[DYNCAST_A_SERVICE], &dc_service_set,
				    key);

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != type ||
		    mnl_attr_validate(a, MNL_TYPE_NESTED) ||
		    dc_attrs_parse_nest(a, set, tb))
			continue;
		dc_out_open(o, NULL);
		if (event)
			dc_print_event(o, object, event);
		dc_attrs_print(o, &dc_service_set, key, DC_ATTR_KEY);
		dc_attrs_print(o, set, tb, 0);
		dc_out_close(o);
	}
	return MNL_CB_OK;
}

static int service_show_cb(const struct nlmsghdr *nlh, void *data)
{
	return dc_service_print(data, nlh, NULL);
}

/*
 * The address of an attribute pair of a parsed nest (IPv4, IPv6), into @a:
 * 0, or -1 (family 0) when neither is there
 */
int dc_attr_addr(const struct nlattr *a4, const struct nlattr *a6,
		 struct dc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (a4) {
		a->family = AF_INET;
		memcpy(&a->u.in, mnl_attr_get_payload(a4), sizeof(a->u.in));
	} else if (a6) {
		a->family = AF_INET6;
		memcpy(&a->u.in6, mnl_attr_get_payload(a6), sizeof(a->u.in6));
	}
	return a->family ? 0 : -1;
}

/* "SID proto P [port N]" of a parsed service nest, for "save" */
void dc_service_key_print(FILE *fp, dc_attr_tb tb)
{
	char buf[DC_ADDR_STRLEN];
	struct dc_addr sid;
	uint8_t proto = tb[DYNCAST_A_SERVICE_PROTO] ?
			mnl_attr_get_u8(tb[DYNCAST_A_SERVICE_PROTO]) : 0;
	uint16_t port = tb[DYNCAST_A_SERVICE_PORT] ?
			ntohs(mnl_attr_get_u16(tb[DYNCAST_A_SERVICE_PORT])) : 0;

	dc_attr_addr(tb[DYNCAST_A_SERVICE_ADDR4], tb[DYNCAST_A_SERVICE_ADDR6],
		     &sid);
	fprintf(fp, "%s proto %s",
		dc_addr_fmt(sid.family, &sid.u, buf, sizeof(buf)),
		proto == IPPROTO_UDP ? "udp" : "tcp");
	if (port)
		fprintf(fp, " port %u", port);
}

/*
 * One service of a dump as the command that makes it again; what the
 * kernel never shows (its key, its hash seed) said in a comment
 */
static int service_save_cb(const struct nlmsghdr *nlh, void *data)
{
	/* key-id goes with a key, which is not saved */
	const uint32_t only = ~(1u << DYNCAST_A_SERVICE_KEY_ID);
	struct dc_ctx *ctx = data;
	dc_attr_tb top, tb;
	char buf[DC_ADDR_STRLEN];
	struct dc_addr router;
	bool forwarder;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top) ||
	    !top[DYNCAST_A_SERVICE] ||
	    dc_attrs_parse_nest(top[DYNCAST_A_SERVICE], &dc_service_set, tb) ||
	    !(tb[DYNCAST_A_SERVICE_ADDR4] || tb[DYNCAST_A_SERVICE_ADDR6]))
		return MNL_CB_OK;
	forwarder = tb[DYNCAST_A_SERVICE_MODE] &&
		    mnl_attr_get_u8(tb[DYNCAST_A_SERVICE_MODE]) == DYNCAST_MODE_FORWARD;
	/* a forwarder is made with its key, which is not shown: a comment */
	if (forwarder)
		fputs("# with key-file FILE added: ", ctx->out);
	fputs("service add ", ctx->out);
	dc_service_key_print(ctx->out, tb);
	dc_opts_print(ctx->out, service_opts, tb, only);
	if (!dc_attr_addr(tb[DYNCAST_A_SERVICE_ROUTER4],
			  tb[DYNCAST_A_SERVICE_ROUTER6], &router))
		fprintf(ctx->out, " router %s",
			dc_addr_fmt(router.family, &router.u, buf, sizeof(buf)));
	fputc('\n', ctx->out);
	if (!forwarder &&
	    (tb[DYNCAST_A_SERVICE_KEYED] || tb[DYNCAST_A_SERVICE_HASH_SEEDED])) {
		fputs("# not saved, never shown by the kernel: the ", ctx->out);
		fputs(tb[DYNCAST_A_SERVICE_KEYED] ?
		      (tb[DYNCAST_A_SERVICE_HASH_SEEDED] ? "key and hash seed" : "key") :
		      "hash seed", ctx->out);
		fputs(" of ", ctx->out);
		dc_service_key_print(ctx->out, tb);
		fputs(" (service set ... key-file FILE, hash-seed SEED)\n", ctx->out);
	}
	return MNL_CB_OK;
}

/* Every service of the namespace, as "service add" commands */
int dc_service_save(struct dc_ctx *ctx)
{
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	nlh = dc_req_start(buf, DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP);
	return ctx->ops->talk(ctx, nlh, service_save_cb, ctx) ? -1 : 0;
}

/* The services of a dump, by their keys, for "service flush" */
struct service_keys {
	struct dc_service *svc;
	unsigned int n, cap;
};

/* The key of the service that @nest (parsed in @tb) describes */
void dc_service_key_of(dc_attr_tb tb, struct dc_service *s)
{
	memset(s, 0, sizeof(*s));
	dc_attr_addr(tb[DYNCAST_A_SERVICE_ADDR4], tb[DYNCAST_A_SERVICE_ADDR6],
		     &s->sid);
	s->vals.present = (1u << DYNCAST_A_SERVICE_PROTO) |
			  (1u << DYNCAST_A_SERVICE_PORT);
	s->vals.val[DYNCAST_A_SERVICE_PROTO] =
		tb[DYNCAST_A_SERVICE_PROTO] ?
		mnl_attr_get_u8(tb[DYNCAST_A_SERVICE_PROTO]) : 0;
	s->vals.val[DYNCAST_A_SERVICE_PORT] =
		tb[DYNCAST_A_SERVICE_PORT] ?
		ntohs(mnl_attr_get_u16(tb[DYNCAST_A_SERVICE_PORT])) : 0;
}

static int service_key_cb(const struct nlmsghdr *nlh, void *data)
{
	struct service_keys *k = data;
	dc_attr_tb top, tb;
	struct dc_service *tmp;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top) ||
	    !top[DYNCAST_A_SERVICE] ||
	    dc_attrs_parse_nest(top[DYNCAST_A_SERVICE], &dc_service_set, tb))
		return MNL_CB_OK;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		tmp = reallocarray(k->svc, k->cap, sizeof(*k->svc));
		if (!tmp) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		k->svc = tmp;
	}
	dc_service_key_of(tb, &k->svc[k->n]);
	if (k->svc[k->n].sid.family)
		k->n++;
	return MNL_CB_OK;
}

/*
 * Every service of the namespace deleted, one by one: those that go
 * meanwhile are not missed (an error is said, and the rest go on)
 */
static int service_flush(struct dc_ctx *ctx, int argc, char **argv)
{
	struct service_keys k = {};
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	bool syserr = false;
	unsigned int i;
	int ret = 0, kerr = 0;

	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	nlh = dc_req_start(buf, DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP);
	if (dc_dump_whole(ctx, nlh, service_key_cb, &k, &k.n)) {
		free(k.svc);
		return -1;
	}
	for (i = 0; i < k.n; i++) {
		nlh = dc_service_build(buf, DYNCAST_CMD_SERVICE_DEL, &k.svc[i]);
		ctx->kerr = 0;
		ctx->syserr = false;
		/* one gone meanwhile is not missed; the first other failure is */
		if (dc_exec(ctx, nlh) && ctx->kerr != -ENOENT && !ret) {
			ret = -1;
			kerr = ctx->kerr;
			syserr = ctx->syserr;
		}
	}
	ctx->kerr = kerr;
	ctx->syserr = syserr;
	free(k.svc);
	return ret;
}

void dc_service_usage(FILE *fp)
{
	fputs("Usage: dyncast service { add | replace } SID proto { tcp | udp } [ port PORT ]\n"
	      "                                         [ SETTINGS ]\n"
	      "       dyncast service set SID proto { tcp | udp } [ port PORT ] SETTINGS\n"
	      "       dyncast service del SID proto { tcp | udp } [ port PORT ]\n"
	      "       dyncast service flush\n"
	      "       dyncast service show [ SID proto { tcp | udp } [ port PORT ] ]\n"
	      "SETTINGS := [ mode { rewrite | tunnel | forward router ADDR } ]\n"
	      "            [ affinity { 5tuple | 3tuple | 2tuple } [ src-prefix LEN ] ]\n"
	      "            [ timeout SECONDS ] [ unconfirmed-timeout SECONDS ]\n"
	      "            [ policy { weighted | least-cost | hash } ]\n"
	      "            [ max-bindings N ] [ service-time USEC ] [ demand-idle MS ]\n"
	      "            [ slack DEMANDS ] [ counters { on | off } ]\n"
	      "            [ { key HEX | key-file FILE } [ key-id ID ] ]\n"
	      "            [ key-overlap SECONDS ] [ hash-seed SEED ]\n"
	      "SID, ADDR := { IPv4 address | IPv6 address }\n"
	      "HEX := 64 hexadecimal digits (dyncast genkey makes one; a forwarder's:\n"
	      "       dyncast derivekey)\n"
	      "SEED := 32 hexadecimal digits, the same on every D-Router of the service\n", fp);
}

int dc_do_service(struct dc_ctx *ctx, int argc, char **argv)
{
	static const struct dc_verb verbs[] = {
		{ "add", DYNCAST_CMD_SERVICE_NEW },
		{ "replace", DYNCAST_CMD_SERVICE_NEW | DC_VERB_REPLACE },
		{ "set", DYNCAST_CMD_SERVICE_SET },
		{ "del", DYNCAST_CMD_SERVICE_DEL },
		{ "delete", DYNCAST_CMD_SERVICE_DEL },
		{ "show", DYNCAST_CMD_SERVICE_GET },
		{ "list", DYNCAST_CMD_SERVICE_GET },
		{}
	};
	char buf[DC_NL_REQ_SIZE];
	struct dc_service svc;
	struct nlmsghdr *nlh;
	bool replace;
	int cmd;

	if (argc > 0 && !strcmp(*argv, "flush"))
		return service_flush(ctx, argc - 1, argv + 1);
	cmd = dc_verb(ctx, "service", verbs, &argc, &argv,
		      DYNCAST_CMD_SERVICE_GET);
	if (cmd < 0)
		return -1;
	replace = cmd & DC_VERB_REPLACE;
	cmd &= ~DC_VERB_REPLACE;
	if (dc_service_parse(ctx, cmd, argc, argv, &svc))
		return -1;
	nlh = dc_service_build(buf, cmd, &svc);
	if (nlh && replace &&
	    !mnl_attr_put_check(nlh, DC_NL_REQ_SIZE, DYNCAST_A_REPLACE, 0, NULL))
		nlh = NULL;
	if (cmd == DYNCAST_CMD_SERVICE_GET)
		return dc_show(ctx, nlh, service_show_cb, true);
	return dc_exec(ctx, nlh);
}
