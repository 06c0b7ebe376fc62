/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * dyncast: generic netlink interface of the Dynamic-Anycast module.
 *
 * Documentation/netlink/specs/dyncast.yaml describes this family; keep both
 * in step.
 *
 * A service is named by (address, protocol, port).  Requests about a service
 * carry a DYNCAST_A_SERVICE nest holding at least its address (ADDR4 or
 * ADDR6), PROTO and, unless 0, PORT.  Requests about instances add one or
 * more DYNCAST_A_INSTANCE nests, each naming the instance by its address
 * (ADDR4 or ADDR6, same family as the service).  Replies and dumps use the
 * same layout: one service, instance or binding per message.
 *
 * A D-Forwarder is a service in mode DYNCAST_MODE_FORWARD: it selects
 * nothing, sends the demands it has no binding for to its D-Router
 * (DYNCAST_A_SERVICE_ROUTER4/6), marked 'miss', and learns the instance of
 * each from the D-Router's Binding Info; Documentation/dyncast-protocol.rst
 * describes the messages.  Both ends share the service's key.
 *
 * Addresses and ports are in network byte order; everything else is in host
 * byte order.  Units: the affinity timeout is in seconds, the service time
 * and the network cost in microseconds, the ages and the expiry that the
 * kernel reports in milliseconds.
 */
#ifndef _UAPI_LINUX_DYNCAST_H
#define _UAPI_LINUX_DYNCAST_H

#define DYNCAST_FAMILY_NAME	"dyncast"
#define DYNCAST_FAMILY_VERSION	1

#define DYNCAST_MCGRP_EVENTS	"events"

/* How packets reach the chosen instance. */
enum dyncast_mode {
	/* destination rewritten to the instance by conntrack NAT */
	DYNCAST_MODE_REWRITE,
	/* packet carried unchanged in IPIP or IPv6-in-IPv6 to the instance */
	DYNCAST_MODE_TUNNEL,
	/* D-Forwarder: bound flows tunnelled to their instance, the others
	 * sent to the D-Router marked 'miss'; no selection here
	 */
	DYNCAST_MODE_FORWARD,

	/* private: */
	__DYNCAST_MODE_MAX,
	DYNCAST_MODE_MAX = (__DYNCAST_MODE_MAX - 1)
};

/* Which fields of a packet identify a service demand (the flow). */
enum dyncast_affinity {
	/* source and destination address, protocol, source and dest. port */
	DYNCAST_AFFINITY_5TUPLE,
	/* source address (the destination address and protocol are the
	 * service's)
	 */
	DYNCAST_AFFINITY_3TUPLE,
	/* the same as 3TUPLE: a service has one protocol, so the two pick
	 * the same packets; both names read like the draft
	 */
	DYNCAST_AFFINITY_2TUPLE,

	/* private: */
	__DYNCAST_AFFINITY_MAX,
	DYNCAST_AFFINITY_MAX = (__DYNCAST_AFFINITY_MAX - 1)
};

/* How an instance is chosen for a new service demand. */
enum dyncast_policy {
	/* smooth weighted round robin over the weights */
	DYNCAST_POLICY_WEIGHTED,
	/* lowest expected delay: network cost plus load-scaled service time */
	DYNCAST_POLICY_LEAST_COST,
	/* consistent hashing (Maglev) of the flow over the weights */
	DYNCAST_POLICY_HASH,

	/* private: */
	__DYNCAST_POLICY_MAX,
	DYNCAST_POLICY_MAX = (__DYNCAST_POLICY_MAX - 1)
};

enum dyncast_state {
	/* takes new demands */
	DYNCAST_STATE_UP,
	/* takes no new demands; existing bindings keep working */
	DYNCAST_STATE_DRAIN,
	/* takes no new demands; its bindings are removed */
	DYNCAST_STATE_DOWN,

	/* private: */
	__DYNCAST_STATE_MAX,
	DYNCAST_STATE_MAX = (__DYNCAST_STATE_MAX - 1)
};

/* Limits, also enforced by the attribute policies. */
#define DYNCAST_WEIGHT_MAX		65535
#define DYNCAST_LOAD_MAX		1000	/* per mille */
#define DYNCAST_TIMEOUT_MAX		86400	/* seconds */
#define DYNCAST_UNCONFIRMED_TIMEOUT	10	/* seconds, the default */
#define DYNCAST_MAX_INSTANCES		1024	/* per service */
#define DYNCAST_KEY_LEN			32	/* bytes of a service's key */
#define DYNCAST_KEY_OVERLAP		120	/* seconds, the default */
#define DYNCAST_HASH_SEED_LEN		16	/* bytes of a flow hash seed */
#define DYNCAST_DEMAND_IDLE		2000	/* ms, the default */
#define DYNCAST_DEMAND_IDLE_MAX		3600000	/* ms */
#define DYNCAST_ADJUST_MAX		1000000000	/* 1/1000 demands */
#define DYNCAST_ADJUST_MIN		(-DYNCAST_ADJUST_MAX)
#define DYNCAST_SLACK_MAX		65536	/* demands */
#define DYNCAST_SERVICE_TIME_MAX	10000000	/* microseconds */

/* Top-level attributes of every message. */
enum dyncast_attrs {
	DYNCAST_A_UNSPEC,
	DYNCAST_A_SERVICE,		/* nest, enum dyncast_service_attrs */
	DYNCAST_A_INSTANCE,		/* nest, enum dyncast_instance_attrs;
					 * may appear several times
					 */
	DYNCAST_A_BINDING,		/* nest, enum dyncast_binding_attrs */
	DYNCAST_A_STATS,		/* nest, enum dyncast_stats_attrs */
	DYNCAST_A_REPLACE,		/* flag: SERVICE_NEW or INSTANCE_NEW
					 * changes what exists, as SET does,
					 * instead of refusing it (EEXIST);
					 * other commands refuse the flag
					 */

	/* private: */
	__DYNCAST_A_MAX,
	DYNCAST_A_MAX = (__DYNCAST_A_MAX - 1)
};

enum dyncast_service_attrs {
	DYNCAST_A_SERVICE_UNSPEC,
	DYNCAST_A_SERVICE_PAD,
	DYNCAST_A_SERVICE_ADDR4,	/* be32: IPv4 D-SID */
	DYNCAST_A_SERVICE_ADDR6,	/* binary[16]: IPv6 D-SID */
	DYNCAST_A_SERVICE_PROTO,	/* u8: IPPROTO_TCP or IPPROTO_UDP */
	DYNCAST_A_SERVICE_PORT,		/* be16: 0 (default) = every port */
	DYNCAST_A_SERVICE_MODE,		/* u8: enum dyncast_mode */
	DYNCAST_A_SERVICE_AFFINITY,	/* u8: enum dyncast_affinity */
	DYNCAST_A_SERVICE_SRC_PREFIX,	/* u8: source prefix length of the
					 * flow identifier; 0 (default) =
					 * whole address
					 */
	DYNCAST_A_SERVICE_TIMEOUT,	/* u32: affinity timeout, seconds */
	DYNCAST_A_SERVICE_POLICY,	/* u8: enum dyncast_policy */
	DYNCAST_A_SERVICE_MAX_BINDINGS,	/* u32: 0 = only the global limit */
	DYNCAST_A_SERVICE_SERVICE_TIME,	/* u32: base service time of one
					 * demand, microseconds (least-cost)
					 */
	DYNCAST_A_SERVICE_BINDINGS,	/* u32, read-only: bindings now */
	DYNCAST_A_SERVICE_INSTANCES,	/* u32, read-only: instances now */
	DYNCAST_A_SERVICE_STATS,	/* nest, read-only: dyncast_stats_attrs */
	DYNCAST_A_SERVICE_ROUTER4,	/* be32: the D-Router of a forwarder
					 * service (mode forward)
					 */
	DYNCAST_A_SERVICE_ROUTER6,	/* binary[16]: the same, IPv6 */
	DYNCAST_A_SERVICE_KEY,		/* binary[32], write-only (DYNCAST_KEY_LEN):
					 * authenticates the messages between
					 * D-Forwarders and the D-Router;
					 * without it a D-Router takes no miss
					 * for the service
					 */
	DYNCAST_A_SERVICE_KEYED,	/* flag, read-only: a key is set */
	/*
	 * Idle time after which a binding not yet confirmed expires (TCP:
	 * before the client's handshake ACK; UDP: before its second
	 * datagram); 0 = the affinity timeout; default
	 * DYNCAST_UNCONFIRMED_TIMEOUT.
	 */
	DYNCAST_A_SERVICE_UNCONFIRMED_TIMEOUT,	/* u32, seconds */
	/*
	 * The id of the key (with DYNCAST_A_SERVICE_KEY; default 0), sent in
	 * every message.  A key of a new id leaves the previous key accepted
	 * for DYNCAST_A_SERVICE_KEY_OVERLAP seconds more.
	 */
	DYNCAST_A_SERVICE_KEY_ID,	/* u8 */
	DYNCAST_A_SERVICE_KEY_OVERLAP,	/* u32: seconds, default
					 * DYNCAST_KEY_OVERLAP; 0 = none
					 */
	DYNCAST_A_SERVICE_OLD_KEY_ID,	/* u8, read-only: the previous key, while
					 * it is still accepted
					 */
	DYNCAST_A_SERVICE_OLD_KEY_EXPIRES,	/* u64, read-only: ms until the
						 * previous key is refused
						 */
	/*
	 * The key of the flow hash (policy hash, and demands steered with
	 * no binding): the same on every D-Router of the service, secret
	 * from clients, so that they cannot choose their instance.  Default
	 * all zero.
	 */
	DYNCAST_A_SERVICE_HASH_SEED,	/* binary[16], write-only
					 * (DYNCAST_HASH_SEED_LEN)
					 */
	DYNCAST_A_SERVICE_HASH_SEEDED,	/* flag, read-only: a seed is set */
	/*
	 * A demand whose flow has been idle this long has ended, for the
	 * instances' inflight counts (UDP, and TCP not yet confirmed; a
	 * confirmed connection ends with its FIN or RST or its binding);
	 * 0 = only those; default DYNCAST_DEMAND_IDLE.
	 */
	DYNCAST_A_SERVICE_DEMAND_IDLE,	/* u32: ms, 0..DYNCAST_DEMAND_IDLE_MAX */
	/*
	 * least-cost keeps to the split of the instances' weights within
	 * this many demands: on each CPU, an instance that would be more
	 * than this ahead of its weighted share of the demands steered there
	 * is passed over (its lead is carried over when the instances
	 * change).  For several routers that each see a small part of the
	 * demands (an agent sets the weights to its planned split).  0 = no
	 * bound, the default.
	 */
	DYNCAST_A_SERVICE_SLACK,	/* u32: demands, 0..DYNCAST_SLACK_MAX */
	/*
	 * 1: bindings made from now on count their packets and bytes
	 * (DYNCAST_A_BINDING_PACKETS/BYTES); 0 (the default): they do not,
	 * and take 16 bytes less.  Bindings made before a change keep what
	 * they had.
	 */
	DYNCAST_A_SERVICE_COUNTERS,	/* u8: 0 or 1 */

	/* private: */
	__DYNCAST_A_SERVICE_MAX,
	DYNCAST_A_SERVICE_MAX = (__DYNCAST_A_SERVICE_MAX - 1)
};

enum dyncast_instance_attrs {
	DYNCAST_A_INSTANCE_UNSPEC,
	DYNCAST_A_INSTANCE_PAD,
	DYNCAST_A_INSTANCE_ADDR4,	/* be32: IPv4 D-BID */
	DYNCAST_A_INSTANCE_ADDR6,	/* binary[16]: IPv6 D-BID */
	DYNCAST_A_INSTANCE_PORT,	/* be16: target port (rewrite mode);
					 * 0 (default) = keep the port
					 */
	DYNCAST_A_INSTANCE_WEIGHT,	/* u32: 0..DYNCAST_WEIGHT_MAX, default 1 */
	DYNCAST_A_INSTANCE_STATE,	/* u8: enum dyncast_state */
	DYNCAST_A_INSTANCE_CPU,		/* u32: CPU load, per mille */
	DYNCAST_A_INSTANCE_GPU,		/* u32: GPU load, per mille */
	DYNCAST_A_INSTANCE_SESSIONS,	/* u32: active sessions */
	DYNCAST_A_INSTANCE_QUEUE,	/* u32: queued requests */
	DYNCAST_A_INSTANCE_CAPACITY,	/* u32: sessions it can serve at once;
					 * 0 = unknown
					 */
	DYNCAST_A_INSTANCE_COST,	/* u32: network cost to reach it, usec */
	DYNCAST_A_INSTANCE_SITE,	/* u32: edge site identifier */
	DYNCAST_A_INSTANCE_METRICS_AGE,	/* u64, read-only: ms since the last
					 * metric update
					 */
	DYNCAST_A_INSTANCE_BINDINGS,	/* u32, read-only: bindings now */
	DYNCAST_A_INSTANCE_STATS,	/* nest, read-only: dyncast_stats_attrs */
	DYNCAST_A_INSTANCE_LEARNED,	/* flag, read-only: learnt from the
					 * D-Router's Binding Info (forwarder)
					 */
	/*
	 * The least-cost policy's model of the instance (see
	 * Documentation/dyncast.rst): its service time, its expected load
	 * (an agent's plan), and demands added to the router's own in flight
	 * there (other routers' demands there, less those on their way).
	 */
	DYNCAST_A_INSTANCE_SERVICE_TIME,	/* u32: usec, 0 (default) = the
						 * service's
						 */
	DYNCAST_A_INSTANCE_LOAD,	/* u32: per mille, 0 (default) = the
					 * larger of cpu and gpu
					 */
	DYNCAST_A_INSTANCE_INFLIGHT_ADJUST,	/* s32: 1/1000 demands,
						 * +-DYNCAST_ADJUST_MAX
						 */
	DYNCAST_A_INSTANCE_INFLIGHT,	/* u32, read-only: this router's
					 * demands there that started and have
					 * not ended
					 */

	/* private: */
	__DYNCAST_A_INSTANCE_MAX,
	DYNCAST_A_INSTANCE_MAX = (__DYNCAST_A_INSTANCE_MAX - 1)
};

enum dyncast_binding_attrs {
	DYNCAST_A_BINDING_UNSPEC,
	DYNCAST_A_BINDING_PAD,
	DYNCAST_A_BINDING_SRC4,		/* be32: client address (masked) */
	DYNCAST_A_BINDING_SRC6,		/* binary[16]: client address (masked) */
	DYNCAST_A_BINDING_SPORT,	/* be16: client port, 0 unless 5tuple */
	DYNCAST_A_BINDING_DPORT,	/* be16: service port, 0 unless 5tuple */
	DYNCAST_A_BINDING_BID4,		/* be32, read-only: instance address */
	DYNCAST_A_BINDING_BID6,		/* binary[16], read-only */
	DYNCAST_A_BINDING_BID_PORT,	/* be16, read-only: instance port */
	DYNCAST_A_BINDING_AGE,		/* u64, read-only: ms since created */
	DYNCAST_A_BINDING_IDLE,		/* u64, read-only: ms since last used */
	DYNCAST_A_BINDING_EXPIRES,	/* u64, read-only: ms until it expires */
	DYNCAST_A_BINDING_PACKETS,	/* u64, read-only: with counters */
	DYNCAST_A_BINDING_BYTES,	/* u64, read-only: with counters */
	DYNCAST_A_BINDING_HOLD,		/* flag, read-only: made for a
					 * forwarder's miss, kept only until
					 * the forwarder has learnt it
					 */
	DYNCAST_A_BINDING_CONFIRMED,	/* flag, read-only: the flow sent
					 * more than its first packet
					 */

	/* private: */
	__DYNCAST_A_BINDING_MAX,
	DYNCAST_A_BINDING_MAX = (__DYNCAST_A_BINDING_MAX - 1)
};

/*
 * Counters, all read-only.  The namespace-wide set (DYNCAST_CMD_STATS_GET)
 * carries every attribute; a service or an instance carries those that
 * apply to it.
 */
enum dyncast_stats_attrs {
	DYNCAST_A_STATS_UNSPEC,
	DYNCAST_A_STATS_PAD,
	DYNCAST_A_STATS_PACKETS,	/* u64: packets steered */
	DYNCAST_A_STATS_BYTES,		/* u64: bytes steered */
	DYNCAST_A_STATS_DEMANDS,	/* u64: new demands (selections) */
	DYNCAST_A_STATS_NO_INSTANCE,	/* u64: demands dropped, no instance */
	DYNCAST_A_STATS_TABLE_FULL,	/* u64: demands steered by hash without
					 * a binding, the table being full
					 */
	DYNCAST_A_STATS_NOT_START,	/* u64: packets dropped, no binding and
					 * not the start of a flow
					 */
	DYNCAST_A_STATS_TOO_BIG,	/* u64: packets answered with ICMP
					 * "too big" (tunnel mode)
					 */
	DYNCAST_A_STATS_XMIT_ERRORS,	/* u64: packets lost on the way out */
	DYNCAST_A_STATS_EXPIRED,	/* u64: bindings removed, idle */
	DYNCAST_A_STATS_BINDINGS,	/* u32: bindings now */
	DYNCAST_A_STATS_MAX_BINDINGS,	/* u32: limit of this namespace */
	DYNCAST_A_STATS_SERVICES,	/* u32: services now */
	DYNCAST_A_STATS_MISSES_SENT,	/* u64: demands a forwarder sent to its
					 * D-Router marked 'miss'
					 */
	DYNCAST_A_STATS_MISSES,		/* u64: misses a D-Router steered */
	DYNCAST_A_STATS_BINDINFO_SENT,	/* u64: Binding Info sent (D-Router) */
	DYNCAST_A_STATS_BINDINFO_RECV,	/* u64: Binding Info taken (forwarder) */
	DYNCAST_A_STATS_NOTICES_SENT,	/* u64: unreachable-egress notices
					 * sent (D-Router)
					 */
	DYNCAST_A_STATS_NOTICES_RECV,	/* u64: notices taken (forwarder) */
	DYNCAST_A_STATS_BAD_AUTH,	/* u64: messages dropped: wrong sender,
					 * no key, or a tag that does not
					 * verify
					 */
	DYNCAST_A_STATS_REPLAYED,	/* u64: messages dropped: seen before or
					 * below the replay window
					 */
	DYNCAST_A_STATS_MALFORMED,	/* u64: messages dropped: malformed,
					 * or for no such service
					 */
	DYNCAST_A_STATS_FORWARDERS,	/* u32: forwarders a D-Router serves */
	DYNCAST_A_STATS_LEARN_DROPS,	/* u64: Binding Info not learnt: the
					 * backlog, the table or the service's
					 * instances full (forwarder)
					 */
	DYNCAST_A_STATS_PEERS_FULL,	/* u64: misses dropped: the D-Router
					 * serves max_forwarders forwarders
					 * already
					 */
	/* keepalives sent: the flows still use the D-Router's bindings */
	DYNCAST_A_STATS_KEEPALIVES_SENT,	/* u64 (forwarder) */
	DYNCAST_A_STATS_KEEPALIVES_RECV,	/* u64: taken (D-Router) */
	DYNCAST_A_STATS_RATELIMITED,	/* u64: messages dropped over a
					 * rate: unchecked beyond the checks
					 * allowed (fwd_rate, fwd_check_rate,
					 * fwd_new_rate), or verified beyond
					 * their sender's fwd_rate
					 */
	DYNCAST_A_STATS_STALE,		/* u64: Binding Info and notices
					 * about an instance older than one
					 * taken since, not applied (forwarder)
					 */

	/* private: */
	__DYNCAST_A_STATS_MAX,
	DYNCAST_A_STATS_MAX = (__DYNCAST_A_STATS_MAX - 1)
};

enum dyncast_cmd {
	DYNCAST_CMD_UNSPEC,
	/* create a service; notification on the events group */
	DYNCAST_CMD_SERVICE_NEW,
	/* change a service's settings; notification */
	DYNCAST_CMD_SERVICE_SET,
	/* delete a service, its instances and bindings; notification */
	DYNCAST_CMD_SERVICE_DEL,
	/* get one service, or dump all */
	DYNCAST_CMD_SERVICE_GET,
	/* add one or more instances to a service; notification each */
	DYNCAST_CMD_INSTANCE_NEW,
	/* change one or more instances (weights, states, metrics) at once;
	 * notification for each whose weight or state changed
	 */
	DYNCAST_CMD_INSTANCE_SET,
	/* delete one or more instances; notification each */
	DYNCAST_CMD_INSTANCE_DEL,
	/* get one instance, or dump all (optionally of one service) */
	DYNCAST_CMD_INSTANCE_GET,
	/* dump bindings (optionally of one service) */
	DYNCAST_CMD_BINDING_GET,
	/* delete one binding, named by service and flow identifier */
	DYNCAST_CMD_BINDING_DEL,
	/* delete all bindings (optionally of one service) */
	DYNCAST_CMD_BINDING_FLUSH,
	/* namespace-wide counters */
	DYNCAST_CMD_STATS_GET,

	/* private: */
	__DYNCAST_CMD_MAX,
	DYNCAST_CMD_MAX = (__DYNCAST_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_DYNCAST_H */
