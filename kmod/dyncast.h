/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: objects shared by the files of the module.
 */
#ifndef _DYNCAST_H
#define _DYNCAST_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/refcount.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/dyncast.h>

#include "select.h"

#define DC_SVC_HASH_BITS	8
/* The filter of service addresses: 4096 bits per family */
#define DC_SID_FILTER_BITS	12
#define DC_SID_FILTER_LONGS	BITS_TO_LONGS(1 << DC_SID_FILTER_BITS)

extern unsigned int dc_net_id;
extern unsigned int dc_max_bindings;
extern unsigned int dc_max_forwarders;
extern unsigned int dc_fwd_rate;
extern unsigned int dc_fwd_new_rate;
extern unsigned int dc_fwd_check_rate;
extern unsigned short dc_fwd_port;
extern struct workqueue_struct *dc_wq;

/* Events counted per CPU, besides packets and bytes. */
enum dc_stat {
	DC_STAT_DEMANDS,
	DC_STAT_NO_INSTANCE,
	DC_STAT_TABLE_FULL,
	DC_STAT_NOT_START,
	DC_STAT_TOO_BIG,
	DC_STAT_XMIT_ERRORS,
	DC_STAT_MISSES_SENT,
	DC_STAT_MISSES,
	DC_STAT_BINDINFO_SENT,
	DC_STAT_BINDINFO_RECV,
	DC_STAT_NOTICES_SENT,
	DC_STAT_NOTICES_RECV,
	DC_STAT_BAD_AUTH,
	DC_STAT_REPLAYED,
	DC_STAT_MALFORMED,
	DC_STAT_LEARN_DROPS,
	DC_STAT_PEERS_FULL,
	DC_STAT_KEEPALIVES_SENT,
	DC_STAT_KEEPALIVES_RECV,
	DC_STAT_RATELIMITED,
	DC_STAT_STALE,
	DC_STAT_NR
};

struct dc_pcpu_stats {
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t count[DC_STAT_NR];
	struct u64_stats_sync syncp;
};

struct dc_stats {
	u64 packets;
	u64 bytes;
	u64 count[DC_STAT_NR];
};

/*
 * Anti-replay state of the messages from one sender: the highest sequence
 * number taken, plus one (0: none yet), and which of the numbers below it
 * were taken, in a ring of DC_REPLAY_BITS bits (fwd_wire.c).
 */
#define DC_REPLAY_BITS		2048

struct dc_replay {
	spinlock_t lock;	/* of top and map */
	u64 top;
	unsigned long map[DC_REPLAY_BITS / BITS_PER_LONG];
};

/* Notices about instances a forwarder did not know, remembered per service */
#define DC_FWD_UNKNOWN	8

/*
 * A token bucket: at most rate messages a second, a second's worth at
 * once (fwd_wire.c).
 */
struct dc_bucket {
	spinlock_t lock;	/* of the other fields */
	unsigned long last;
	u32 tokens;
};

/*
 * What a namespace's services need, per family: the PREROUTING hook
 * before conntrack (a tunnel-mode or forwarder service), conntrack with
 * the NAT and rewrite hooks (a rewrite one), a forwarder socket (a keyed
 * one).  Derived from the services by dc_net_sync() (service.c).
 */
struct dc_needs {
	bool hooks[2];
	bool nat[2];
	bool sock[2];
};

/* Per network namespace state. */
struct dc_net {
	struct net *net;
	/* serialises every change of services, instances and hooks */
	struct mutex lock;
	struct hlist_head services[1 << DC_SVC_HASH_BITS];
	/*
	 * Per family, a bit for the hash of each service address: a packet
	 * whose destination's bit is clear is addressed to no service.
	 * Bits are set before a service is published, and words replaced
	 * whole (from sid_scratch) after one is deleted, so that the bit of
	 * a published service never reads clear.
	 */
	unsigned long sid_filter[2][DC_SID_FILTER_LONGS];
	unsigned long sid_scratch[DC_SID_FILTER_LONGS];
	/*
	 * The services again, by address alone: what a fragment past the
	 * filter is asked against before it is reassembled.
	 */
	struct hlist_head sid_addrs[1 << DC_SVC_HASH_BITS];
	unsigned int nr_services;
	/* what is registered, per family: [0] IPv4, [1] IPv6 */
	bool hooks_on[2];
	bool nat_on[2];
	u32 next_id;
	bool id_wrapped;
	/* the namespace or the module goes: its services are deleted */
	bool exiting;
	/* bumped on every configuration change, for consistent dumps */
	u32 genid;

	struct rhashtable bindings;
	atomic_t nr_bindings;
	atomic64_t expired;
	struct delayed_work gc_work;
	struct rhashtable_iter gc_iter;

	/*
	 * D-Forwarder and D-Router messages: a UDP socket per family while
	 * a service of that family has a key (socket.c), the last sequence
	 * number sent, the forwarders this D-Router serves (fwd_router.c), and
	 * what a forwarder has yet to learn (fwd_forwarder.c).
	 */
	struct socket __rcu *sock[2];
	struct rhashtable peers;
	atomic_t nr_peers;
	/* messages from senders a D-Router does not know yet */
	struct dc_bucket new_peers;
	/* checks of known senders' messages beyond their own share */
	struct dc_bucket checks;
	struct delayed_work peers_gc;
	spinlock_t learn_lock;	/* of the learn_ fields */
	struct list_head learn_list;
	unsigned int learn_len;
	struct work_struct learn_work;

	struct dc_pcpu_stats __percpu *stats;
};

static inline struct dc_net *dc_net(const struct net *net)
{
	return net_generic(net, dc_net_id);
}

struct dc_instance;
struct dc_key;

/*
 * least-cost's slack, one per CPU and set: the demands the CPU steered
 * by least-cost since the set was published, and for each instance its
 * part of them and how far it was ahead of its share then (2^-16 demands,
 * carried over from the set before)
 */
struct dc_sel_credit {
	u32 demands;
	struct {
		s32 base;
		u32 got;
	} in[];
};

/* How far instance @i is ahead of its @share of the CPU's demands */
static inline s64 dc_sel_lead(const struct dc_sel_credit *cr, u32 share,
			      unsigned int i)
{
	return READ_ONCE(cr->in[i].base) +
	       (s64)READ_ONCE(cr->in[i].got) * (1 << 16) -
	       (s64)share * READ_ONCE(cr->demands);
}

/* ... kept to within the slack and one demand, either way, for a base */
static inline s32 dc_sel_lead_clamp(s64 lead, u32 slack)
{
	s64 lim = ((s64)min_t(u32, slack, 32766) + 1) << 16;

	return clamp(lead, -lim, lim);
}

/*
 * The instances that take new demands, with the schedules built from their
 * weights.  Immutable once published but for the per-CPU credits, which
 * only their CPU touches; replaced as a whole on any change.
 */
struct dc_inst_set {
	struct rcu_head rcu;
	unsigned int n;
	unsigned int wrr_len;
	unsigned int maglev_size;
	struct dc_instance **inst;
	union nf_inet_addr *addrs;	/* the instances', sorted (dc_addr_cmp) */
	u16 *wrr;
	u16 *maglev;
	u32 *share;		/* weight / total weight, 2^-16 units */
	struct dc_sel_credit __percpu *credit;	/* with two or more */
};

struct dc_service {
	struct hlist_node hnode;
	struct hlist_node anode;	/* in dn->sid_addrs */
	struct rcu_head rcu;
	refcount_t refcnt;
	struct dc_net *dn;
	/*
	 * The memory cgroup of the process that made the service, which its
	 * traffic's bindings are charged to; NULL for the root cgroup.
	 */
	struct mem_cgroup *memcg;
	u32 id;
	u8 family;
	u8 proto;
	__be16 port;
	union nf_inet_addr addr;

	/* settings, read locklessly on the packet path */
	u8 mode;
	u8 affinity;
	u8 src_prefix;
	u8 policy;
	u32 timeout;		/* jiffies */
	u32 unconfirmed;	/* jiffies, 0: as timeout */
	u32 max_bindings;
	u32 service_time;	/* usec */
	u32 demand_idle;	/* jiffies: a demand idle this long has ended */
	u32 slack;		/* least-cost: demands ahead of the weights */
	bool counters;		/* new bindings count packets and bytes */

	/* both ends of a forwarder: the key, and a forwarder's D-Router */
	struct dc_key __rcu *key;
	siphash_key_t hash_seed;
	/* the previous key, accepted until its until */
	struct dc_key __rcu *old_key;
	unsigned long key_overlap;
	union nf_inet_addr router;
	struct dc_replay replay;
	/* a forwarder's: the messages of its D-Router checked, verified */
	struct dc_bucket rx_check, rx_bucket;
	/* the number of a forwarder's last miss */
	atomic64_t tx_seq;
	/* when a forwarder last told its D-Router it uses its bindings */
	unsigned long keepalive_sent;
	/*
	 * a forwarder's, under dn->lock: the number of the newest Binding
	 * Info whose settings it took, and the last notices about instances
	 * it did not know (fwd_forwarder.c)
	 */
	u64 fwd_settings_seq;
	/* a forwarder's: the number of the last notice of the service gone */
	u64 fwd_gone_seq;
	struct dc_fwd_unknown {
		union nf_inet_addr bid;
		u64 seq;
	} fwd_unknown[DC_FWD_UNKNOWN];
	unsigned int fwd_unknown_next;

	bool dead;
	/* the last binding could not be made for want of memory */
	bool nomem;
	atomic_t nr_bindings;
	atomic_t wrr_seq;
	/*
	 * Until when a connection steered by hash, for want of a binding,
	 * may still run: the last packet so steered plus the timeout,
	 * written at most once a second (dc_binding_hashed())
	 */
	unsigned long hashed_until;
	struct dc_inst_set __rcu *set;
	/* every instance, under dn->lock */
	struct list_head instances;
	unsigned int nr_instances;
	struct dc_pcpu_stats __percpu *stats;
};

struct dc_route;

struct dc_instance {
	struct list_head list;
	struct rcu_head rcu;
	refcount_t refcnt;
	struct dc_service *svc;
	union nf_inet_addr addr;
	__be16 port;
	u8 state;
	bool dead;
	/* learnt from a Binding Info, on a forwarder */
	bool learned;
	u32 weight;
	/* on a list of instances going down or away, under dn->lock */
	struct list_head gone;
	u64 id;			/* stable identity for consistent hashing */
	/*
	 * on a forwarder, under dn->lock: the sequence number of the newest
	 * message of the D-Router that said it up (a Binding Info) or down
	 */
	u64 fwd_seq;
	/* a change being made, under dn->lock: see dc_service_rebuild() */
	struct {
		u32 weight;
		u8 state;
		bool leaving;
		unsigned int old_idx;	/* 1 + its index in the set, 0 none */
	} next;

	/* metrics, written by the control path, read locklessly */
	u32 cpu;
	u32 gpu;
	u32 sessions;
	u32 queue;
	u32 capacity;
	u32 cost;
	u32 site;
	unsigned long metrics_updated;

	/* least-cost: the parameters of its marginal delay, and the curve */
	u32 service_time;	/* usec, 0: the service's */
	u32 load;		/* per mille, 0: cpu or gpu, the larger */
	s32 adjust;		/* 1/1000 demands, added to inflight */
	/* reported sessions and queue beyond inflight, at the last report */
	u32 backlog;
	seqcount_t delta_seq;	/* written under dn->lock, softirqs off */
	struct dc_sel_delta delta;
	struct {		/* what the curve was built from */
		u32 capacity;
		u32 service_time;
		u32 load;
	} delta_in;
	/* this router's demands here that started and have not ended */
	atomic_t inflight;

	atomic_t nr_bindings;
	struct dc_pcpu_stats __percpu *stats;
	/* tunnel mode: the route to it (tunnel.c) */
	struct dc_route __rcu *route;
	spinlock_t route_lock;	/* serialises the replacements of route */
};

/*
 * The flow identifier, masked as the service's affinity says.  A binding
 * of an IPv4 service stores its first DC_FLOW_KEY_LEN4 bytes, one of IPv6
 * all of it: the IPv6 bit of the id tells which.
 */
struct dc_flow_key {
	u32 id;			/* the service's; DC_FLOW_KEY_IPV6 for IPv6 */
	__be16 sport;
	__be16 dport;
	union nf_inet_addr saddr;
};

#define DC_FLOW_KEY_IPV6	BIT(31)
#define DC_FLOW_KEY_LEN4	offsetofend(struct dc_flow_key, saddr.ip)
#define DC_FLOW_KEY_LEN6	sizeof(struct dc_flow_key)

/* Service ids leave the IPv6 bit free: 1..DC_SVC_ID_MAX */
#define DC_SVC_ID_MAX		(DC_FLOW_KEY_IPV6 - 1)

static inline unsigned int dc_flow_key_len(u32 id)
{
	return id & DC_FLOW_KEY_IPV6 ? DC_FLOW_KEY_LEN6 : DC_FLOW_KEY_LEN4;
}

/* dc_binding.flags, bits changed atomically once it is published */
enum {
	DC_BINDING_HOLD_BIT,		/* for a forwarder's miss: short-lived */
	DC_BINDING_CONFIRMED_BIT,	/* more than the flow's first packet */
	DC_BINDING_OWN_BIT,		/* a demand this router steered */
	DC_BINDING_INFLIGHT_BIT,	/* ... counted in its inflight now */
	DC_BINDING_ENDED_BIT,		/* ... a FIN or RST ended it */
	DC_BINDING_COUNTERS_BIT,	/* has struct dc_binding_counters */
};

#define DC_BINDING_HOLD		BIT(DC_BINDING_HOLD_BIT)
#define DC_BINDING_CONFIRMED	BIT(DC_BINDING_CONFIRMED_BIT)
#define DC_BINDING_OWN		BIT(DC_BINDING_OWN_BIT)
#define DC_BINDING_INFLIGHT	BIT(DC_BINDING_INFLIGHT_BIT)
#define DC_BINDING_ENDED	BIT(DC_BINDING_ENDED_BIT)
#define DC_BINDING_COUNTERS	BIT(DC_BINDING_COUNTERS_BIT)

/* How long a D-Router keeps the binding of a forwarder's miss, at most. */
#define DC_HOLD_TIME		(2 * HZ)

/*
 * A binding: 64 bytes for IPv4 (80 for IPv6), 16 more with counters.  The
 * last use is kept in 32 bits of jiffies: an idle binding is removed
 * within a collector pass after its timeout (at most a day), long before
 * they wrap.
 */
struct dc_binding {
	struct rhash_head node;
	struct dc_instance *inst;
	unsigned long flags;
	unsigned long created;
	struct rcu_head rcu;
	u32 last_used;
	/*
	 * The flow key, dc_flow_key_len(key[0]) bytes; then, 8-byte aligned,
	 * struct dc_binding_counters when the flags say so
	 */
	u32 key[];
};

/* Per-binding counters, for services that ask for them */
struct dc_binding_counters {
	atomic64_t packets;
	atomic64_t bytes;
};

static inline unsigned int dc_binding_size(u32 id)
{
	return ALIGN(offsetof(struct dc_binding, key) + dc_flow_key_len(id),
		     sizeof(u64));
}

static inline struct dc_binding_counters *
dc_binding_counters(const struct dc_binding *b)
{
	return (void *)b + dc_binding_size(b->key[0]);
}

static inline const struct dc_flow_key *
dc_binding_key(const struct dc_binding *b)
{
	return (const struct dc_flow_key *)b->key;
}

static inline u32 dc_binding_svc_id(const struct dc_binding *b)
{
	return b->key[0] & ~DC_FLOW_KEY_IPV6;
}

/*
 * How long the binding has been idle, in jiffies.  A packet on another
 * CPU may write a last use later than the jiffies read here: that is no
 * idleness, not 2^32 - 1 jiffies of it.
 */
static inline u32 dc_binding_idle_time(const struct dc_binding *b)
{
	s32 idle = (u32)jiffies - READ_ONCE(b->last_used);

	return idle > 0 ? idle : 0;
}

/* What the packet path learnt of a packet addressed to a service. */
struct dc_pkt {
	u8 family;
	u8 proto;
	bool syn;
	/* TCP FIN or RST: the client ends its connection */
	bool fin_rst;
	/* a packet that a spoofed source does not send: not a first one */
	bool confirms;
	bool icmp_err;
	unsigned int len;
	union nf_inet_addr saddr;
	union nf_inet_addr daddr;
	__be16 sport;
	__be16 dport;
};

static inline int dc_fam_idx(u8 family)
{
	return family == AF_INET6;
}

static inline u32 dc_sid_hash4(__be32 addr)
{
	return hash_32((__force u32)addr, DC_SID_FILTER_BITS);
}

static inline u32 dc_sid_hash6(const struct in6_addr *addr)
{
	return hash_32((__force u32)(addr->s6_addr32[0] ^ addr->s6_addr32[1] ^
				     addr->s6_addr32[2] ^ addr->s6_addr32[3]),
		       DC_SID_FILTER_BITS);
}

/*
 * Whether a packet in PREROUTING may be addressed to a service: false
 * when no service has its destination address.  Its IP header is there
 * and linear (ip_rcv(), ipv6_rcv()).
 */
static inline bool dc_sid_maybe(const struct dc_net *dn,
				const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return test_bit(dc_sid_hash4(ip_hdr(skb)->daddr),
				dn->sid_filter[0]);
	return test_bit(dc_sid_hash6(&ipv6_hdr(skb)->daddr), dn->sid_filter[1]);
}

#endif /* _DYNCAST_H */
