// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the D-Forwarder, a service in mode forward.
 *
 * A forwarder keeps only a binding table.  A packet of a bound flow goes
 * straight to its instance, in IPIP or IPv6-in-IPv6, as in tunnel mode.
 * Any other packet for the service is a miss: it goes to the D-Router in a
 * MISS message, the client's packet unchanged behind an authenticated
 * header; the D-Router steers it and answers with a Binding Info, which the
 * forwarder learns.  Until it has, the flow's packets keep going through
 * the D-Router, which holds a short-lived binding to answer them alike.
 * A notice from the D-Router takes an instance down here, with its
 * bindings: the flow's next packet is a miss again.
 *
 * Binding Info and notices are accepted only from the service's D-Router,
 * with a tag that verifies and a sequence number not seen before.  They
 * are checked in softirq and queued, at most DC_LEARN_BACKLOG at a time;
 * a work item applies them under dn->lock, creating the instances it
 * learns (flagged learned, weight 0) and the bindings.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>

#include "dyncast.h"
#include "binding.h"
#include "fwd.h"
#include "fwd_forwarder.h"
#include "instance.h"
#include "netlink.h"
#include "socket.h"
#include "stats.h"
#include "tunnel.h"

/* Binding Info and notices waiting to be applied, per namespace. */
#define DC_LEARN_BACKLOG	1024

struct dc_learn {
	struct list_head list;
	u8 type;
	u64 seq;
	union {
		struct dc_fwd_svc svc;
		struct dc_fwd_bind bind;
		struct dc_fwd_notice notice;
	};
};

/*
 * One packet to the D-Router as a miss.  Returns 0 once @skb is sent (and
 * consumed); otherwise the caller still owns it.
 */
static int dc_fwd_miss_one(struct net *net, struct dc_net *dn,
			   struct dc_service *svc, struct dc_key *key,
			   struct sk_buff *skb)
{
	unsigned int hlen = sizeof(struct udphdr) + sizeof(struct dc_fwd_hdr);
	struct dc_fwd_addrs a;
	struct dc_fwd_hdr *hdr;
	struct dst_entry *dst;
	unsigned int mtu, len;
	__be16 df = 0, sport;
	u16 frag_max;
	int ret;

	ret = dc_fwd_route(net, svc->family, &svc->router, NULL, skb->mark,
			   &a, &dst);
	if (ret)
		return ret;

	hlen += svc->family == AF_INET ? sizeof(struct iphdr) :
					 sizeof(struct ipv6hdr);
	mtu = dst_mtu(dst) > hlen ? dst_mtu(dst) - hlen : 0;
	if (svc->family == AF_INET) {
		df = ip_hdr(skb)->frag_off & htons(IP_DF);
	} else if (mtu < IPV6_MIN_MTU) {
		/* the outer packet is fragmented then; see dc_fwd_xmit() */
		mtu = IPV6_MIN_MTU;
	}
	frag_max = svc->family == AF_INET ? IPCB(skb)->frag_max_size :
					    IP6CB(skb)->frag_max_size;
	if ((df || svc->family == AF_INET6) &&
	    !dc_fits(skb, svc->family, mtu)) {
		dst_release(dst);
		dc_count_event(dn, svc, DC_STAT_TOO_BIG);
		dc_too_big(net, skb, svc->family, mtu);
		return -EMSGSIZE;
	}
	/*
	 * No IP packet holds a reassembled datagram this close to 64 KiB
	 * with the headers of a miss, fragmented or not: dropped, counted
	 * (it fits its path in fragments: no one to tell)
	 */
	if (skb->len + hlen > (svc->family == AF_INET ? IP_MAX_MTU :
			       IPV6_MAXPLEN + sizeof(struct ipv6hdr))) {
		dst_release(dst);
		dc_count_event(dn, svc, DC_STAT_TOO_BIG);
		return -EMSGSIZE;
	}

	/* The tag covers the packet as the D-Router will see it. */
	if ((skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) ||
	    skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) + hlen)) {
		dst_release(dst);
		return -ENOMEM;
	}
	sport = udp_flow_src_port(net, skb, 0, 0, false);
	len = skb->len;
	hdr = skb_push(skb, sizeof(*hdr));
	dc_fwd_hdr_init(hdr, DC_FWD_MISS, len, key->id, &svc->tx_seq);
	/*
	 * Reassembled here: the D-Router judges it by its largest fragment
	 * too, and its miss, which fits the path in fragments, is sent so.
	 */
	if (frag_max) {
		hdr->frag_max = htons(frag_max);
		df = 0;
	}
	dc_key_tag(&key->own.up, &a, hdr, skb, sizeof(*hdr), len, hdr->tag);
	if (dc_fwd_xmit(dn, skb, dst, &a, df, sport))
		dc_count_event(dn, svc, DC_STAT_XMIT_ERRORS);
	else
		dc_count_event(dn, svc, DC_STAT_MISSES_SENT);
	return 0;
}

/* As dc_fwd_miss_one(), counting what was not sent. */
static int dc_fwd_miss_count(struct net *net, struct dc_net *dn,
			     struct dc_service *svc, struct dc_key *key,
			     struct sk_buff *skb)
{
	int ret = dc_fwd_miss_one(net, dn, svc, key, skb);

	/* too big: counted (the client told, but of a datagram no miss holds) */
	if (ret && ret != -EMSGSIZE)
		dc_count_event(dn, svc, DC_STAT_XMIT_ERRORS);
	return ret;
}

/* Send a miss; a packet aggregated by GRO goes as the packets it was. */
static unsigned int dc_fwd_miss(struct net *net, struct dc_net *dn,
				struct dc_service *svc, struct sk_buff *skb)
{
	struct dc_key *key = rcu_dereference(svc->key);
	struct sk_buff *segs, *seg, *next;

	if (!key)
		return NF_DROP;
	if (!skb_is_gso(skb))
		return dc_fwd_miss_count(net, dn, svc, key, skb) ? NF_DROP :
								    NF_STOLEN;
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		dc_count_event(dn, svc, DC_STAT_XMIT_ERRORS);
		return NF_DROP;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		if (dc_fwd_miss_count(net, dn, svc, key, seg))
			kfree_skb(seg);
	}
	return NF_STOLEN;
}

/*
 * A flow used a learnt binding: tell the D-Router that we still hold its
 * bindings, once per keepalive interval, so that it keeps sending us
 * notices however long the flow lasts (it counts a forwarder as holding
 * bindings only for a timeout after its last Binding Info).  One CPU of
 * those that see the interval end sends.  Under RCU.
 */
static void dc_fwd_keepalive(struct dc_net *dn, struct dc_service *svc)
{
	unsigned long now = jiffies, last = READ_ONCE(svc->keepalive_sent);
	struct dc_fwd_svc body;
	struct dc_key *key;

	if (time_before(now, last +
			dc_fwd_keepalive_interval(READ_ONCE(svc->timeout))) ||
	    cmpxchg(&svc->keepalive_sent, last, now) != last)
		return;
	key = rcu_dereference(svc->key);
	if (!key)
		return;
	dc_fwd_svc_encode(&body, svc);
	if (dc_fwd_send(dn, &key->own.up, key->id, DC_FWD_KEEPALIVE, &body,
			sizeof(body), svc->family, &svc->router, NULL,
			&svc->tx_seq))
		dc_count_event(dn, svc, DC_STAT_XMIT_ERRORS);
	else
		dc_count_event(dn, svc, DC_STAT_KEEPALIVES_SENT);
}

/*
 * The PREROUTING hook's part for a forwarder service: @inst is the
 * instance of the flow's binding, or NULL.  Called under RCU.
 */
unsigned int dc_fwd_steer(struct net *net, struct sk_buff *skb,
			  struct dc_net *dn, struct dc_service *svc,
			  struct dc_instance *inst, const struct dc_pkt *pkt)
{
	if (inst) {
		dc_fwd_keepalive(dn, svc);
		dc_count_packet(dn, svc, inst, pkt->len);
		return dc_tunnel_xmit(net, skb, inst) ? NF_DROP : NF_STOLEN;
	}
	/* An error about a flow nobody bound here: routing knows better. */
	if (pkt->icmp_err)
		return NF_ACCEPT;
	return dc_fwd_miss(net, dn, svc, skb);
}

static int dc_fwd_addr(u8 family, const u8 *raw, union nf_inet_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET) {
		if (memchr_inv(raw + 4, 0, 12))
			return -EINVAL;
		memcpy(&addr->ip, raw, 4);
		if (ipv4_is_multicast(addr->ip) || ipv4_is_lbcast(addr->ip) ||
		    ipv4_is_zeronet(addr->ip))
			return -EINVAL;
	} else {
		memcpy(&addr->in6, raw, 16);
		if (ipv6_addr_is_multicast(&addr->in6) ||
		    ipv6_addr_any(&addr->in6))
			return -EINVAL;
	}
	return 0;
}

/* What of a Binding Info can be checked before it is applied. */
static bool dc_fwd_bind_valid(const struct dc_service *svc,
			      const struct dc_fwd_bind *b)
{
	union nf_inet_addr addr;
	u32 timeout = ntohl(b->timeout);

	return b->affinity <= DYNCAST_AFFINITY_MAX &&
	       b->src_prefix <= (svc->family == AF_INET ? 32 : 128) &&
	       timeout >= 1 && timeout <= DYNCAST_TIMEOUT_MAX &&
	       !dc_fwd_addr(svc->family, b->bid, &addr) &&
	       (svc->family == AF_INET6 || !memchr_inv(b->src + 4, 0, 12));
}

/*
 * A reason this version knows (one it does not is not taken for "down"),
 * reserved bytes zero, and but for "service deleted" an instance's address
 * as in a Binding Info.
 */
static bool dc_fwd_notice_valid(const struct dc_service *svc,
				const struct dc_fwd_notice *n)
{
	union nf_inet_addr addr;

	return n->reason >= DC_FWD_DOWN && n->reason <= DC_FWD_SERVICE_GONE &&
	       !memchr_inv(n->reserved, 0, sizeof(n->reserved)) &&
	       (n->reason == DC_FWD_SERVICE_GONE ||
		!dc_fwd_addr(svc->family, n->bid, &addr));
}

/*
 * A Binding Info or a notice reached a forwarder, skb->data at the UDP
 * header, @hdr in the linear part.  Checked here, cheapest first, applied
 * by the work.  Consumes @skb.
 */
void dc_fwd_rcv(struct dc_net *dn, struct sk_buff *skb,
		const struct dc_fwd_hdr *hdr)
{
	unsigned int off = sizeof(struct udphdr) + sizeof(*hdr), len;
	struct dc_service *svc = NULL;
	enum dc_stat what = DC_STAT_MALFORMED;
	struct dc_fwd_addrs a;
	struct dc_learn *l;
	struct dc_key *key;
	union {
		struct dc_fwd_svc svc;
		struct dc_fwd_bind bind;
		struct dc_fwd_notice notice;
	} body;

	len = hdr->type == DC_FWD_BIND ? sizeof(body.bind) :
					 sizeof(body.notice);
	if (ntohs(hdr->len) != len || skb->len != off + len ||
	    skb_copy_bits(skb, off, &body, len))
		goto drop;

	svc = dc_fwd_svc_lookup(dn, &body.svc);
	if (!svc || READ_ONCE(svc->mode) != DYNCAST_MODE_FORWARD) {
		svc = NULL;
		goto drop;
	}
	dc_fwd_outer_addrs(skb, &a);
	what = DC_STAT_BAD_AUTH;
	if (a.family != svc->family || !nf_inet_addr_cmp(&a.src, &svc->router))
		goto drop;
	if (!dc_check_take(dn, &svc->rx_check)) {
		what = DC_STAT_RATELIMITED;
		goto drop;
	}
	key = dc_key_find(svc, hdr->key_id);
	if (!key || !dc_key_verify(&key->own.down, &a, hdr, skb, off, len))
		goto drop;
	if (!dc_replay_check(&svc->replay, be64_to_cpu(hdr->seq))) {
		what = DC_STAT_REPLAYED;
		goto drop;
	}
	if (!dc_bucket_take(&svc->rx_bucket, READ_ONCE(dc_fwd_rate))) {
		what = DC_STAT_RATELIMITED;
		goto drop;
	}
	what = DC_STAT_MALFORMED;
	if (hdr->type == DC_FWD_BIND ? !dc_fwd_bind_valid(svc, &body.bind) :
				       !dc_fwd_notice_valid(svc, &body.notice))
		goto drop;

	l = kmalloc(sizeof(*l), GFP_ATOMIC);
	if (!l) {
		what = DC_STAT_LEARN_DROPS;
		goto drop;
	}
	l->type = hdr->type;
	l->seq = be64_to_cpu(hdr->seq);
	memcpy(&l->bind, &body, len);
	consume_skb(skb);

	spin_lock_bh(&dn->learn_lock);
	if (dn->learn_len >= DC_LEARN_BACKLOG) {
		spin_unlock_bh(&dn->learn_lock);
		kfree(l);
		dc_count_event(dn, svc, DC_STAT_LEARN_DROPS);
		return;
	}
	list_add_tail(&l->list, &dn->learn_list);
	dn->learn_len++;
	spin_unlock_bh(&dn->learn_lock);
	queue_work(dc_wq, &dn->learn_work);
	return;

drop:
	kfree_skb(skb);
	dc_stats_count_svc(dn, svc, what);
}

static struct dc_service *dc_learn_service(struct dc_net *dn,
					   const struct dc_fwd_svc *w)
{
	struct dc_service *svc;

	rcu_read_lock();
	svc = dc_fwd_svc_lookup(dn, w);
	rcu_read_unlock();
	/* Under dn->lock: the service cannot go while we use it. */
	if (!svc || svc->mode != DYNCAST_MODE_FORWARD)
		return NULL;
	return svc;
}

/* The D-Router's settings of the service apply here too. */
static void dc_learn_settings(struct dc_service *svc,
			      const struct dc_fwd_bind *b)
{
	u32 timeout = ntohl(b->timeout) * HZ;
	u32 unconfirmed = ntohs(b->unconfirmed) * HZ;

	if (svc->affinity != b->affinity || svc->src_prefix != b->src_prefix) {
		WRITE_ONCE(svc->affinity, b->affinity);
		WRITE_ONCE(svc->src_prefix, b->src_prefix);
		/* bindings keyed otherwise would never match again */
		dc_bindings_flush(svc->dn, svc);
		dc_notify_service(svc, DYNCAST_CMD_SERVICE_SET);
	}
	if (svc->timeout != timeout)
		WRITE_ONCE(svc->timeout, timeout);
	if (svc->unconfirmed != unconfirmed)
		WRITE_ONCE(svc->unconfirmed, unconfirmed);
}

/*
 * The service holds as many instances as it may: forget the learnt one
 * that no binding uses and that was learnt or refreshed longest ago.
 * Bindings are made only under dn->lock, so none can take it meanwhile.
 * Returns whether one went.
 */
static bool dc_learn_evict(struct dc_service *svc)
{
	struct dc_instance *inst, *old = NULL;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list) {
		if (!inst->learned || atomic_read(&inst->nr_bindings))
			continue;
		if (!old || time_before(inst->metrics_updated,
					old->metrics_updated))
			old = inst;
	}
	if (!old)
		return false;
	dc_notify_instance(old, DYNCAST_CMD_INSTANCE_DEL);
	dc_instance_delete(old);
	dc_instance_put(old);
	WRITE_ONCE(svc->dn->genid, svc->dn->genid + 1);
	return true;
}

/*
 * A new learnt instance at @bid, up, not told yet; NULL if there is no
 * room, or no memory.
 */
static struct dc_instance *dc_learn_instance(struct dc_service *svc,
					     const union nf_inet_addr *bid)
{
	struct dc_instance *inst;

	if (svc->nr_instances >= DYNCAST_MAX_INSTANCES && !dc_learn_evict(svc))
		return NULL;
	inst = dc_instance_create(svc, bid);
	if (!inst)
		return NULL;
	inst->learned = true;
	inst->weight = 0;
	inst->next.weight = 0;
	WRITE_ONCE(svc->dn->genid, svc->dn->genid + 1);
	return inst;
}

/*
 * Whether a notice numbered after @seq was about @bid when the forwarder
 * did not know it: a Binding Info it overtook would make the instance up
 */
static bool dc_learn_unknown_down(const struct dc_service *svc,
				  const union nf_inet_addr *bid, u64 seq)
{
	int i;

	for (i = 0; i < DC_FWD_UNKNOWN; i++)
		if (svc->fwd_unknown[i].seq > seq &&
		    nf_inet_addr_cmp(&svc->fwd_unknown[i].bid, bid))
			return true;
	return false;
}

/*
 * A Binding Info and a notice about the same instance may arrive in the
 * other order than they were sent (both are taken within the window of
 * sequence numbers).  The instance holds the number of the newest that
 * said it up or down: an older Binding Info does not bring it back up,
 * and is dropped, settings and all; an older notice does not take it
 * down.  The last DC_FWD_UNKNOWN notices about instances the forwarder
 * did not know are remembered alike, for the Binding Info that would
 * make them.  The service's settings are those of the newest Binding
 * Info taken.
 */
static void dc_learn_bind(struct dc_net *dn, const struct dc_fwd_bind *b,
			  u64 seq)
{
	struct dc_service *svc = dc_learn_service(dn, &b->svc);
	union nf_inet_addr bid;
	struct dc_instance *inst;
	struct dc_flow_key key;
	struct dc_pkt pkt = {};
	unsigned long remaining;

	if (!svc)
		return;
	dc_fwd_addr(svc->family, b->bid, &bid);
	inst = dc_instance_find(svc, &bid);
	if (seq < svc->fwd_gone_seq ||
	    (inst ? inst->state != DYNCAST_STATE_UP && seq < inst->fwd_seq :
		    dc_learn_unknown_down(svc, &bid, seq))) {
		dc_stats_count_svc(dn, svc, DC_STAT_STALE);
		return;
	}
	if (seq > svc->fwd_settings_seq) {
		dc_learn_settings(svc, b);
		svc->fwd_settings_seq = seq;
	}
	if (!inst) {
		inst = dc_learn_instance(svc, &bid);
		if (!inst)
			goto drop;
		dc_notify_instance(inst, DYNCAST_CMD_INSTANCE_NEW);
	} else if (inst->state != DYNCAST_STATE_UP) {
		dc_instance_set_state(inst, DYNCAST_STATE_UP);
		dc_notify_instance(inst, DYNCAST_CMD_INSTANCE_SET);
	}
	inst->fwd_seq = max(inst->fwd_seq, seq);
	WRITE_ONCE(inst->metrics_updated, jiffies);

	pkt.family = svc->family;
	memcpy(&pkt.saddr, b->src, svc->family == AF_INET ? 4 : 16);
	pkt.sport = b->sport;
	pkt.dport = b->dport;
	dc_flow_key_make(&key, svc, &pkt);
	remaining = min_t(unsigned long, msecs_to_jiffies(ntohl(b->remaining)),
			  svc->timeout);
	if (dc_binding_learn(dn, svc, &key, inst, remaining))
		goto drop;
	/* the D-Router counts us as holding its bindings from now on */
	WRITE_ONCE(svc->keepalive_sent, jiffies);
	dc_stats_count_svc(dn, svc, DC_STAT_BINDINFO_RECV);
	return;
drop:
	dc_stats_count_svc(dn, svc, DC_STAT_LEARN_DROPS);
}

/*
 * The learnt instances that a run of notices about one service took down:
 * their bindings go in one walk when the run ends (dc_learn_gone_end()),
 * before anything else is learnt.  Meanwhile a binding to them is taken
 * as expired.  A request that takes many instances down or away at the
 * D-Router sends a notice for each.
 */
struct dc_learn_gone {
	struct dc_service *svc;
	struct list_head list;
};

static void dc_learn_gone_done(struct dc_instance *inst)
{
	dc_notify_instance(inst, DYNCAST_CMD_INSTANCE_SET);
}

static void dc_learn_gone_end(struct dc_learn_gone *g)
{
	if (!g->svc)
		return;
	/* the reason is for a D-Router to tell its forwarders: none here */
	dc_instances_gone(g->svc, &g->list, DC_FWD_DOWN, dc_learn_gone_done);
	g->svc = NULL;
}

/*
 * A notice numbered @seq takes learnt instance @inst down; false when a
 * later message spoke of it (stale).
 */
static bool dc_learn_down(struct dc_service *svc, struct dc_instance *inst,
			  u64 seq, struct dc_learn_gone *g)
{
	if (seq < inst->fwd_seq)
		return false;
	inst->fwd_seq = seq;
	if (inst->state == DYNCAST_STATE_DOWN)
		return true;
	dc_instance_set_state(inst, DYNCAST_STATE_DOWN);
	if (g->svc != svc) {
		dc_learn_gone_end(g);
		g->svc = svc;
	}
	list_add_tail(&inst->gone, &g->list);
	return true;
}

static void dc_learn_notice(struct dc_net *dn, const struct dc_fwd_notice *n,
			    u64 seq, struct dc_learn_gone *g)
{
	struct dc_service *svc = dc_learn_service(dn, &n->svc);
	union nf_inet_addr bid;
	struct dc_instance *inst;
	bool stale = false;

	if (!svc)
		return;
	dc_stats_count_svc(dn, svc, DC_STAT_NOTICES_RECV);
	/*
	 * The service gone at the D-Router: every instance learnt, and no
	 * Binding Info numbered before it brings one back.
	 */
	if (n->reason == DC_FWD_SERVICE_GONE) {
		if (memchr_inv(n->bid, 0, sizeof(n->bid)))
			return;
		svc->fwd_gone_seq = max(svc->fwd_gone_seq, seq);
		list_for_each_entry(inst, &svc->instances, list)
			stale |= !dc_learn_down(svc, inst, seq, g);
		/* once for the notice, however many it found newer news of */
		if (stale)
			dc_stats_count_svc(dn, svc, DC_STAT_STALE);
		return;
	}
	if (dc_fwd_addr(svc->family, n->bid, &bid))
		return;
	inst = dc_instance_find(svc, &bid);
	if (!inst) {
		struct dc_fwd_unknown *u;

		u = &svc->fwd_unknown[svc->fwd_unknown_next++ % DC_FWD_UNKNOWN];
		u->bid = bid;
		u->seq = seq;
		return;
	}
	if (!dc_learn_down(svc, inst, seq, g))
		dc_stats_count_svc(dn, svc, DC_STAT_STALE);
}

static void dc_learn_work(struct work_struct *work)
{
	struct dc_net *dn = container_of(work, struct dc_net, learn_work);
	struct dc_learn_gone g = { .list = LIST_HEAD_INIT(g.list) };
	struct dc_learn *l, *tmp;
	LIST_HEAD(list);

	spin_lock_bh(&dn->learn_lock);
	list_splice_init(&dn->learn_list, &list);
	dn->learn_len = 0;
	spin_unlock_bh(&dn->learn_lock);

	mutex_lock(&dn->lock);
	list_for_each_entry_safe(l, tmp, &list, list) {
		if (l->type == DC_FWD_BIND) {
			dc_learn_gone_end(&g);
			dc_learn_bind(dn, &l->bind, l->seq);
		} else {
			dc_learn_notice(dn, &l->notice, l->seq, &g);
		}
		kfree(l);
	}
	dc_learn_gone_end(&g);
	mutex_unlock(&dn->lock);
}

void dc_net_fwd_init(struct dc_net *dn)
{
	spin_lock_init(&dn->learn_lock);
	INIT_LIST_HEAD(&dn->learn_list);
	INIT_WORK(&dn->learn_work, dc_learn_work);
}

/* After the sockets are closed: nothing queues any more. */
void dc_net_fwd_exit(struct dc_net *dn)
{
	struct dc_learn *l, *tmp;

	cancel_work_sync(&dn->learn_work);
	list_for_each_entry_safe(l, tmp, &dn->learn_list, list)
		kfree(l);
	INIT_LIST_HEAD(&dn->learn_list);
	dn->learn_len = 0;
}
