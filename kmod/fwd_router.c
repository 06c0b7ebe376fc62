// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the D-Router's side of D-Forwarders.
 *
 * A MISS message carries a client's packet for a service this D-Router
 * knows; its tag must verify with the service's key, over the outer
 * addresses too, and its sequence number be new from that forwarder.  The
 * D-Router then steers the packet as a new demand: it selects the
 * instance, sends the packet there in IPIP or IPv6-in-IPv6 (a forwarder
 * tunnels the flow's later packets, so instances serving forwarders take
 * tunnelled packets, whatever the service's mode), and answers the
 * forwarder with a Binding Info.
 *
 * The D-Router keeps no binding of its own for such a flow, only a
 * short-lived one (DC_BINDING_HOLD, DC_HOLD_TIME of idleness at most) so
 * that the flow's packets that reach it before the forwarder has learnt
 * the Binding Info go to the same instance.
 *
 * Per forwarder and service it keeps a small record (struct dc_peer),
 * made once a message of the forwarder verified: the keys derived for it,
 * its rate, the anti-replay state of its messages, and until when it may
 * hold bindings we gave it.  Messages from a sender with no record share
 * the namespace's rate (dc_fwd_new_rate) before any tag is checked; those
 * from a forwarder with one are checked within its share, then the
 * namespace's (dc_check_take()), and once verified held to its own rate
 * (dc_fwd_rate): junk that claims its address cannot use that up.  When an
 * instance goes down or away, or cannot be reached, every forwarder that
 * may hold bindings to it gets a notice.  At most
 * dc_max_forwarders records per namespace; beyond, misses are dropped and
 * counted (peers-full).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "dyncast.h"
#include "binding.h"
#include "demand.h"
#include "fwd.h"
#include "fwd_router.h"
#include "hooks.h"
#include "service.h"
#include "stats.h"
#include "tunnel.h"

/* Peer records are looked at for expiry this often. */
#define DC_PEERS_GC_INTERVAL	(10 * HZ)

struct dc_peer_key {
	u32 svc_id;
	u32 family;
	union nf_inet_addr addr;
};

/* The keys derived for a forwarder from one key of the service. */
struct dc_peer_keys {
	u64 gen;		/* of the service's key */
	u8 id;
	struct dc_fwd_keys k;
	struct rcu_head rcu;
};

struct dc_peer {
	struct rhash_head node;
	struct dc_peer_key key;
	/* our address its misses come to, which it knows us by */
	union nf_inet_addr local;
	struct dc_peer_keys __rcu *keys;
	/* its messages checked, its messages verified */
	struct dc_bucket check, bucket;
	struct dc_replay replay;
	/* the number of our last message to it */
	atomic64_t tx_seq;
	unsigned long last_seen;
	/* it may hold bindings we gave it until then */
	unsigned long until;
	struct rcu_head rcu;
};

static const struct rhashtable_params dc_peer_params = {
	.head_offset = offsetof(struct dc_peer, node),
	.key_offset = offsetof(struct dc_peer, key),
	.key_len = sizeof(struct dc_peer_key),
	.automatic_shrinking = true,
};

static void dc_peer_key_make(struct dc_peer_key *k,
			     const struct dc_service *svc,
			     const union nf_inet_addr *addr)
{
	memset(k, 0, sizeof(*k));
	k->svc_id = svc->id;
	k->family = svc->family;
	k->addr = *addr;
}

static void dc_peer_keys_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct dc_peer_keys, rcu));
}

static void dc_peer_free(void *ptr, void *arg)
{
	struct dc_peer *p = ptr;

	kfree_sensitive(rcu_dereference_protected(p->keys, true));
	kfree(p);
}

static void dc_peer_free_rcu(struct rcu_head *rcu)
{
	dc_peer_free(container_of(rcu, struct dc_peer, rcu), NULL);
}

/* The record of the forwarder at @addr, if any.  Under RCU. */
static struct dc_peer *dc_peer_find(struct dc_net *dn,
				    const struct dc_service *svc,
				    const union nf_inet_addr *addr)
{
	struct dc_peer_key k;

	dc_peer_key_make(&k, svc, addr);
	return rhashtable_lookup(&dn->peers, &k, dc_peer_params);
}

/* The record of a forwarder, made once a message of it verified. */
static struct dc_peer *dc_peer_get(struct dc_net *dn, struct dc_service *svc,
				   const struct dc_fwd_addrs *a)
{
	struct dc_peer_key k;
	struct dc_peer *p, *old;

	dc_peer_key_make(&k, svc, &a->src);
	p = rhashtable_lookup(&dn->peers, &k, dc_peer_params);
	if (p)
		return p;

	if (atomic_inc_return(&dn->nr_peers) > READ_ONCE(dc_max_forwarders))
		goto full;
	p = dc_service_alloc(svc, NULL, sizeof(*p),
			     GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO);
	if (!p)
		goto full;
	p->key = k;
	p->local = a->dst;
	dc_bucket_init(&p->check);
	dc_bucket_init(&p->bucket);
	dc_replay_init(&p->replay);
	dc_seq_init(&p->tx_seq);
	p->last_seen = jiffies;
	p->until = jiffies;
	old = rhashtable_lookup_get_insert_fast(&dn->peers, &p->node,
						dc_peer_params);
	if (!old)
		return p;
	dc_peer_free(p, NULL);
	atomic_dec(&dn->nr_peers);
	return IS_ERR(old) ? NULL : old;
full:
	atomic_dec(&dn->nr_peers);
	return NULL;
}

/* The forwarder may hold bindings of ours until @until, at least. */
static void dc_peer_hold(struct dc_peer *p, unsigned long until)
{
	/* racing writers both move it forward: either value will do */
	if (time_after(until, READ_ONCE(p->until)))
		WRITE_ONCE(p->until, until);
}

static void dc_peer_remove(struct dc_net *dn, struct dc_peer *p)
{
	if (rhashtable_remove_fast(&dn->peers, &p->node, dc_peer_params))
		return;
	atomic_dec(&dn->nr_peers);
	call_rcu(&p->rcu, dc_peer_free_rcu);
}

/* Keep the keys derived for a forwarder; failing that, derive them again. */
static void dc_peer_keys_store(const struct dc_service *svc, struct dc_peer *p,
			       const struct dc_key *key,
			       const struct dc_fwd_keys *k)
{
	struct dc_peer_keys *pk, *old;

	pk = dc_service_alloc(svc, NULL, sizeof(*pk), GFP_NOWAIT | __GFP_NOWARN);
	if (!pk)
		return;
	pk->gen = key->gen;
	pk->id = key->id;
	pk->k = *k;
	old = unrcu_pointer(xchg(&p->keys, RCU_INITIALIZER(pk)));
	if (old)
		call_rcu(&old->rcu, dc_peer_keys_free_rcu);
}

/*
 * The keys to tag a message to forwarder @p with: those its last message
 * used while that key is accepted, else derived into @buf from the
 * current key.  Under RCU; NULL if the service has no key.
 */
static const struct dc_fwd_keys *dc_peer_keys(struct dc_service *svc,
					      struct dc_peer *p,
					      struct dc_fwd_keys *buf,
					      u8 *key_id)
{
	struct dc_peer_keys *pk = rcu_dereference(p->keys);
	struct dc_key *key;

	if (pk) {
		key = dc_key_find(svc, pk->id);
		if (key && key->gen == pk->gen) {
			*key_id = pk->id;
			return &pk->k;
		}
	}
	key = rcu_dereference(svc->key);
	if (!key)
		return NULL;
	dc_key_forwarder(key, svc->family, &p->key.addr, buf);
	*key_id = key->id;
	return buf;
}

/*
 * Check a message from a forwarder, cheapest first: its sender's rate,
 * the key id, the tag (with the keys derived for the sender, kept in its
 * record), the sequence number.  Returns the sender's record, made now if
 * it had none, with its keys in *@keys (in @buf, or in the record) and
 * their id in *@key_id; or NULL, with what to count in *@what.  Under RCU,
 * in softirq.
 */
static struct dc_peer *dc_miss_check(struct dc_net *dn, struct dc_service *svc,
				     const struct dc_fwd_addrs *a,
				     const struct dc_fwd_hdr *hdr,
				     const struct sk_buff *skb,
				     unsigned int off, unsigned int len,
				     struct dc_fwd_keys *buf,
				     const struct dc_fwd_keys **keys,
				     u8 *key_id, enum dc_stat *what)
{
	struct dc_peer_keys *pk = NULL;
	struct dc_key *key;
	struct dc_peer *p;
	bool ok;

	p = dc_peer_find(dn, svc, &a->src);
	if (p ? !dc_check_take(dn, &p->check) :
		!dc_bucket_take(&dn->new_peers, READ_ONCE(dc_fwd_new_rate))) {
		*what = DC_STAT_RATELIMITED;
		return NULL;
	}
	*what = DC_STAT_BAD_AUTH;
	key = dc_key_find(svc, hdr->key_id);
	if (!key)
		return NULL;
	if (p)
		pk = rcu_dereference(p->keys);
	if (pk && pk->gen == key->gen) {
		*keys = &pk->k;
	} else {
		dc_key_forwarder(key, a->family, &a->src, buf);
		*keys = buf;
	}
	*key_id = key->id;
	ok = dc_key_verify(&(*keys)->up, a, hdr, skb, off, len);
	if (!ok)
		return NULL;
	if (!p) {
		p = dc_peer_get(dn, svc, a);
		if (!p) {
			*what = DC_STAT_PEERS_FULL;
			return NULL;
		}
		/* the service went meanwhile: no record outlives it */
		if (READ_ONCE(svc->dead)) {
			dc_peer_remove(dn, p);
			*what = DC_STAT_MALFORMED;
			return NULL;
		}
	}
	if (!dc_replay_check(&p->replay, be64_to_cpu(hdr->seq))) {
		*what = DC_STAT_REPLAYED;
		return NULL;
	}
	/* its own messages, not replays of them, use up its rate */
	if (!dc_bucket_take(&p->bucket, READ_ONCE(dc_fwd_rate))) {
		*what = DC_STAT_RATELIMITED;
		return NULL;
	}
	/* a replay with the previous key must not bring that key back */
	if (*keys == buf)
		dc_peer_keys_store(svc, p, key, buf);
	WRITE_ONCE(p->last_seen, jiffies);
	return p;
}

/*
 * Tell forwarder @p that @inst cannot be used (NULL: no instance of the
 * service can, which is gone), with @keys of id @key_id, or with the keys
 * its record gives when @keys is NULL.  Under RCU.
 */
static void dc_miss_notice(struct dc_net *dn, struct dc_service *svc,
			   const struct dc_instance *inst, u8 reason,
			   struct dc_peer *p, const struct dc_fwd_keys *keys,
			   u8 key_id)
{
	struct dc_fwd_notice n = {
		.reason = reason,
	};
	struct dc_fwd_keys buf;
	int i;

	if (!keys)
		keys = dc_peer_keys(svc, p, &buf, &key_id);
	if (!keys)
		return;
	dc_fwd_svc_encode(&n.svc, svc);
	if (inst)
		memcpy(n.bid, &inst->addr, svc->family == AF_INET ? 4 : 16);
	for (i = 0; i < DC_FWD_NOTICE_COPIES; i++) {
		if (dc_fwd_send(dn, &keys->down, key_id, DC_FWD_NOTICE, &n,
				sizeof(n), svc->family, &p->key.addr,
				&p->local, &p->tx_seq))
			dc_stats_count_svc(dn, svc, DC_STAT_XMIT_ERRORS);
		else
			dc_stats_count_svc(dn, svc, DC_STAT_NOTICES_SENT);
	}
	memzero_explicit(&buf, sizeof(buf));
}

/*
 * Tell each forwarder that may hold bindings of @svc that @inst cannot be
 * used (NULL: no instance of it can, the service is gone).  Up to
 * max_forwarders records, three messages each: the walk lets others run
 * now and then (it may then see a record twice, which only sends its
 * notice twice).  Under dn->lock.
 */
static void dc_miss_tell(struct dc_service *svc, const struct dc_instance *inst,
			 u8 reason)
{
	struct dc_net *dn = svc->dn;
	struct rhashtable_iter iter;
	unsigned int sent = 0;
	struct dc_peer *p;

	if (svc->mode == DYNCAST_MODE_FORWARD)
		return;
	if (!rcu_access_pointer(svc->key) || !atomic_read(&dn->nr_peers))
		return;

	rhashtable_walk_enter(&dn->peers, &iter);
	rhashtable_walk_start(&iter);
	while ((p = rhashtable_walk_next(&iter))) {
		if (IS_ERR(p))
			continue;
		if (p->key.svc_id != svc->id ||
		    !time_after(READ_ONCE(p->until), jiffies))
			continue;
		dc_miss_notice(dn, svc, inst, reason, p, NULL, 0);
		if (++sent % 64 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/*
 * An instance of a service that forwarders use went down or away: tell
 * each forwarder that may hold bindings to it.  Under dn->lock.
 */
void dc_miss_notify(struct dc_instance *inst, u8 reason)
{
	dc_miss_tell(inst->svc, inst, reason);
}

/*
 * A service goes away: its instances are gone for its forwarders too.
 * Each forwarder that may hold bindings of it is told once for them all
 * (three copies, as every notice), then its record goes.  Two walks: the
 * first pauses now and then (dc_miss_tell()), which a walk that removes
 * the record it stands on must not (it would resume past the next one).
 * Under dn->lock.
 */
void dc_miss_service_gone(struct dc_service *svc)
{
	struct dc_net *dn = svc->dn;
	struct rhashtable_iter iter;
	struct dc_peer *p;

	lockdep_assert_held(&dn->lock);
	if (!atomic_read(&dn->nr_peers))
		return;
	if (svc->nr_instances)
		dc_miss_tell(svc, NULL, DC_FWD_SERVICE_GONE);

	rhashtable_walk_enter(&dn->peers, &iter);
	rhashtable_walk_start(&iter);
	while ((p = rhashtable_walk_next(&iter))) {
		if (!IS_ERR(p) && p->key.svc_id == svc->id)
			dc_peer_remove(dn, p);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/*
 * The client's packet, now at skb->data: an IP packet of @family, exactly
 * what carried it.  Its length in *@len.  What the IP layer noted of
 * the outer packet (its options, its fragments) is forgotten: an ICMP error
 * about the client's packet must not echo the outer header's options.
 */
static int dc_miss_inner(struct sk_buff *skb, u8 family, unsigned int *len)
{
	skb_reset_network_header(skb);
	if (family == AF_INET) {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	} else {
		int iif = IP6CB(skb)->iif;

		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		IP6CB(skb)->iif = iif;
	}
	if (family == AF_INET) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return -EINVAL;
		iph = ip_hdr(skb);
		if (iph->version != 4 || iph->ihl < 5)
			return -EINVAL;
		*len = ntohs(iph->tot_len);
		if (*len < iph->ihl * 4)
			return -EINVAL;
		skb->protocol = htons(ETH_P_IP);
	} else {
		const struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return -EINVAL;
		ip6h = ipv6_hdr(skb);
		if (ip6h->version != 6)
			return -EINVAL;
		*len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
		skb->protocol = htons(ETH_P_IPV6);
	}
	/* trailing bytes: the forwarder cuts them (and they would be parsed) */
	return *len == skb->len ? 0 : -EINVAL;
}

static void dc_miss_bindinfo(struct dc_net *dn, struct dc_service *svc,
			     const struct dc_fwd_keys *keys, u8 key_id,
			     const struct dc_flow_key *fk,
			     const struct dc_instance *inst,
			     unsigned long remaining, struct dc_peer *p)
{
	struct dc_fwd_bind b = {
		.affinity = READ_ONCE(svc->affinity),
		.src_prefix = READ_ONCE(svc->src_prefix),
		.sport = fk->sport,
		.dport = fk->dport,
		.unconfirmed = htons(min_t(u32, READ_ONCE(svc->unconfirmed) / HZ,
					   U16_MAX)),
		.timeout = htonl(READ_ONCE(svc->timeout) / HZ),
		.remaining = htonl(jiffies_to_msecs(remaining)),
	};
	unsigned int alen = svc->family == AF_INET ? 4 : 16;
	unsigned long until = jiffies + READ_ONCE(svc->timeout);

	dc_fwd_svc_encode(&b.svc, svc);
	memcpy(b.src, &fk->saddr, alen);
	memcpy(b.bid, &inst->addr, alen);
	if (dc_fwd_send(dn, &keys->down, key_id, DC_FWD_BIND, &b, sizeof(b),
			svc->family, &p->key.addr, &p->local, &p->tx_seq)) {
		dc_count_event(dn, svc, DC_STAT_XMIT_ERRORS);
		return;
	}
	dc_count_event(dn, svc, DC_STAT_BINDINFO_SENT);
	dc_peer_hold(p, until);
}

/*
 * A MISS reached this D-Router, skb->data at the UDP header, @hdr in the
 * linear part.  Consumes @skb.  Under RCU, in softirq.
 */
void dc_miss_rcv(struct dc_net *dn, struct sk_buff *skb,
		 const struct dc_fwd_hdr *hdr)
{
	unsigned int off = sizeof(struct udphdr) + sizeof(*hdr), l4off, len;
	struct dc_fwd_hdr h = *hdr;
	enum dc_stat what = DC_STAT_MALFORMED;
	const struct dc_fwd_keys *keys;
	struct dc_service *svc = NULL;
	struct dc_instance *inst = NULL;
	struct dc_fwd_keys buf;
	struct dc_fwd_addrs a;
	struct dc_flow_key fk;
	unsigned long remaining;
	struct dc_binding *b;
	struct dc_peer *p;
	struct dc_pkt pkt;
	u16 frag_max;
	u8 key_id;
	int ret;

	dc_fwd_outer_addrs(skb, &a);
	if (skb->len != off + ntohs(h.len))
		goto drop;
	__skb_pull(skb, off);
	/*
	 * The route the datagram came in by is not the packet's: a reject
	 * routes it back to its client (nf_reject_fill_skb_dst(), which
	 * would overwrite a route held here without releasing it), a
	 * tunnel routes it on.
	 */
	skb_dst_drop(skb);
	if (dc_miss_inner(skb, a.family, &len) ||
	    dc_pkt_parse(skb, a.family, &pkt, &l4off) || pkt.icmp_err)
		goto drop;
	/*
	 * Reassembled by the forwarder: judged by its largest fragment when
	 * it is tunnelled on (dc_fits()), as a packet reassembled here is.
	 */
	frag_max = ntohs(h.frag_max);
	if (frag_max && frag_max < len) {
		if (a.family == AF_INET)
			IPCB(skb)->frag_max_size = frag_max;
		else
			IP6CB(skb)->frag_max_size = frag_max;
	}
	svc = dc_service_lookup(dn, a.family, &pkt.daddr, pkt.proto, pkt.dport);
	if (!svc || READ_ONCE(svc->mode) == DYNCAST_MODE_FORWARD) {
		svc = NULL;
		goto drop;
	}
	p = dc_miss_check(dn, svc, &a, &h, skb, 0, skb->len, &buf, &keys,
			  &key_id, &what);
	if (!p)
		goto drop;
	pkt.len = len;

	/* The forwarder resolved the checksums the tag covers. */
	skb->ip_summed = CHECKSUM_NONE;
	nf_reset_ct(skb);
	dc_flow_key_make(&fk, svc, &pkt);
	remaining = READ_ONCE(svc->timeout);
	b = dc_binding_lookup(dn, &fk);
	if (b) {
		inst = dc_binding_hit(b, &pkt);
		/* not expired: idle no longer than its timeout */
		if (inst && !test_bit(DC_BINDING_HOLD_BIT, &b->flags))
			remaining = dc_binding_timeout(b) -
				    dc_binding_idle_time(b);
	}
	if (!inst) {
		inst = dc_new_demand(dn->net, skb, dn, svc, &fk, &pkt,
				     DC_BINDING_HOLD);
		if (!inst) {
			kfree_skb(skb);
			goto out;
		}
	}
	dc_count_packet(dn, svc, inst, pkt.len);
	dc_count_event(dn, svc, DC_STAT_MISSES);

	ret = dc_tunnel_xmit(dn->net, skb, inst);
	if (ret) {
		kfree_skb(skb);
		if (ret == -EHOSTUNREACH)
			dc_miss_notice(dn, svc, inst, DC_FWD_UNREACHABLE, p,
				       keys, key_id);
		goto out;
	}
	dc_miss_bindinfo(dn, svc, keys, key_id, &fk, inst, remaining, p);
	goto out;

drop:
	kfree_skb(skb);
	dc_stats_count_svc(dn, svc, what);
out:
	memzero_explicit(&buf, sizeof(buf));
}

/*
 * A forwarder still uses bindings of ours (a long flow makes no miss):
 * it may hold them for a timeout more, and must keep getting notices.
 * skb->data at the UDP header, @hdr in the linear part.  Consumes @skb.
 * Under RCU, in softirq.
 */
void dc_miss_keepalive_rcv(struct dc_net *dn, struct sk_buff *skb,
			   const struct dc_fwd_hdr *hdr)
{
	unsigned int off = sizeof(struct udphdr) + sizeof(*hdr);
	enum dc_stat what = DC_STAT_MALFORMED;
	struct dc_service *svc = NULL;
	const struct dc_fwd_keys *keys;
	struct dc_fwd_keys buf;
	unsigned long timeout;
	struct dc_fwd_addrs a;
	struct dc_fwd_svc w;
	struct dc_peer *p;
	u8 key_id;

	if (ntohs(hdr->len) != sizeof(w) || skb->len != off + sizeof(w) ||
	    skb_copy_bits(skb, off, &w, sizeof(w)))
		goto drop;
	svc = dc_fwd_svc_lookup(dn, &w);
	if (!svc || READ_ONCE(svc->mode) == DYNCAST_MODE_FORWARD) {
		svc = NULL;
		goto drop;
	}
	dc_fwd_outer_addrs(skb, &a);
	what = DC_STAT_BAD_AUTH;
	if (a.family != svc->family)
		goto drop;
	p = dc_miss_check(dn, svc, &a, hdr, skb, off, sizeof(w), &buf, &keys,
			  &key_id, &what);
	memzero_explicit(&buf, sizeof(buf));
	if (!p)
		goto drop;
	timeout = READ_ONCE(svc->timeout);
	dc_peer_hold(p, jiffies + timeout + dc_fwd_keepalive_interval(timeout));
	consume_skb(skb);
	dc_count_event(dn, svc, DC_STAT_KEEPALIVES_RECV);
	return;

drop:
	kfree_skb(skb);
	dc_stats_count_svc(dn, svc, what);
}

static void dc_peers_gc(struct work_struct *work)
{
	struct dc_net *dn = container_of(to_delayed_work(work), struct dc_net,
					 peers_gc);
	unsigned long now = jiffies;
	struct rhashtable_iter iter;
	struct dc_peer *p;

	rhashtable_walk_enter(&dn->peers, &iter);
	rhashtable_walk_start(&iter);
	while ((p = rhashtable_walk_next(&iter))) {
		if (IS_ERR(p))
			continue;
		/* its sequence numbers are stale by now: forget it */
		if (time_after(now, READ_ONCE(p->until)) &&
		    time_after(now, READ_ONCE(p->last_seen) + DC_FWD_PEER_IDLE))
			dc_peer_remove(dn, p);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	queue_delayed_work(dc_wq, &dn->peers_gc, DC_PEERS_GC_INTERVAL);
}

int dc_net_peers_init(struct dc_net *dn)
{
	int ret;

	dc_bucket_init(&dn->new_peers);
	dc_bucket_init(&dn->checks);
	ret = rhashtable_init(&dn->peers, &dc_peer_params);
	if (ret)
		return ret;
	INIT_DEFERRABLE_WORK(&dn->peers_gc, dc_peers_gc);
	queue_delayed_work(dc_wq, &dn->peers_gc, DC_PEERS_GC_INTERVAL);
	return 0;
}

/* After the sockets are closed: no miss comes any more. */
void dc_net_peers_exit(struct dc_net *dn)
{
	cancel_delayed_work_sync(&dn->peers_gc);
	rhashtable_free_and_destroy(&dn->peers, dc_peer_free, NULL);
}
