// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the "dyncast" generic netlink family.
 *
 * Every attribute is checked by a policy, every rejection carries an
 * extack message naming the attribute.  Mutating commands, and binding
 * dumps (they show clients), need CAP_NET_ADMIN in the user namespace that
 * owns the network namespace.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "dyncast.h"
#include "binding.h"
#include "fwd.h"
#include "instance.h"
#include "netlink.h"
#include "rewrite.h"
#include "service.h"
#include "stats.h"

#define DC_MAX_SERVICES		4096

static struct genl_family dc_genl_family;

enum dc_mcgrp {
	DC_MCGRP_EVENTS,
};

static const struct genl_multicast_group dc_mcgrps[] = {
	[DC_MCGRP_EVENTS] = { .name = DYNCAST_MCGRP_EVENTS },
};

static struct netlink_range_validation dc_timeout_range = {
	.min = 1,
	.max = DYNCAST_TIMEOUT_MAX,
};

static struct netlink_range_validation dc_unconfirmed_range = {
	.max = DYNCAST_TIMEOUT_MAX,
};

static struct netlink_range_validation dc_service_time_range = {
	.min = 1,
	.max = DYNCAST_SERVICE_TIME_MAX,
};

static struct netlink_range_validation dc_inst_service_time_range = {
	.max = DYNCAST_SERVICE_TIME_MAX,
};

static struct netlink_range_validation dc_demand_idle_range = {
	.max = DYNCAST_DEMAND_IDLE_MAX,
};

static struct netlink_range_validation dc_slack_range = {
	.max = DYNCAST_SLACK_MAX,
};

static struct netlink_range_validation_signed dc_adjust_range = {
	.min = DYNCAST_ADJUST_MIN,
	.max = DYNCAST_ADJUST_MAX,
};

static struct netlink_range_validation dc_weight_range = {
	.max = DYNCAST_WEIGHT_MAX,
};

static const struct nla_policy dc_service_policy[DYNCAST_A_SERVICE_MAX + 1] = {
	[DYNCAST_A_SERVICE_ADDR4] = { .type = NLA_BE32 },
	[DYNCAST_A_SERVICE_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	/*
	 * A range, not a validation function: 6.1 dumps the policy of a
	 * rejected attribute into the extack and misreads a function there.
	 * dc_nl_proto() narrows it to TCP and UDP.
	 */
	[DYNCAST_A_SERVICE_PROTO] = NLA_POLICY_RANGE(NLA_U8, IPPROTO_TCP, IPPROTO_UDP),
	[DYNCAST_A_SERVICE_PORT] = { .type = NLA_BE16 },
	[DYNCAST_A_SERVICE_MODE] = NLA_POLICY_MAX(NLA_U8, DYNCAST_MODE_MAX),
	[DYNCAST_A_SERVICE_AFFINITY] = NLA_POLICY_MAX(NLA_U8, DYNCAST_AFFINITY_MAX),
	[DYNCAST_A_SERVICE_SRC_PREFIX] = NLA_POLICY_MAX(NLA_U8, 128),
	[DYNCAST_A_SERVICE_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &dc_timeout_range),
	[DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dc_unconfirmed_range),
	[DYNCAST_A_SERVICE_POLICY] = NLA_POLICY_MAX(NLA_U8, DYNCAST_POLICY_MAX),
	[DYNCAST_A_SERVICE_MAX_BINDINGS] = { .type = NLA_U32 },
	[DYNCAST_A_SERVICE_SERVICE_TIME] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dc_service_time_range),
	[DYNCAST_A_SERVICE_BINDINGS] = { .type = NLA_REJECT,
					 .reject_message = "read-only attribute" },
	[DYNCAST_A_SERVICE_INSTANCES] = { .type = NLA_REJECT,
					  .reject_message = "read-only attribute" },
	/* a nest: rejected by dc_nl_read_only(), with a clear message */
	[DYNCAST_A_SERVICE_STATS] = { .type = NLA_NESTED },
	[DYNCAST_A_SERVICE_ROUTER4] = { .type = NLA_BE32 },
	[DYNCAST_A_SERVICE_ROUTER6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DYNCAST_A_SERVICE_KEY] = NLA_POLICY_EXACT_LEN(DYNCAST_KEY_LEN),
	[DYNCAST_A_SERVICE_KEYED] = { .type = NLA_REJECT,
				      .reject_message = "read-only attribute" },
	[DYNCAST_A_SERVICE_KEY_ID] = { .type = NLA_U8 },
	[DYNCAST_A_SERVICE_KEY_OVERLAP] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dc_unconfirmed_range),
	[DYNCAST_A_SERVICE_OLD_KEY_ID] = { .type = NLA_REJECT,
					   .reject_message = "read-only attribute" },
	[DYNCAST_A_SERVICE_OLD_KEY_EXPIRES] = { .type = NLA_REJECT,
						.reject_message = "read-only attribute" },
	[DYNCAST_A_SERVICE_HASH_SEED] = NLA_POLICY_EXACT_LEN(DYNCAST_HASH_SEED_LEN),
	[DYNCAST_A_SERVICE_HASH_SEEDED] = { .type = NLA_REJECT,
					    .reject_message = "read-only attribute" },
	[DYNCAST_A_SERVICE_DEMAND_IDLE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dc_demand_idle_range),
	[DYNCAST_A_SERVICE_SLACK] = NLA_POLICY_FULL_RANGE(NLA_U32, &dc_slack_range),
	[DYNCAST_A_SERVICE_COUNTERS] = NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy dc_instance_policy[DYNCAST_A_INSTANCE_MAX + 1] = {
	[DYNCAST_A_INSTANCE_ADDR4] = { .type = NLA_BE32 },
	[DYNCAST_A_INSTANCE_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DYNCAST_A_INSTANCE_PORT] = { .type = NLA_BE16 },
	[DYNCAST_A_INSTANCE_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32, &dc_weight_range),
	[DYNCAST_A_INSTANCE_STATE] = NLA_POLICY_MAX(NLA_U8, DYNCAST_STATE_MAX),
	[DYNCAST_A_INSTANCE_CPU] = NLA_POLICY_MAX(NLA_U32, DYNCAST_LOAD_MAX),
	[DYNCAST_A_INSTANCE_GPU] = NLA_POLICY_MAX(NLA_U32, DYNCAST_LOAD_MAX),
	[DYNCAST_A_INSTANCE_SESSIONS] = { .type = NLA_U32 },
	[DYNCAST_A_INSTANCE_QUEUE] = { .type = NLA_U32 },
	[DYNCAST_A_INSTANCE_CAPACITY] = { .type = NLA_U32 },
	[DYNCAST_A_INSTANCE_COST] = { .type = NLA_U32 },
	[DYNCAST_A_INSTANCE_SITE] = { .type = NLA_U32 },
	[DYNCAST_A_INSTANCE_METRICS_AGE] = { .type = NLA_REJECT,
					     .reject_message = "read-only attribute" },
	[DYNCAST_A_INSTANCE_BINDINGS] = { .type = NLA_REJECT,
					  .reject_message = "read-only attribute" },
	[DYNCAST_A_INSTANCE_STATS] = { .type = NLA_NESTED },
	[DYNCAST_A_INSTANCE_LEARNED] = { .type = NLA_REJECT,
					 .reject_message = "read-only attribute" },
	[DYNCAST_A_INSTANCE_SERVICE_TIME] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dc_inst_service_time_range),
	[DYNCAST_A_INSTANCE_LOAD] = NLA_POLICY_MAX(NLA_U32, DYNCAST_LOAD_MAX),
	[DYNCAST_A_INSTANCE_INFLIGHT_ADJUST] =
		NLA_POLICY_FULL_RANGE_SIGNED(NLA_S32, &dc_adjust_range),
	[DYNCAST_A_INSTANCE_INFLIGHT] = { .type = NLA_REJECT,
					  .reject_message = "read-only attribute" },
};

static const struct nla_policy dc_binding_policy[DYNCAST_A_BINDING_MAX + 1] = {
	[DYNCAST_A_BINDING_SRC4] = { .type = NLA_BE32 },
	[DYNCAST_A_BINDING_SRC6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DYNCAST_A_BINDING_SPORT] = { .type = NLA_BE16 },
	[DYNCAST_A_BINDING_DPORT] = { .type = NLA_BE16 },
	[DYNCAST_A_BINDING_BID4] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_BID6] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_BID_PORT] = { .type = NLA_REJECT,
					 .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_AGE] = { .type = NLA_REJECT,
				    .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_IDLE] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_EXPIRES] = { .type = NLA_REJECT,
					.reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_PACKETS] = { .type = NLA_REJECT,
					.reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_BYTES] = { .type = NLA_REJECT,
				      .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_HOLD] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[DYNCAST_A_BINDING_CONFIRMED] = { .type = NLA_REJECT,
					  .reject_message = "read-only attribute" },
};

static const struct nla_policy dc_policy[DYNCAST_A_MAX + 1] = {
	[DYNCAST_A_SERVICE] = NLA_POLICY_NESTED(dc_service_policy),
	[DYNCAST_A_INSTANCE] = NLA_POLICY_NESTED(dc_instance_policy),
	[DYNCAST_A_BINDING] = NLA_POLICY_NESTED(dc_binding_policy),
	[DYNCAST_A_STATS] = { .type = NLA_NESTED },
	[DYNCAST_A_REPLACE] = { .type = NLA_FLAG },
};

enum dc_addr_of {
	DC_ADDR_SERVICE,
	DC_ADDR_INSTANCE,
	DC_ADDR_BINDING,
	DC_ADDR_ROUTER,
};

enum dc_addr_err {
	DC_ADDR_BOTH,
	DC_ADDR_NOT_UNICAST,
	DC_ADDR_MISSING,
};

/* extack wants string literals: one message per object and fault. */
static void dc_addr_err(struct netlink_ext_ack *extack,
			const struct nlattr *attr, enum dc_addr_of of,
			enum dc_addr_err err)
{
	switch (of * 3 + err) {
	case DC_ADDR_SERVICE * 3 + DC_ADDR_BOTH:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "service: give an IPv4 or an IPv6 address, not both");
		break;
	case DC_ADDR_SERVICE * 3 + DC_ADDR_NOT_UNICAST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "service: not a unicast address");
		break;
	case DC_ADDR_SERVICE * 3 + DC_ADDR_MISSING:
		NL_SET_ERR_MSG_ATTR(extack, attr, "service: address missing");
		break;
	case DC_ADDR_INSTANCE * 3 + DC_ADDR_BOTH:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "instance: give an IPv4 or an IPv6 address, not both");
		break;
	case DC_ADDR_INSTANCE * 3 + DC_ADDR_NOT_UNICAST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "instance: not a unicast address");
		break;
	case DC_ADDR_INSTANCE * 3 + DC_ADDR_MISSING:
		NL_SET_ERR_MSG_ATTR(extack, attr, "instance: address missing");
		break;
	case DC_ADDR_BINDING * 3 + DC_ADDR_BOTH:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "binding: give an IPv4 or an IPv6 address, not both");
		break;
	case DC_ADDR_BINDING * 3 + DC_ADDR_MISSING:
		NL_SET_ERR_MSG_ATTR(extack, attr, "binding: address missing");
		break;
	case DC_ADDR_ROUTER * 3 + DC_ADDR_BOTH:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "router: give an IPv4 or an IPv6 address, not both");
		break;
	case DC_ADDR_ROUTER * 3 + DC_ADDR_NOT_UNICAST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "router: not a unicast address");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a forwarder service needs its router's address");
		break;
	}
}

/* An address given as one of two attributes, one per family. */
static int dc_nl_addr(struct nlattr *nest, struct nlattr *a4, struct nlattr *a6,
		      u8 *family, union nf_inet_addr *addr, enum dc_addr_of of,
		      struct netlink_ext_ack *extack)
{
	memset(addr, 0, sizeof(*addr));
	if (a4 && a6) {
		dc_addr_err(extack, a6, of, DC_ADDR_BOTH);
		return -EINVAL;
	}
	/*
	 * A binding's is a key, masked by the source prefix (a dump shows
	 * 0.0.0.0 under src-prefix 4): any address, not found if no binding.
	 */
	if (a4) {
		*family = AF_INET;
		addr->ip = nla_get_in_addr(a4);
		if (of != DC_ADDR_BINDING &&
		    (ipv4_is_multicast(addr->ip) || ipv4_is_lbcast(addr->ip) ||
		     ipv4_is_zeronet(addr->ip))) {
			dc_addr_err(extack, a4, of, DC_ADDR_NOT_UNICAST);
			return -EINVAL;
		}
		return 0;
	}
	if (a6) {
		*family = AF_INET6;
		addr->in6 = nla_get_in6_addr(a6);
		if (of != DC_ADDR_BINDING &&
		    (ipv6_addr_is_multicast(&addr->in6) ||
		     ipv6_addr_any(&addr->in6))) {
			dc_addr_err(extack, a6, of, DC_ADDR_NOT_UNICAST);
			return -EINVAL;
		}
		return 0;
	}
	dc_addr_err(extack, nest, of, DC_ADDR_MISSING);
	return -EINVAL;
}

struct dc_svc_key {
	u8 family;
	u8 proto;
	__be16 port;
	union nf_inet_addr addr;
};

/*
 * Counters are nests, and the policy's NLA_REJECT would refuse a nest
 * for its NLA_F_NESTED flag before saying why; say it here.
 */
static int dc_nl_read_only(const struct nlattr *attr,
			   struct netlink_ext_ack *extack)
{
	if (!attr)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, attr, "read-only attribute");
	return -EINVAL;
}

static int dc_nl_proto(struct nlattr *nest, struct nlattr **tb, u8 *proto,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *attr = tb[DYNCAST_A_SERVICE_PROTO];

	if (!attr) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "service: protocol missing");
		return -EINVAL;
	}
	*proto = nla_get_u8(attr);
	if (*proto != IPPROTO_TCP && *proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "protocol must be TCP (6) or UDP (17)");
		return -EINVAL;
	}
	return 0;
}

static int dc_nl_parse_service(struct genl_info *info, struct nlattr **tb,
			       struct dc_svc_key *k)
{
	struct nlattr *nest = info->attrs[DYNCAST_A_SERVICE];
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, DYNCAST_A_SERVICE))
		return -EINVAL;
	ret = nla_parse_nested(tb, DYNCAST_A_SERVICE_MAX, nest,
			       dc_service_policy, info->extack) ?:
	      dc_nl_read_only(tb[DYNCAST_A_SERVICE_STATS], info->extack) ?:
	      dc_nl_read_only(info->attrs[DYNCAST_A_STATS], info->extack);
	if (ret)
		return ret;
	ret = dc_nl_addr(nest, tb[DYNCAST_A_SERVICE_ADDR4],
			 tb[DYNCAST_A_SERVICE_ADDR6], &k->family, &k->addr,
			 DC_ADDR_SERVICE, info->extack);
	if (ret)
		return ret;
	ret = dc_nl_proto(nest, tb, &k->proto, info->extack);
	if (ret)
		return ret;
	k->port = tb[DYNCAST_A_SERVICE_PORT] ?
		  nla_get_be16(tb[DYNCAST_A_SERVICE_PORT]) : 0;
	return 0;
}

/* The service a request names, which must exist. */
static struct dc_service *dc_nl_service(struct dc_net *dn,
					struct genl_info *info,
					struct nlattr **tb)
{
	struct dc_service *svc;
	struct dc_svc_key k;
	int ret;

	ret = dc_nl_parse_service(info, tb, &k);
	if (ret)
		return ERR_PTR(ret);
	svc = dc_service_find(dn, k.family, &k.addr, k.proto, k.port);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DYNCAST_A_SERVICE],
				    "service not found");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static int dc_nl_put_addr(struct sk_buff *skb, u8 family, int a4, int a6,
			  const union nf_inet_addr *addr)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, a4, addr->ip);
	return nla_put_in6_addr(skb, a6, &addr->in6);
}

/* The event counters and their attributes; instances have only demands. */
static const u16 dc_stat_attrs[DC_STAT_NR] = {
	[DC_STAT_DEMANDS] = DYNCAST_A_STATS_DEMANDS,
	[DC_STAT_NO_INSTANCE] = DYNCAST_A_STATS_NO_INSTANCE,
	[DC_STAT_TABLE_FULL] = DYNCAST_A_STATS_TABLE_FULL,
	[DC_STAT_NOT_START] = DYNCAST_A_STATS_NOT_START,
	[DC_STAT_TOO_BIG] = DYNCAST_A_STATS_TOO_BIG,
	[DC_STAT_XMIT_ERRORS] = DYNCAST_A_STATS_XMIT_ERRORS,
	[DC_STAT_MISSES_SENT] = DYNCAST_A_STATS_MISSES_SENT,
	[DC_STAT_MISSES] = DYNCAST_A_STATS_MISSES,
	[DC_STAT_BINDINFO_SENT] = DYNCAST_A_STATS_BINDINFO_SENT,
	[DC_STAT_BINDINFO_RECV] = DYNCAST_A_STATS_BINDINFO_RECV,
	[DC_STAT_NOTICES_SENT] = DYNCAST_A_STATS_NOTICES_SENT,
	[DC_STAT_NOTICES_RECV] = DYNCAST_A_STATS_NOTICES_RECV,
	[DC_STAT_BAD_AUTH] = DYNCAST_A_STATS_BAD_AUTH,
	[DC_STAT_REPLAYED] = DYNCAST_A_STATS_REPLAYED,
	[DC_STAT_MALFORMED] = DYNCAST_A_STATS_MALFORMED,
	[DC_STAT_LEARN_DROPS] = DYNCAST_A_STATS_LEARN_DROPS,
	[DC_STAT_PEERS_FULL] = DYNCAST_A_STATS_PEERS_FULL,
	[DC_STAT_KEEPALIVES_SENT] = DYNCAST_A_STATS_KEEPALIVES_SENT,
	[DC_STAT_KEEPALIVES_RECV] = DYNCAST_A_STATS_KEEPALIVES_RECV,
	[DC_STAT_RATELIMITED] = DYNCAST_A_STATS_RATELIMITED,
	[DC_STAT_STALE] = DYNCAST_A_STATS_STALE,
};

/*
 * Counters; with all, every event counter (else packets, bytes and
 * demands); with dn, the namespace-wide gauges as well.
 */
static int dc_nl_put_stats(struct sk_buff *skb, int type,
			   struct dc_pcpu_stats __percpu *pcpu, bool all,
			   struct dc_net *dn)
{
	struct dc_stats s;
	struct nlattr *nest;
	int i;

	dc_stats_read(pcpu, &s);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, DYNCAST_A_STATS_PACKETS, s.packets,
			      DYNCAST_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, DYNCAST_A_STATS_BYTES, s.bytes,
			      DYNCAST_A_STATS_PAD))
		goto cancel;
	for (i = 0; i < DC_STAT_NR; i++) {
		if (!all && i != DC_STAT_DEMANDS)
			continue;
		if (nla_put_u64_64bit(skb, dc_stat_attrs[i], s.count[i],
				      DYNCAST_A_STATS_PAD))
			goto cancel;
	}
	if (dn &&
	    (nla_put_u64_64bit(skb, DYNCAST_A_STATS_EXPIRED,
			       atomic64_read(&dn->expired), DYNCAST_A_STATS_PAD) ||
	     nla_put_u32(skb, DYNCAST_A_STATS_BINDINGS,
			 atomic_read(&dn->nr_bindings)) ||
	     nla_put_u32(skb, DYNCAST_A_STATS_MAX_BINDINGS,
			 READ_ONCE(dc_max_bindings)) ||
	     nla_put_u32(skb, DYNCAST_A_STATS_SERVICES,
			 READ_ONCE(dn->nr_services)) ||
	     nla_put_u32(skb, DYNCAST_A_STATS_FORWARDERS,
			 atomic_read(&dn->nr_peers))))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int dc_nl_put_service_key(struct sk_buff *skb,
				 const struct dc_service *svc)
{
	if (dc_nl_put_addr(skb, svc->family, DYNCAST_A_SERVICE_ADDR4,
			   DYNCAST_A_SERVICE_ADDR6, &svc->addr) ||
	    nla_put_u8(skb, DYNCAST_A_SERVICE_PROTO, svc->proto) ||
	    nla_put_be16(skb, DYNCAST_A_SERVICE_PORT, svc->port))
		return -EMSGSIZE;
	return 0;
}

/* Which keys a service has: never the keys themselves. */
static int dc_nl_put_keys(struct sk_buff *skb, const struct dc_service *svc)
{
	struct dc_key *key, *old;
	unsigned long until = 0;
	int ret = 0;

	rcu_read_lock();
	key = rcu_dereference(svc->key);
	old = rcu_dereference(svc->old_key);
	if (old)
		until = READ_ONCE(old->until);
	if (key)
		ret = nla_put_flag(skb, DYNCAST_A_SERVICE_KEYED) ?:
		      nla_put_u8(skb, DYNCAST_A_SERVICE_KEY_ID, key->id);
	if (!ret && old && time_before(jiffies, until))
		ret = nla_put_u8(skb, DYNCAST_A_SERVICE_OLD_KEY_ID, old->id) ?:
		      nla_put_u64_64bit(skb, DYNCAST_A_SERVICE_OLD_KEY_EXPIRES,
					jiffies_to_msecs(until - jiffies),
					DYNCAST_A_SERVICE_PAD);
	rcu_read_unlock();
	return ret;
}

static int dc_nl_fill_service(struct sk_buff *skb, struct dc_service *svc,
			      u32 portid, u32 seq, int flags, u8 cmd,
			      struct netlink_callback *cb)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &dc_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, DYNCAST_A_SERVICE);
	if (!nest)
		goto cancel;
	if (dc_nl_put_service_key(skb, svc))
		goto cancel;
	if (cmd != DYNCAST_CMD_SERVICE_DEL &&
	    (nla_put_u8(skb, DYNCAST_A_SERVICE_MODE, svc->mode) ||
	     nla_put_u8(skb, DYNCAST_A_SERVICE_AFFINITY, svc->affinity) ||
	     nla_put_u8(skb, DYNCAST_A_SERVICE_SRC_PREFIX, svc->src_prefix) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_TIMEOUT, svc->timeout / HZ) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT,
			 svc->unconfirmed / HZ) ||
	     nla_put_u8(skb, DYNCAST_A_SERVICE_POLICY, svc->policy) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_MAX_BINDINGS, svc->max_bindings) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_SERVICE_TIME, svc->service_time) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_DEMAND_IDLE,
			 jiffies_to_msecs(svc->demand_idle)) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_SLACK, svc->slack) ||
	     nla_put_u8(skb, DYNCAST_A_SERVICE_COUNTERS, svc->counters) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_BINDINGS,
			 atomic_read(&svc->nr_bindings)) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_INSTANCES, svc->nr_instances) ||
	     (svc->mode == DYNCAST_MODE_FORWARD &&
	      dc_nl_put_addr(skb, svc->family, DYNCAST_A_SERVICE_ROUTER4,
			     DYNCAST_A_SERVICE_ROUTER6, &svc->router)) ||
	     nla_put_u32(skb, DYNCAST_A_SERVICE_KEY_OVERLAP,
			 svc->key_overlap / HZ) ||
	     dc_nl_put_keys(skb, svc) ||
	     ((svc->hash_seed.key[0] || svc->hash_seed.key[1]) &&
	      nla_put_flag(skb, DYNCAST_A_SERVICE_HASH_SEEDED)) ||
	     dc_nl_put_stats(skb, DYNCAST_A_SERVICE_STATS, svc->stats, true,
			     NULL)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int dc_nl_fill_instance(struct sk_buff *skb, struct dc_instance *inst,
			       u32 portid, u32 seq, int flags, u8 cmd,
			       struct netlink_callback *cb)
{
	struct dc_service *svc = inst->svc;
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &dc_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, DYNCAST_A_SERVICE);
	if (!nest || dc_nl_put_service_key(skb, svc))
		goto cancel;
	nla_nest_end(skb, nest);

	nest = nla_nest_start(skb, DYNCAST_A_INSTANCE);
	if (!nest)
		goto cancel;
	if (dc_nl_put_addr(skb, svc->family, DYNCAST_A_INSTANCE_ADDR4,
			   DYNCAST_A_INSTANCE_ADDR6, &inst->addr) ||
	    nla_put_be16(skb, DYNCAST_A_INSTANCE_PORT, inst->port))
		goto cancel;
	if (cmd != DYNCAST_CMD_INSTANCE_DEL &&
	    (nla_put_u32(skb, DYNCAST_A_INSTANCE_WEIGHT, inst->weight) ||
	     nla_put_u8(skb, DYNCAST_A_INSTANCE_STATE, inst->state) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_CPU, inst->cpu) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_GPU, inst->gpu) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_SESSIONS, inst->sessions) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_QUEUE, inst->queue) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_CAPACITY, inst->capacity) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_COST, inst->cost) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_SITE, inst->site) ||
	     nla_put_u64_64bit(skb, DYNCAST_A_INSTANCE_METRICS_AGE,
			       jiffies_to_msecs(jiffies - inst->metrics_updated),
			       DYNCAST_A_INSTANCE_PAD) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_BINDINGS,
			 atomic_read(&inst->nr_bindings)) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_SERVICE_TIME,
			 inst->service_time) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_LOAD, inst->load) ||
	     nla_put_s32(skb, DYNCAST_A_INSTANCE_INFLIGHT_ADJUST, inst->adjust) ||
	     nla_put_u32(skb, DYNCAST_A_INSTANCE_INFLIGHT,
			 max(atomic_read(&inst->inflight), 0)) ||
	     (inst->learned &&
	      nla_put_flag(skb, DYNCAST_A_INSTANCE_LEARNED)) ||
	     dc_nl_put_stats(skb, DYNCAST_A_INSTANCE_STATS, inst->stats,
			     false, NULL)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static void dc_notify(struct dc_net *dn, struct sk_buff *skb)
{
	genlmsg_multicast_netns(&dc_genl_family, dn->net, skb, 0,
				DC_MCGRP_EVENTS, GFP_KERNEL);
}

void dc_notify_service(struct dc_service *svc, u8 cmd)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&dc_genl_family, svc->dn->net, DC_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dc_nl_fill_service(skb, svc, 0, 0, 0, cmd, NULL)) {
		kfree_skb(skb);
		return;
	}
	dc_notify(svc->dn, skb);
}

void dc_notify_instance(struct dc_instance *inst, u8 cmd)
{
	struct dc_net *dn = inst->svc->dn;
	struct sk_buff *skb;

	if (!genl_has_listeners(&dc_genl_family, dn->net, DC_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dc_nl_fill_instance(skb, inst, 0, 0, 0, cmd, NULL)) {
		kfree_skb(skb);
		return;
	}
	dc_notify(dn, skb);
}

/* Settings of a service, checked as a whole before any is applied. */
struct dc_svc_conf {
	u8 mode;
	u8 affinity;
	u8 src_prefix;
	u8 policy;
	u32 timeout;
	u32 unconfirmed;
	u32 max_bindings;
	u32 service_time;
	u32 demand_idle;
	u32 slack;
	bool counters;
	unsigned long key_overlap;
};

/* What only a request carries: a forwarder's router, a new key. */
struct dc_svc_req {
	bool has_router;
	union nf_inet_addr router;
	const u8 *key;
	u8 key_id;
	const u8 *seed;
};

static int dc_nl_service_req(struct nlattr *nest, struct nlattr **tb,
			     u8 family, struct dc_svc_req *r,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *a4 = tb[DYNCAST_A_SERVICE_ROUTER4];
	struct nlattr *a6 = tb[DYNCAST_A_SERVICE_ROUTER6];
	u8 rfamily;
	int ret;

	memset(r, 0, sizeof(*r));
	if (tb[DYNCAST_A_SERVICE_KEY])
		r->key = nla_data(tb[DYNCAST_A_SERVICE_KEY]);
	if (tb[DYNCAST_A_SERVICE_HASH_SEED])
		r->seed = nla_data(tb[DYNCAST_A_SERVICE_HASH_SEED]);
	if (tb[DYNCAST_A_SERVICE_KEY_ID]) {
		if (!r->key) {
			NL_SET_ERR_MSG_ATTR(extack, tb[DYNCAST_A_SERVICE_KEY_ID],
					    "key id: only with the key it names");
			return -EINVAL;
		}
		r->key_id = nla_get_u8(tb[DYNCAST_A_SERVICE_KEY_ID]);
	}
	if (!a4 && !a6)
		return 0;
	ret = dc_nl_addr(nest, a4, a6, &rfamily, &r->router, DC_ADDR_ROUTER,
			 extack);
	if (ret)
		return ret;
	if (rfamily != family) {
		NL_SET_ERR_MSG_ATTR(extack, a4 ?: a6,
				    "router address family differs from the service's");
		return -EINVAL;
	}
	r->has_router = true;
	return 0;
}

/* A new flow hash seed, read by the packet path as it changes. */
static void dc_req_seed(struct dc_service *svc, const struct dc_svc_req *r)
{
	u64 k[2];

	if (!r->seed)
		return;
	memcpy(k, r->seed, sizeof(k));
	WRITE_ONCE(svc->hash_seed.key[0], le64_to_cpu((__force __le64)k[0]));
	WRITE_ONCE(svc->hash_seed.key[1], le64_to_cpu((__force __le64)k[1]));
}

/* A forwarder has a router and a key from the start; no one else does. */
static int dc_nl_forwarder_check(struct nlattr *nest, struct nlattr **tb,
				 u8 mode, const struct dc_svc_req *r,
				 bool keyed, struct netlink_ext_ack *extack)
{
	if (mode != DYNCAST_MODE_FORWARD) {
		if (!r->has_router)
			return 0;
		NL_SET_ERR_MSG_ATTR(extack, tb[DYNCAST_A_SERVICE_ROUTER4] ?:
					    tb[DYNCAST_A_SERVICE_ROUTER6],
				    "router: only a forwarder (mode forward) has one");
		return -EINVAL;
	}
	if (!r->has_router) {
		dc_addr_err(extack, nest, DC_ADDR_ROUTER, DC_ADDR_MISSING);
		return -EINVAL;
	}
	if (!r->key && !keyed) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a forwarder service needs a key");
		return -EINVAL;
	}
	return 0;
}

static int dc_nl_service_conf(struct nlattr **tb, u8 family,
			      struct dc_svc_conf *c,
			      struct netlink_ext_ack *extack)
{
	if (tb[DYNCAST_A_SERVICE_MODE])
		c->mode = nla_get_u8(tb[DYNCAST_A_SERVICE_MODE]);
	if (tb[DYNCAST_A_SERVICE_AFFINITY])
		c->affinity = nla_get_u8(tb[DYNCAST_A_SERVICE_AFFINITY]);
	if (tb[DYNCAST_A_SERVICE_SRC_PREFIX]) {
		c->src_prefix = nla_get_u8(tb[DYNCAST_A_SERVICE_SRC_PREFIX]);
		if (family == AF_INET && c->src_prefix > 32) {
			NL_SET_ERR_MSG_ATTR(extack, tb[DYNCAST_A_SERVICE_SRC_PREFIX],
					    "source prefix longer than 32 for an IPv4 service");
			return -EINVAL;
		}
	}
	if (tb[DYNCAST_A_SERVICE_TIMEOUT])
		c->timeout = nla_get_u32(tb[DYNCAST_A_SERVICE_TIMEOUT]) * HZ;
	if (tb[DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT])
		c->unconfirmed =
			nla_get_u32(tb[DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT]) * HZ;
	if (tb[DYNCAST_A_SERVICE_POLICY])
		c->policy = nla_get_u8(tb[DYNCAST_A_SERVICE_POLICY]);
	if (tb[DYNCAST_A_SERVICE_MAX_BINDINGS])
		c->max_bindings = nla_get_u32(tb[DYNCAST_A_SERVICE_MAX_BINDINGS]);
	if (tb[DYNCAST_A_SERVICE_SERVICE_TIME])
		c->service_time = nla_get_u32(tb[DYNCAST_A_SERVICE_SERVICE_TIME]);
	if (tb[DYNCAST_A_SERVICE_DEMAND_IDLE])
		c->demand_idle =
			msecs_to_jiffies(nla_get_u32(tb[DYNCAST_A_SERVICE_DEMAND_IDLE]));
	if (tb[DYNCAST_A_SERVICE_SLACK])
		c->slack = nla_get_u32(tb[DYNCAST_A_SERVICE_SLACK]);
	if (tb[DYNCAST_A_SERVICE_COUNTERS])
		c->counters = nla_get_u8(tb[DYNCAST_A_SERVICE_COUNTERS]);
	if (tb[DYNCAST_A_SERVICE_KEY_OVERLAP])
		c->key_overlap =
			nla_get_u32(tb[DYNCAST_A_SERVICE_KEY_OVERLAP]) * HZ;
	return 0;
}

static void dc_conf_get(const struct dc_service *svc, struct dc_svc_conf *c)
{
	c->mode = svc->mode;
	c->affinity = svc->affinity;
	c->src_prefix = svc->src_prefix;
	c->policy = svc->policy;
	c->timeout = svc->timeout;
	c->unconfirmed = svc->unconfirmed;
	c->max_bindings = svc->max_bindings;
	c->service_time = svc->service_time;
	c->demand_idle = svc->demand_idle;
	c->slack = svc->slack;
	c->counters = svc->counters;
	c->key_overlap = svc->key_overlap;
}

static void dc_conf_set(struct dc_service *svc, const struct dc_svc_conf *c)
{
	WRITE_ONCE(svc->mode, c->mode);
	WRITE_ONCE(svc->affinity, c->affinity);
	WRITE_ONCE(svc->src_prefix, c->src_prefix);
	WRITE_ONCE(svc->policy, c->policy);
	WRITE_ONCE(svc->timeout, c->timeout);
	WRITE_ONCE(svc->unconfirmed, c->unconfirmed);
	WRITE_ONCE(svc->max_bindings, c->max_bindings);
	WRITE_ONCE(svc->service_time, c->service_time);
	WRITE_ONCE(svc->demand_idle, c->demand_idle);
	WRITE_ONCE(svc->slack, c->slack);
	WRITE_ONCE(svc->counters, c->counters);
	svc->key_overlap = c->key_overlap;
}

/* The curves of the instances that take the service's service time */
static void dc_service_deltas_update(struct dc_service *svc)
{
	struct dc_instance *inst;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list) {
		dc_instance_delta_update(inst, false);
		cond_resched();
	}
}

/*
 * Change service @svc as the SERVICE nest @nest (parsed in @tb) asks: a
 * SERVICE_SET, or a SERVICE_NEW with DYNCAST_A_REPLACE of a service that
 * exists.  Under dn->lock; a failure leaves the service as it was.
 */
static int dc_nl_service_change(struct dc_service *svc, struct nlattr *nest,
				struct nlattr **tb, struct genl_info *info)
{
	struct dc_net *dn = svc->dn;
	struct dc_svc_conf conf, old;
	struct dc_key *key = NULL;
	struct dc_svc_req req;
	int ret;

	dc_conf_get(svc, &old);
	conf = old;
	ret = dc_nl_service_conf(tb, svc->family, &conf, info->extack) ?:
	      dc_nl_service_req(nest, tb, svc->family, &req, info->extack);
	if (ret)
		return ret;
	if (conf.mode != old.mode &&
	    (conf.mode == DYNCAST_MODE_FORWARD ||
	     old.mode == DYNCAST_MODE_FORWARD)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DYNCAST_A_SERVICE_MODE],
				    "a service cannot become a forwarder or stop being one: delete it and add it again");
		return -EOPNOTSUPP;
	}
	if (req.has_router && conf.mode != DYNCAST_MODE_FORWARD) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DYNCAST_A_SERVICE_ROUTER4] ?:
						  tb[DYNCAST_A_SERVICE_ROUTER6],
				    "router: only a forwarder (mode forward) has one");
		return -EOPNOTSUPP;
	}
	if (req.has_router && !nf_inet_addr_cmp(&req.router, &svc->router)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DYNCAST_A_SERVICE_ROUTER4] ?:
						  tb[DYNCAST_A_SERVICE_ROUTER6],
				    "router: set when the forwarder is added, never changed");
		return -EOPNOTSUPP;
	}
	/*
	 * What another mode or a first key needs first, before packets see
	 * either: the new mode's hooks are there when it takes effect (no
	 * packet passes between the old hooks and the new), and if the hooks
	 * or the socket cannot be had, no packet has seen the change.
	 */
	if (conf.mode != old.mode ||
	    (req.key && !rcu_access_pointer(svc->key))) {
		ret = dc_service_sync_for(svc, conf.mode,
					  req.key || rcu_access_pointer(svc->key),
					  info->extack);
		if (ret) {
			dc_service_sync(svc, NULL);
			return ret;
		}
	}
	if (req.key) {
		key = dc_key_alloc(req.key, req.key_id);
		if (!key) {
			NL_SET_ERR_MSG_MOD(info->extack, "no memory for the key");
			dc_service_sync(svc, NULL);
			return -ENOMEM;
		}
		dc_key_install(svc, key, conf.key_overlap);
	}
	dc_conf_set(svc, &conf);
	/* drops what the old mode needed: cannot fail */
	dc_service_sync(svc, NULL);
	dc_req_seed(svc, &req);
	if (conf.service_time != old.service_time)
		dc_service_deltas_update(svc);
	/*
	 * Bindings made under another flow identifier or mode mean nothing;
	 * conntrack goes on translating a rewrite-mode service's connections
	 * while it stays one, as it does when their bindings expire
	 */
	if (conf.mode != old.mode || conf.affinity != old.affinity ||
	    conf.src_prefix != old.src_prefix) {
		dc_bindings_flush(dn, svc);
		if (old.mode == DYNCAST_MODE_REWRITE &&
		    conf.mode != DYNCAST_MODE_REWRITE)
			dc_rewrite_forget(svc);
	}
	WRITE_ONCE(dn->genid, dn->genid + 1);
	dc_notify_service(svc, DYNCAST_CMD_SERVICE_SET);
	return 0;
}

static int dc_nl_service_new(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *nest = info->attrs[DYNCAST_A_SERVICE];
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc;
	struct dc_svc_conf conf;
	struct dc_svc_req req;
	struct dc_svc_key k;
	int ret;

	ret = dc_nl_parse_service(info, tb, &k) ?:
	      dc_nl_service_req(nest, tb, k.family, &req, info->extack);
	if (ret)
		return ret;

	mutex_lock(&dn->lock);
	svc = dc_service_find(dn, k.family, &k.addr, k.proto, k.port);
	if (svc && nla_get_flag(info->attrs[DYNCAST_A_REPLACE])) {
		/* create or change: an existing one is changed as by SET */
		ret = dc_nl_service_change(svc, nest, tb, info);
		goto out;
	}
	if (svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DYNCAST_A_SERVICE],
				    "service exists");
		ret = -EEXIST;
		goto out;
	}
	if (dn->nr_services >= DC_MAX_SERVICES) {
		NL_SET_ERR_MSG_MOD(info->extack, "too many services in this namespace");
		ret = -ENOSPC;
		goto out;
	}
	svc = dc_service_create(dn, k.family, &k.addr, k.proto, k.port);
	if (!svc) {
		NL_SET_ERR_MSG_MOD(info->extack, "no memory for the service");
		ret = -ENOMEM;
		goto out;
	}
	dc_conf_get(svc, &conf);
	ret = dc_nl_service_conf(tb, k.family, &conf, info->extack) ?:
	      dc_nl_forwarder_check(nest, tb, conf.mode, &req, false,
				    info->extack);
	if (ret)
		goto err_free;
	dc_conf_set(svc, &conf);
	dc_req_seed(svc, &req);
	svc->router = req.router;
	if (req.key) {
		struct dc_key *key;

		key = dc_key_alloc(req.key, req.key_id);
		if (!key) {
			NL_SET_ERR_MSG_MOD(info->extack, "no memory for the key");
			ret = -ENOMEM;
			goto err_free;
		}
		/* a new service has no key to replace */
		dc_key_install(svc, key, 0);
	}
	ret = dc_service_rebuild(svc);
	if (ret) {
		NL_SET_ERR_MSG_MOD(info->extack, "no memory for the service");
		goto err_free;
	}
	ret = dc_service_publish(svc, info->extack);
	if (ret)
		goto err_free;
	dc_notify_service(svc, DYNCAST_CMD_SERVICE_NEW);
	goto out;

err_free:
	dc_service_free_unpublished(svc);
out:
	mutex_unlock(&dn->lock);
	return ret;
}

static int dc_nl_service_set(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc;
	int ret;

	mutex_lock(&dn->lock);
	svc = dc_nl_service(dn, info, tb);
	ret = IS_ERR(svc) ? PTR_ERR(svc) :
	      dc_nl_service_change(svc, info->attrs[DYNCAST_A_SERVICE], tb,
				   info);
	mutex_unlock(&dn->lock);
	return ret;
}

static int dc_nl_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc;
	int ret = 0;

	mutex_lock(&dn->lock);
	svc = dc_nl_service(dn, info, tb);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	dc_notify_service(svc, DYNCAST_CMD_SERVICE_DEL);
	dc_service_delete(svc);
out:
	mutex_unlock(&dn->lock);
	return ret;
}

static int dc_nl_service_get(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc;
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&dn->lock);
	svc = dc_nl_service(dn, info, tb);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto err;
	}
	ret = dc_nl_fill_service(msg, svc, info->snd_portid, info->snd_seq, 0,
				 DYNCAST_CMD_SERVICE_GET, NULL);
	if (ret)
		goto err;
	mutex_unlock(&dn->lock);
	return genlmsg_reply(msg, info);
err:
	mutex_unlock(&dn->lock);
	nlmsg_free(msg);
	return ret;
}

/* cb->args[0]: hash bucket, [1]: service in it, [2]: instance in it */
/* A dump takes no replace flag either (pre_doit sees no dump). */
static int dc_nl_dump_no_replace(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);

	if (!info->attrs[DYNCAST_A_REPLACE])
		return 0;
	NL_SET_ERR_MSG_ATTR(cb->extack, info->attrs[DYNCAST_A_REPLACE],
			    "replace: only with service-new and instance-new");
	return -EINVAL;
}

static int dc_nl_service_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dc_net *dn = dc_net(sock_net(skb->sk));
	struct dc_service *svc;
	long bucket, idx;
	int ret;

	ret = dc_nl_dump_no_replace(cb);
	if (ret)
		return ret;
	mutex_lock(&dn->lock);
	cb->seq = dn->genid;
	for (bucket = cb->args[0]; bucket < ARRAY_SIZE(dn->services); bucket++) {
		idx = 0;
		hlist_for_each_entry(svc, &dn->services[bucket], hnode) {
			if (idx++ < cb->args[1])
				continue;
			ret = dc_nl_fill_service(skb, svc,
						 NETLINK_CB(cb->skb).portid,
						 cb->nlh->nlmsg_seq, NLM_F_MULTI,
						 DYNCAST_CMD_SERVICE_GET, cb);
			if (ret)
				goto out;
			cb->args[1] = idx;
		}
		cb->args[1] = 0;
	}
out:
	cb->args[0] = bucket;
	mutex_unlock(&dn->lock);
	return ret && !skb->len ? ret : skb->len;
}

/* One parsed DYNCAST_A_INSTANCE nest. */
struct dc_inst_req {
	struct nlattr *nest;
	struct nlattr *tb[DYNCAST_A_INSTANCE_MAX + 1];
	union nf_inet_addr addr;
	struct dc_instance *inst;
};

/*
 * Parse every instance nest of a request, checking each names an address
 * of the service's family, once.  Returns how many, or an error.
 */
static int dc_nl_parse_instances(struct dc_service *svc, struct genl_info *info,
				 struct dc_inst_req **reqs)
{
	struct nlattr *attr;
	struct dc_inst_req *r;
	int n = 0, i, j, rem, ret;
	u8 family;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == DYNCAST_A_INSTANCE)
			n++;
	if (!n) {
		NL_SET_ERR_MSG_MOD(info->extack, "no instance given");
		return -EINVAL;
	}
	if (n > DYNCAST_MAX_INSTANCES) {
		NL_SET_ERR_MSG_MOD(info->extack, "too many instances in one message");
		return -E2BIG;
	}
	r = kvcalloc(n, sizeof(*r), GFP_KERNEL);
	if (!r) {
		NL_SET_ERR_MSG_MOD(info->extack, "no memory for the request");
		return -ENOMEM;
	}

	i = 0;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != DYNCAST_A_INSTANCE)
			continue;
		r[i].nest = attr;
		ret = nla_parse_nested(r[i].tb, DYNCAST_A_INSTANCE_MAX, attr,
				       dc_instance_policy, info->extack) ?:
		      dc_nl_read_only(r[i].tb[DYNCAST_A_INSTANCE_STATS],
				      info->extack);
		if (ret)
			goto err;
		ret = dc_nl_addr(attr, r[i].tb[DYNCAST_A_INSTANCE_ADDR4],
				 r[i].tb[DYNCAST_A_INSTANCE_ADDR6], &family,
				 &r[i].addr, DC_ADDR_INSTANCE, info->extack);
		if (ret)
			goto err;
		if (family != svc->family) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "instance address family differs from the service's");
			ret = -EINVAL;
			goto err;
		}
		for (j = 0; j < i; j++) {
			if (nf_inet_addr_cmp(&r[j].addr, &r[i].addr)) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr,
						    "instance given twice");
				ret = -EINVAL;
				goto err;
			}
		}
		r[i].inst = dc_instance_find(svc, &r[i].addr);
		i++;
	}
	*reqs = r;
	return n;
err:
	kvfree(r);
	return ret;
}

/*
 * What a request's instances must be: new, existing, or either, to be
 * added, changed or deleted; or existing, to be read.
 */
enum dc_inst_want {
	DC_INST_NEW,
	DC_INST_EXISTING,
	DC_INST_EITHER,
	DC_INST_READ,
};

/*
 * The service a request names and its instance nests, parsed, each one
 * checked to exist or not to exist yet, as @want says; under dn->lock.
 * Returns how many instances, or an error, *reqs then being NULL.  A
 * forwarder's instances are its D-Router's choices, only to be read: one
 * set up by hand would take a Binding Info that its D-Router's notice
 * overtook, one given a weight would stay in the set, unused.
 */
static int dc_nl_instances(struct dc_net *dn, struct genl_info *info,
			   enum dc_inst_want want, struct dc_service **svcp,
			   struct dc_inst_req **reqs)
{
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_inst_req *r;
	struct dc_service *svc;
	int n, i, ret;

	svc = dc_nl_service(dn, info, tb);
	if (IS_ERR(svc))
		return PTR_ERR(svc);
	if (want != DC_INST_READ && svc->mode == DYNCAST_MODE_FORWARD) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "a forwarder learns its instances from its router");
		return -EOPNOTSUPP;
	}
	n = dc_nl_parse_instances(svc, info, reqs);
	if (n < 0)
		return n;
	r = *reqs;
	for (i = 0; i < n; i++) {
		if ((want == DC_INST_EXISTING || want == DC_INST_READ) &&
		    !r[i].inst) {
			NL_SET_ERR_MSG_ATTR(info->extack, r[i].nest,
					    "instance not found");
			ret = -ENOENT;
			goto err;
		}
		if (want == DC_INST_NEW && r[i].inst) {
			NL_SET_ERR_MSG_ATTR(info->extack, r[i].nest,
					    "instance exists");
			ret = -EEXIST;
			goto err;
		}
	}
	*svcp = svc;
	return n;
err:
	kvfree(r);
	*reqs = NULL;
	return ret;
}

/* The metrics, u32 attributes stored as they come. */
static const struct {
	u16 attr;
	u16 offset;
} dc_metric_attrs[] = {
	{ DYNCAST_A_INSTANCE_CPU, offsetof(struct dc_instance, cpu) },
	{ DYNCAST_A_INSTANCE_GPU, offsetof(struct dc_instance, gpu) },
	{ DYNCAST_A_INSTANCE_SESSIONS, offsetof(struct dc_instance, sessions) },
	{ DYNCAST_A_INSTANCE_QUEUE, offsetof(struct dc_instance, queue) },
	{ DYNCAST_A_INSTANCE_CAPACITY, offsetof(struct dc_instance, capacity) },
	{ DYNCAST_A_INSTANCE_COST, offsetof(struct dc_instance, cost) },
	{ DYNCAST_A_INSTANCE_SITE, offsetof(struct dc_instance, site) },
};

/* Publish the staged change of instances, or forget it and say why. */
static int dc_nl_instances_commit(struct dc_service *svc,
				  struct netlink_ext_ack *extack)
{
	int ret = dc_service_rebuild(svc);

	if (ret)
		NL_SET_ERR_MSG_MOD(extack,
				   "no memory for the new instance set: nothing changed");
	return ret;
}

/*
 * Stage the weight and state of an instance nest (dc_service_rebuild());
 * true when either changes.
 */
static bool dc_nl_instance_stage(struct dc_instance *inst, struct nlattr **tb)
{
	bool changed = false;
	u32 v;

	if (tb[DYNCAST_A_INSTANCE_WEIGHT]) {
		v = nla_get_u32(tb[DYNCAST_A_INSTANCE_WEIGHT]);
		changed |= v != inst->weight;
		inst->next.weight = v;
	}
	if (tb[DYNCAST_A_INSTANCE_STATE]) {
		v = nla_get_u8(tb[DYNCAST_A_INSTANCE_STATE]);
		changed |= v != inst->state;
		inst->next.state = v;
	}
	return changed;
}

/*
 * Apply the rest of an instance nest: its port, metrics and model, then
 * its curve (which is rebuilt only if what it depends on changed).
 */
static void dc_nl_instance_apply(struct dc_instance *inst, struct nlattr **tb)
{
	bool metrics = false;
	int i;

	if (tb[DYNCAST_A_INSTANCE_PORT])
		WRITE_ONCE(inst->port, nla_get_be16(tb[DYNCAST_A_INSTANCE_PORT]));
	if (tb[DYNCAST_A_INSTANCE_SERVICE_TIME])
		inst->service_time =
			nla_get_u32(tb[DYNCAST_A_INSTANCE_SERVICE_TIME]);
	if (tb[DYNCAST_A_INSTANCE_LOAD])
		inst->load = nla_get_u32(tb[DYNCAST_A_INSTANCE_LOAD]);
	if (tb[DYNCAST_A_INSTANCE_INFLIGHT_ADJUST])
		WRITE_ONCE(inst->adjust,
			   nla_get_s32(tb[DYNCAST_A_INSTANCE_INFLIGHT_ADJUST]));
	for (i = 0; i < ARRAY_SIZE(dc_metric_attrs); i++) {
		const struct nlattr *a = tb[dc_metric_attrs[i].attr];

		if (!a)
			continue;
		WRITE_ONCE(*(u32 *)((void *)inst + dc_metric_attrs[i].offset),
			   nla_get_u32(a));
		metrics = true;
	}
	if (metrics)
		WRITE_ONCE(inst->metrics_updated, jiffies);
	/*
	 * The demands it reports beyond this router's own in flight are
	 * other routers' (or its own slowness): they count, as of now.  A
	 * queue means that every slot is busy, whatever the sessions say.
	 * An agent that plans (sets a load or an inflight-adjust) models
	 * the other routers' demands itself: the reports then add nothing
	 * (counted twice, and stale between reports, they would send every
	 * router the same way).
	 */
	if (inst->load || inst->adjust) {
		WRITE_ONCE(inst->backlog, 0);
	} else if (tb[DYNCAST_A_INSTANCE_SESSIONS] ||
		   tb[DYNCAST_A_INSTANCE_QUEUE]) {
		s64 held = inst->sessions, b;

		if (inst->queue)
			held = max_t(s64, held, inst->capacity ? : 1);
		b = held + inst->queue - atomic_read(&inst->inflight);
		WRITE_ONCE(inst->backlog, clamp_t(s64, b, 0, U32_MAX));
	}
	dc_instance_delta_update(inst, false);
}

/*
 * An existing instance of a request once its set is in: the rest of its
 * nest applied, and if its weight or state changed (@changed) and it went
 * down from @was, put on @gone, for dc_instances_gone()
 */
static void dc_nl_instance_done(struct dc_instance *inst, struct nlattr **tb,
				bool changed, u8 was, struct list_head *gone)
{
	dc_nl_instance_apply(inst, tb);
	if (changed && inst->state == DYNCAST_STATE_DOWN &&
	    was != DYNCAST_STATE_DOWN)
		list_add_tail(&inst->gone, gone);
}

/*
 * New instances; with DYNCAST_A_REPLACE, those of them that exist are changed
 * as by INSTANCE_SET, in the same new set: all or nothing.
 */
static int dc_nl_instance_new(struct sk_buff *skb, struct genl_info *info)
{
	bool replace = nla_get_flag(info->attrs[DYNCAST_A_REPLACE]);
	struct dc_net *dn = dc_net(genl_info_net(info));
	LIST_HEAD(gone);
	unsigned long *created = NULL, *changed = NULL;
	struct dc_inst_req *r = NULL;
	unsigned int n_new = 0;
	struct dc_service *svc;
	u8 *was = NULL;
	int n, i, ret;

	mutex_lock(&dn->lock);
	n = dc_nl_instances(dn, info, replace ? DC_INST_EITHER : DC_INST_NEW,
			    &svc, &r);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (i = 0; i < n; i++)
		n_new += !r[i].inst;
	if (svc->nr_instances + n_new > DYNCAST_MAX_INSTANCES) {
		NL_SET_ERR_MSG_MOD(info->extack, "too many instances for this service");
		ret = -ENOSPC;
		goto out;
	}
	created = bitmap_zalloc(n, GFP_KERNEL);
	changed = bitmap_zalloc(n, GFP_KERNEL);
	was = kvmalloc(n, GFP_KERNEL);
	if (!created || !changed || !was) {
		NL_SET_ERR_MSG_MOD(info->extack, "no memory for the request");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (r[i].inst) {
			/* replaced: staged now, the rest once the set is in */
			was[i] = r[i].inst->state;
			if (dc_nl_instance_stage(r[i].inst, r[i].tb))
				__set_bit(i, changed);
			continue;
		}
		r[i].inst = dc_instance_create(svc, &r[i].addr);
		if (!r[i].inst) {
			NL_SET_ERR_MSG_ATTR(info->extack, r[i].nest,
					    "no memory for the instance");
			ret = -ENOMEM;
			goto undo;
		}
		__set_bit(i, created);
		dc_nl_instance_stage(r[i].inst, r[i].tb);
		dc_nl_instance_apply(r[i].inst, r[i].tb);
	}
	if (n_new || !bitmap_empty(changed, n)) {
		ret = dc_nl_instances_commit(svc, info->extack);
		if (ret)
			goto undo;
		WRITE_ONCE(dn->genid, dn->genid + 1);
	}
	ret = 0;
	for (i = 0; i < n; i++)
		if (!test_bit(i, created))
			dc_nl_instance_done(r[i].inst, r[i].tb,
					    test_bit(i, changed), was[i], &gone);
	dc_instances_gone(svc, &gone, DC_FWD_DOWN, NULL);
	for (i = 0; i < n; i++) {
		if (test_bit(i, created))
			dc_notify_instance(r[i].inst, DYNCAST_CMD_INSTANCE_NEW);
		else if (test_bit(i, changed))
			dc_notify_instance(r[i].inst, DYNCAST_CMD_INSTANCE_SET);
	}
	goto out;

undo:
	/*
	 * The staged changes are forgotten (dc_service_rebuild()); the new
	 * ones were never in a published set: no binding can point to them.
	 */
	dc_inst_unstage(svc);
	for (i = 0; i < n; i++) {
		if (!test_bit(i, created))
			continue;
		dc_instance_delete(r[i].inst);
		dc_instance_put(r[i].inst);
	}
out:
	mutex_unlock(&dn->lock);
	kvfree(was);
	bitmap_free(changed);
	bitmap_free(created);
	kvfree(r);
	return ret;
}

/*
 * Weights and states first, in a new set; only once it is built, the
 * rest: a request that fails changes nothing.
 */
static int dc_nl_instance_set(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	LIST_HEAD(gone);
	struct dc_inst_req *r = NULL;
	unsigned long *changed = NULL;
	struct dc_service *svc;
	bool rebuild = false;
	u8 *was = NULL;
	int n, i, ret;

	mutex_lock(&dn->lock);
	n = dc_nl_instances(dn, info, DC_INST_EXISTING, &svc, &r);
	if (n < 0) {
		ret = n;
		goto out;
	}
	changed = bitmap_zalloc(n, GFP_KERNEL);
	was = kvmalloc(n, GFP_KERNEL);
	if (!changed || !was) {
		NL_SET_ERR_MSG_MOD(info->extack, "no memory for the request");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		was[i] = r[i].inst->state;
		if (dc_nl_instance_stage(r[i].inst, r[i].tb)) {
			__set_bit(i, changed);
			rebuild = true;
		}
	}
	if (rebuild) {
		ret = dc_nl_instances_commit(svc, info->extack);
		if (ret)
			goto out;
		WRITE_ONCE(dn->genid, dn->genid + 1);
	}
	ret = 0;
	for (i = 0; i < n; i++)
		dc_nl_instance_done(r[i].inst, r[i].tb, test_bit(i, changed),
				    was[i], &gone);
	dc_instances_gone(svc, &gone, DC_FWD_DOWN, NULL);
	for (i = 0; i < n; i++)
		if (test_bit(i, changed))
			dc_notify_instance(r[i].inst, DYNCAST_CMD_INSTANCE_SET);
out:
	mutex_unlock(&dn->lock);
	kvfree(was);
	bitmap_free(changed);
	kvfree(r);
	return ret;
}

/* The set without the instances is built first: a failure changes nothing. */
static int dc_nl_instance_del(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	LIST_HEAD(gone);
	struct dc_inst_req *r = NULL;
	struct dc_service *svc;
	int n, i, ret;

	mutex_lock(&dn->lock);
	n = dc_nl_instances(dn, info, DC_INST_EXISTING, &svc, &r);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (i = 0; i < n; i++)
		r[i].inst->next.leaving = true;
	ret = dc_nl_instances_commit(svc, info->extack);
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		dc_notify_instance(r[i].inst, DYNCAST_CMD_INSTANCE_DEL);
		dc_instance_delete(r[i].inst);
		list_add_tail(&r[i].inst->gone, &gone);
	}
	dc_instances_gone(svc, &gone, DC_FWD_GONE, NULL);
	for (i = 0; i < n; i++)
		dc_instance_put(r[i].inst);
	WRITE_ONCE(dn->genid, dn->genid + 1);
	ret = 0;
out:
	mutex_unlock(&dn->lock);
	kvfree(r);
	return ret;
}

static int dc_nl_instance_get(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct dc_inst_req *r = NULL;
	struct dc_service *svc;
	struct sk_buff *msg;
	int n, ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&dn->lock);
	n = dc_nl_instances(dn, info, DC_INST_READ, &svc, &r);
	if (n < 0) {
		ret = n;
		goto err;
	}
	if (n != 1) {
		NL_SET_ERR_MSG_MOD(info->extack, "name one instance");
		ret = -EINVAL;
		goto err;
	}
	ret = dc_nl_fill_instance(msg, r[0].inst, info->snd_portid,
				  info->snd_seq, 0, DYNCAST_CMD_INSTANCE_GET,
				  NULL);
	if (ret)
		goto err;
	mutex_unlock(&dn->lock);
	kvfree(r);
	return genlmsg_reply(msg, info);
err:
	mutex_unlock(&dn->lock);
	kvfree(r);
	nlmsg_free(msg);
	return ret;
}

/*
 * The service a dump request filters on, if any: cb->args[5] holds its
 * id, 0 meaning every service; cb->args[4] says it was looked up.  Done in
 * the first dump call, not in .start: 6.1 gives .start no extended ACK to
 * explain an error with.  -ENOENT when the service does not exist.
 */
static int dc_nl_dump_filter(struct netlink_callback *cb, struct dc_net *dn)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *nest = info->attrs[DYNCAST_A_SERVICE];
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc;
	struct dc_svc_key k;
	int ret;

	if (cb->args[4])
		return 0;
	ret = dc_nl_dump_no_replace(cb);
	if (ret)
		return ret;
	cb->args[4] = 1;
	cb->args[5] = 0;
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, DYNCAST_A_SERVICE_MAX, nest,
			       dc_service_policy, cb->extack);
	if (ret)
		return ret;
	ret = dc_nl_addr(nest, tb[DYNCAST_A_SERVICE_ADDR4],
			 tb[DYNCAST_A_SERVICE_ADDR6], &k.family, &k.addr,
			 DC_ADDR_SERVICE, cb->extack);
	if (ret)
		return ret;
	ret = dc_nl_proto(nest, tb, &k.proto, cb->extack);
	if (ret)
		return ret;
	k.port = tb[DYNCAST_A_SERVICE_PORT] ?
		 nla_get_be16(tb[DYNCAST_A_SERVICE_PORT]) : 0;
	mutex_lock(&dn->lock);
	svc = dc_service_find(dn, k.family, &k.addr, k.proto, k.port);
	if (svc)
		cb->args[5] = svc->id;
	mutex_unlock(&dn->lock);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(cb->extack, nest, "service not found");
		return -ENOENT;
	}
	return 0;
}

static int dc_nl_instance_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dc_net *dn = dc_net(sock_net(skb->sk));
	struct dc_instance *inst;
	struct dc_service *svc;
	long bucket, sidx, iidx;
	int ret;

	ret = dc_nl_dump_filter(cb, dn);
	if (ret)
		return ret;
	mutex_lock(&dn->lock);
	cb->seq = dn->genid;
	for (bucket = cb->args[0]; bucket < ARRAY_SIZE(dn->services); bucket++) {
		sidx = 0;
		hlist_for_each_entry(svc, &dn->services[bucket], hnode) {
			if (sidx++ < cb->args[1])
				continue;
			if (cb->args[5] && svc->id != cb->args[5]) {
				cb->args[1] = sidx;
				continue;
			}
			iidx = 0;
			list_for_each_entry(inst, &svc->instances, list) {
				if (iidx++ < cb->args[2])
					continue;
				ret = dc_nl_fill_instance(skb, inst,
							  NETLINK_CB(cb->skb).portid,
							  cb->nlh->nlmsg_seq,
							  NLM_F_MULTI,
							  DYNCAST_CMD_INSTANCE_GET,
							  cb);
				if (ret) {
					cb->args[1] = sidx - 1;
					goto out;
				}
				cb->args[2] = iidx;
			}
			cb->args[1] = sidx;
			cb->args[2] = 0;
		}
		cb->args[1] = 0;
	}
out:
	cb->args[0] = bucket;
	mutex_unlock(&dn->lock);
	return ret && !skb->len ? ret : skb->len;
}

struct dc_bind_dump {
	struct rhashtable_iter iter;
	u32 restarts;
};

static int dc_nl_binding_dump_start(struct netlink_callback *cb)
{
	struct dc_net *dn = dc_net(sock_net(cb->skb->sk));
	struct dc_bind_dump *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	rhashtable_walk_enter(&dn->bindings, &ctx->iter);
	cb->args[0] = (long)ctx;
	return 0;
}

static int dc_nl_binding_dump_done(struct netlink_callback *cb)
{
	struct dc_bind_dump *ctx = (struct dc_bind_dump *)cb->args[0];

	if (ctx) {
		rhashtable_walk_exit(&ctx->iter);
		kfree(ctx);
	}
	return 0;
}

static int dc_nl_fill_binding(struct sk_buff *skb, struct dc_binding *b,
			      u32 portid, u32 seq, struct netlink_callback *cb)
{
	const struct dc_flow_key *key = dc_binding_key(b);
	struct dc_instance *inst = b->inst;
	struct dc_service *svc = inst->svc;
	u32 idle = dc_binding_idle_time(b);
	u32 timeout = dc_binding_timeout(b);
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &dc_genl_family, NLM_F_MULTI,
			  DYNCAST_CMD_BINDING_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	nest = nla_nest_start(skb, DYNCAST_A_SERVICE);
	if (!nest || dc_nl_put_service_key(skb, svc))
		goto cancel;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, DYNCAST_A_BINDING);
	if (!nest)
		goto cancel;
	if (dc_nl_put_addr(skb, svc->family, DYNCAST_A_BINDING_SRC4,
			   DYNCAST_A_BINDING_SRC6, &key->saddr) ||
	    nla_put_be16(skb, DYNCAST_A_BINDING_SPORT, key->sport) ||
	    nla_put_be16(skb, DYNCAST_A_BINDING_DPORT, key->dport) ||
	    dc_nl_put_addr(skb, svc->family, DYNCAST_A_BINDING_BID4,
			   DYNCAST_A_BINDING_BID6, &inst->addr) ||
	    nla_put_be16(skb, DYNCAST_A_BINDING_BID_PORT, inst->port) ||
	    nla_put_u64_64bit(skb, DYNCAST_A_BINDING_AGE,
			      jiffies_to_msecs(jiffies - b->created),
			      DYNCAST_A_BINDING_PAD) ||
	    nla_put_u64_64bit(skb, DYNCAST_A_BINDING_IDLE,
			      jiffies_to_msecs(idle), DYNCAST_A_BINDING_PAD) ||
	    nla_put_u64_64bit(skb, DYNCAST_A_BINDING_EXPIRES,
			      timeout > idle ?
			      jiffies_to_msecs(timeout - idle) : 0,
			      DYNCAST_A_BINDING_PAD) ||
	    (test_bit(DC_BINDING_COUNTERS_BIT, &b->flags) &&
	     (nla_put_u64_64bit(skb, DYNCAST_A_BINDING_PACKETS,
				atomic64_read(&dc_binding_counters(b)->packets),
				DYNCAST_A_BINDING_PAD) ||
	      nla_put_u64_64bit(skb, DYNCAST_A_BINDING_BYTES,
				atomic64_read(&dc_binding_counters(b)->bytes),
				DYNCAST_A_BINDING_PAD))) ||
	    (test_bit(DC_BINDING_HOLD_BIT, &b->flags) &&
	     nla_put_flag(skb, DYNCAST_A_BINDING_HOLD)) ||
	    (test_bit(DC_BINDING_CONFIRMED_BIT, &b->flags) &&
	     nla_put_flag(skb, DYNCAST_A_BINDING_CONFIRMED)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Bindings come and go with traffic during a dump; the dump is flagged
 * NLM_F_DUMP_INTR when the configuration changed, or when the walk lost
 * its place between two parts (it may then repeat or miss bindings).
 */
static int dc_nl_binding_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dc_net *dn = dc_net(sock_net(skb->sk));
	struct dc_bind_dump *ctx = (struct dc_bind_dump *)cb->args[0];
	struct dc_binding *b;
	bool had_pos;
	int ret;

	ret = dc_nl_dump_filter(cb, dn);
	if (ret)
		return ret;
	/*
	 * Between two parts the table may have been resized, or the binding
	 * the walk stopped at removed: the walk then starts over or resumes
	 * a little too far, and the dump is flagged.
	 */
	had_pos = ctx->iter.p;
	if (rhashtable_walk_start_check(&ctx->iter) == -EAGAIN ||
	    (had_pos && !ctx->iter.p))
		ctx->restarts++;
	for (;;) {
		b = rhashtable_walk_peek(&ctx->iter);
		if (!b)
			break;
		if (IS_ERR(b)) {
			if (PTR_ERR(b) != -EAGAIN)
				break;
			ctx->restarts++;
			continue;
		}
		cb->seq = READ_ONCE(dn->genid) + ctx->restarts;
		if ((!cb->args[5] || dc_binding_svc_id(b) == cb->args[5]) &&
		    !dc_binding_expired(b)) {
			ret = dc_nl_fill_binding(skb, b,
						 NETLINK_CB(cb->skb).portid,
						 cb->nlh->nlmsg_seq, cb);
			if (ret)
				break;
		}
		b = rhashtable_walk_next(&ctx->iter);
		if (IS_ERR(b) && PTR_ERR(b) == -EAGAIN)
			ctx->restarts++;
	}
	rhashtable_walk_stop(&ctx->iter);
	return ret && !skb->len ? ret : skb->len;
}

static int dc_nl_binding_del(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct nlattr *btb[DYNCAST_A_BINDING_MAX + 1];
	struct dc_service *svc;
	struct dc_flow_key key;
	struct dc_binding *b;
	struct dc_pkt pkt;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, DYNCAST_A_BINDING))
		return -EINVAL;
	ret = nla_parse_nested(btb, DYNCAST_A_BINDING_MAX,
			       info->attrs[DYNCAST_A_BINDING],
			       dc_binding_policy, info->extack);
	if (ret)
		return ret;

	mutex_lock(&dn->lock);
	svc = dc_nl_service(dn, info, tb);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	memset(&pkt, 0, sizeof(pkt));
	ret = dc_nl_addr(info->attrs[DYNCAST_A_BINDING],
			 btb[DYNCAST_A_BINDING_SRC4], btb[DYNCAST_A_BINDING_SRC6],
			 &pkt.family, &pkt.saddr, DC_ADDR_BINDING, info->extack);
	if (ret)
		goto out;
	if (pkt.family != svc->family) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DYNCAST_A_BINDING],
				    "binding address family differs from the service's");
		ret = -EINVAL;
		goto out;
	}
	if (btb[DYNCAST_A_BINDING_SPORT])
		pkt.sport = nla_get_be16(btb[DYNCAST_A_BINDING_SPORT]);
	if (btb[DYNCAST_A_BINDING_DPORT])
		pkt.dport = nla_get_be16(btb[DYNCAST_A_BINDING_DPORT]);
	dc_flow_key_make(&key, svc, &pkt);

	rcu_read_lock();
	b = dc_binding_lookup(dn, &key);
	if (b)
		dc_binding_unlink(dn, b);
	rcu_read_unlock();
	if (!b) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DYNCAST_A_BINDING],
				    "binding not found");
		ret = -ENOENT;
	}
out:
	mutex_unlock(&dn->lock);
	return ret;
}

static int dc_nl_binding_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct nlattr *tb[DYNCAST_A_SERVICE_MAX + 1];
	struct dc_service *svc = NULL;
	int ret = 0;

	mutex_lock(&dn->lock);
	if (info->attrs[DYNCAST_A_SERVICE]) {
		svc = dc_nl_service(dn, info, tb);
		if (IS_ERR(svc)) {
			ret = PTR_ERR(svc);
			goto out;
		}
	}
	dc_bindings_flush(dn, svc);
out:
	mutex_unlock(&dn->lock);
	return ret;
}

static int dc_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct dc_net *dn = dc_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dc_genl_family, 0,
				DYNCAST_CMD_STATS_GET);
	if (!hdr || dc_nl_put_stats(msg, DYNCAST_A_STATS, dn->stats, true, dn)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_ops dc_genl_ops[] = {
	{
		.cmd = DYNCAST_CMD_SERVICE_NEW,
		.doit = dc_nl_service_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_SERVICE_SET,
		.doit = dc_nl_service_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_SERVICE_DEL,
		.doit = dc_nl_service_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_SERVICE_GET,
		.doit = dc_nl_service_get,
		.dumpit = dc_nl_service_dump,
	},
	{
		.cmd = DYNCAST_CMD_INSTANCE_NEW,
		.doit = dc_nl_instance_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_INSTANCE_SET,
		.doit = dc_nl_instance_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_INSTANCE_DEL,
		.doit = dc_nl_instance_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_INSTANCE_GET,
		.doit = dc_nl_instance_get,
		.dumpit = dc_nl_instance_dump,
	},
	{
		.cmd = DYNCAST_CMD_BINDING_GET,
		.start = dc_nl_binding_dump_start,
		.dumpit = dc_nl_binding_dump,
		.done = dc_nl_binding_dump_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_BINDING_DEL,
		.doit = dc_nl_binding_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_BINDING_FLUSH,
		.doit = dc_nl_binding_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DYNCAST_CMD_STATS_GET,
		.doit = dc_nl_stats_get,
	},
};

/*
 * The family has one policy for every command: DYNCAST_A_REPLACE, which
 * means something to the -new commands only, is refused elsewhere rather
 * than ignored.
 */
static int dc_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			  struct genl_info *info)
{
	if (info->attrs[DYNCAST_A_REPLACE] &&
	    ops->cmd != DYNCAST_CMD_SERVICE_NEW &&
	    ops->cmd != DYNCAST_CMD_INSTANCE_NEW) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DYNCAST_A_REPLACE],
				    "replace: only with service-new and instance-new");
		return -EINVAL;
	}
	return 0;
}

static struct genl_family dc_genl_family __ro_after_init = {
	.name = DYNCAST_FAMILY_NAME,
	.version = DYNCAST_FAMILY_VERSION,
	.maxattr = DYNCAST_A_MAX,
	.policy = dc_policy,
	.netnsok = true,
	/*
	 * Every operation that reads or changes a namespace's objects takes
	 * its dn->lock (the binding dump walks the table under RCU, the
	 * stats are counters): no need for genl_mutex, and namespaces do
	 * not wait on one another.
	 */
	.parallel_ops = true,
	.pre_doit = dc_nl_pre_doit,
	.module = THIS_MODULE,
	.ops = dc_genl_ops,
	.n_ops = ARRAY_SIZE(dc_genl_ops),
	.mcgrps = dc_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dc_mcgrps),
};

int __init dc_genl_init(void)
{
	return genl_register_family(&dc_genl_family);
}

void dc_genl_exit(void)
{
	genl_unregister_family(&dc_genl_family);
}
