// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the wire format of the messages between D-Forwarders and
 * D-Routers (Documentation/dyncast-protocol.rst, "Forwarder messages"):
 * headers, tags, keys, sequence numbers and the replay window, the
 * receivers' rates, and the sending of a message.  The D-Router's side is
 * fwd_router.c, the D-Forwarder's fwd_forwarder.c; socket.c keeps the UDP
 * sockets.
 *
 * The key configured on a D-Router's service is a master key: it is never
 * used for a tag.  Each forwarder gets its own key, derived from the master
 * key and the forwarder's address (HKDF-Expand with HMAC-SHA256), and that
 * is all a forwarder is configured with: one forwarder cannot forge what
 * the D-Router sends another.  From a forwarder's key come one key per
 * direction, "up" (forwarder to D-Router) and "down" (D-Router to
 * forwarder), so that no message can be reflected back as the other kind.
 * A message's tag is HMAC-SHA256 with its direction's key, truncated to 128
 * bits, over the outer addresses, the header with the tag zeroed and the
 * body.
 *
 * Keys carry an id, sent in every header.  A new key with a new id leaves
 * the previous one accepted for the service's key overlap, so that the
 * D-Router and then its forwarders can be given the new key one at a time;
 * a D-Router answers a forwarder with the key the forwarder used.
 *
 * HMAC is computed with the kernel's SHA-256 library, from the states left
 * by the key's inner and outer pads, computed once: the packet path takes
 * no lock and allocates nothing, and a D-Router derives a forwarder's keys
 * in softirq (it keeps them in the forwarder's record afterwards, fwd_router.c).
 * A new key replaces the old as a whole, under RCU.
 *
 * Against replay, a sender numbers its messages to each receiver with a
 * counter of its own (a forwarder: one per service; a D-Router: one per
 * forwarder and service), which starts at the wall clock in nanoseconds
 * when it is made and then goes up by one a message, or on from the clock
 * where it lags it by more than a second (dc_seq_next()): a counter made
 * after a restart starts above anything the old one reached (unless the
 * clock went back meanwhile, or had been ahead), and two senders of one
 * address are each taken again within a second and their clocks'
 * difference.
 * A receiver takes each number once, the highest so far or one of the
 * DC_REPLAY_WINDOW below it, so that messages reordered on the way by up
 * to that many survive and replays do not (WireGuard's ring of bits).
 * A receiver that forgets its sender (a D-Router forgets a forwarder idle
 * for DC_FWD_PEER_IDLE; a forwarder's service deleted and added again)
 * takes the next number it sees.
 */

#include <crypto/algapi.h>
#include <crypto/sha2.h>
#include <linux/atomic.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "dyncast.h"
#include "fwd.h"
#include "service.h"
#include "socket.h"

#define DC_HMAC_IPAD	0x36
#define DC_HMAC_OPAD	0x5c

static const char dc_info_forwarder[] = "dyncast forwarder";
static const char dc_info_up[] = "dyncast up";
static const char dc_info_down[] = "dyncast down";

/* Keys are told apart by this, never by their address. */
static atomic64_t dc_key_gen = ATOMIC64_INIT(0);

/* The SHA-256 state after one block whose chaining value is @cv. */
static void dc_sha256_resume(struct sha256_state *s,
			     const u32 cv[SHA256_DIGEST_SIZE / 4])
{
	memcpy(s->state, cv, sizeof(s->state));
	s->count = SHA256_BLOCK_SIZE;
}

/* HMAC-SHA256 keyed with @key, @len <= SHA256_BLOCK_SIZE bytes. */
static void dc_hmac_init(struct dc_hmac *h, const u8 *key, unsigned int len)
{
	u8 pad[SHA256_BLOCK_SIZE];
	struct sha256_state s;
	unsigned int i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= DC_HMAC_IPAD;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	memcpy(h->inner, s.state, sizeof(h->inner));
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= DC_HMAC_IPAD ^ DC_HMAC_OPAD;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	memcpy(h->outer, s.state, sizeof(h->outer));
	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(&s, sizeof(s));
}

/* Start an HMAC with @h: the message goes into @s next. */
static void dc_hmac_start(const struct dc_hmac *h, struct sha256_state *s)
{
	dc_sha256_resume(s, h->inner);
}

/* The end of an HMAC whose message went into @s, started from h->inner. */
static void dc_hmac_final(const struct dc_hmac *h, struct sha256_state *s,
			  u8 mac[SHA256_DIGEST_SIZE])
{
	u8 inner[SHA256_DIGEST_SIZE];

	sha256_final(s, inner);
	dc_sha256_resume(s, h->outer);
	sha256_update(s, inner, sizeof(inner));
	sha256_final(s, mac);
	memzero_explicit(inner, sizeof(inner));
}

/*
 * HKDF-Expand (RFC 5869) of one block: HMAC(prk, info || extra || 0x01),
 * then the HMAC state keyed with it.  The configured keys are random, so
 * they serve as the pseudorandom key with no extract step.
 */
static void dc_hkdf_expand(const struct dc_hmac *prk, const char *info,
			   const u8 *extra, unsigned int extra_len,
			   u8 out[SHA256_DIGEST_SIZE])
{
	static const u8 one = 1;
	struct sha256_state s;

	dc_hmac_start(prk, &s);
	sha256_update(&s, info, strlen(info));
	sha256_update(&s, extra, extra_len);
	sha256_update(&s, &one, 1);
	dc_hmac_final(prk, &s, out);
	memzero_explicit(&s, sizeof(s));
}

/* The keys of each direction, from a forwarder's key @fkey. */
static void dc_fwd_keys_make(struct dc_fwd_keys *k,
			     const u8 fkey[DYNCAST_KEY_LEN])
{
	u8 out[SHA256_DIGEST_SIZE];
	struct dc_hmac prk;

	dc_hmac_init(&prk, fkey, DYNCAST_KEY_LEN);
	dc_hkdf_expand(&prk, dc_info_up, NULL, 0, out);
	dc_hmac_init(&k->up, out, sizeof(out));
	dc_hkdf_expand(&prk, dc_info_down, NULL, 0, out);
	dc_hmac_init(&k->down, out, sizeof(out));
	memzero_explicit(out, sizeof(out));
	memzero_explicit(&prk, sizeof(prk));
}

/*
 * The keys a D-Router shares with the forwarder at @addr, derived from the
 * master key @key: the forwarder's key is HKDF-Expand(master, "dyncast
 * forwarder" || 4 or 6 || address, 32).  From any context.
 */
void dc_key_forwarder(const struct dc_key *key, u8 family,
		      const union nf_inet_addr *addr, struct dc_fwd_keys *k)
{
	u8 fkey[SHA256_DIGEST_SIZE];
	u8 extra[17];
	unsigned int alen = family == AF_INET ? 4 : 16;

	extra[0] = family == AF_INET ? 4 : 6;
	memcpy(extra + 1, addr, alen);
	dc_hkdf_expand(&key->master, dc_info_forwarder, extra, 1 + alen, fkey);
	dc_fwd_keys_make(k, fkey);
	memzero_explicit(fkey, sizeof(fkey));
}

static void dc_key_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct dc_key, rcu));
}

/* A key no one may use any more; freed once no packet can be using it. */
void dc_key_free(struct dc_key *key)
{
	if (key)
		call_rcu(&key->rcu, dc_key_free_rcu);
}

/* A new key of id @id, not yet any service's. */
struct dc_key *dc_key_alloc(const u8 *raw, u8 id)
{
	struct dc_key *key;

	key = kzalloc(sizeof(*key), GFP_KERNEL_ACCOUNT);
	if (!key)
		return NULL;
	key->id = id;
	key->gen = atomic64_inc_return(&dc_key_gen);
	dc_hmac_init(&key->master, raw, DYNCAST_KEY_LEN);
	dc_fwd_keys_make(&key->own, raw);
	return key;
}

/*
 * Make @key the service's key, under dn->lock; the keys it replaces are
 * freed once no packet can be using them.  The current key stays accepted
 * for @overlap jiffies more if its id differs (the previous one then
 * goes); with no overlap, or the same id, no other key is accepted.
 */
void dc_key_install(struct dc_service *svc, struct dc_key *key,
		    unsigned long overlap)
{
	struct mutex *lock = &svc->dn->lock;
	struct dc_key *cur, *old;

	cur = rcu_dereference_protected(svc->key, lockdep_is_held(lock));
	old = rcu_dereference_protected(svc->old_key, lockdep_is_held(lock));
	if (cur && cur->id != key->id && overlap) {
		WRITE_ONCE(cur->until, jiffies + overlap);
		rcu_assign_pointer(svc->old_key, cur);
		cur = NULL;
	} else if (old && (!overlap || old->id == key->id)) {
		/* a previous key of the same id could not be told apart */
		RCU_INIT_POINTER(svc->old_key, NULL);
	} else {
		old = NULL;
	}
	rcu_assign_pointer(svc->key, key);
	dc_key_free(cur);
	dc_key_free(old);
}

/* The service goes away: its keys go once no packet can be using them. */
void dc_key_release(struct dc_service *svc)
{
	struct mutex *lock = &svc->dn->lock;

	dc_key_free(rcu_replace_pointer(svc->key, NULL, lockdep_is_held(lock)));
	dc_key_free(rcu_replace_pointer(svc->old_key, NULL,
					lockdep_is_held(lock)));
}

/*
 * The key of id @id a message of the service may carry: the current one,
 * or the previous one during its overlap.  Under RCU; NULL if none.
 */
struct dc_key *dc_key_find(const struct dc_service *svc, u8 id)
{
	struct dc_key *key = rcu_dereference(svc->key);

	if (key && key->id == id)
		return key;
	key = rcu_dereference(svc->old_key);
	if (key && key->id == id && time_before(jiffies, READ_ONCE(key->until)))
		return key;
	return NULL;
}

static void dc_key_mac(const struct dc_hmac *h, const struct dc_fwd_addrs *a,
		       const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		       unsigned int off, unsigned int len,
		       u8 mac[SHA256_DIGEST_SIZE])
{
	unsigned int alen = a->family == AF_INET ? 4 : 16;
	struct dc_fwd_hdr hz = *hdr;
	struct sha256_state s;
	u8 buf[128];

	dc_hmac_start(h, &s);
	memset(hz.tag, 0, sizeof(hz.tag));
	sha256_update(&s, (const u8 *)&a->src, alen);
	sha256_update(&s, (const u8 *)&a->dst, alen);
	sha256_update(&s, (const u8 *)&hz, sizeof(hz));
	/* the body may span fragments: hash it a piece at a time */
	while (len) {
		unsigned int n = min_t(unsigned int, len, sizeof(buf));

		/* the callers checked that skb holds off + len bytes */
		if (WARN_ON_ONCE(skb_copy_bits(skb, off, buf, n)))
			break;
		sha256_update(&s, buf, n);
		off += n;
		len -= n;
	}
	dc_hmac_final(h, &s, mac);
	memzero_explicit(&s, sizeof(s));
}

/* The tag of a message whose body is @len bytes of @skb at @off. */
void dc_key_tag(const struct dc_hmac *h, const struct dc_fwd_addrs *a,
		const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		unsigned int off, unsigned int len, u8 *tag)
{
	u8 mac[SHA256_DIGEST_SIZE];

	dc_key_mac(h, a, hdr, skb, off, len, mac);
	memcpy(tag, mac, DC_FWD_TAG_LEN);
	memzero_explicit(mac, sizeof(mac));
}

bool dc_key_verify(const struct dc_hmac *h, const struct dc_fwd_addrs *a,
		   const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		   unsigned int off, unsigned int len)
{
	u8 mac[SHA256_DIGEST_SIZE];
	bool ok;

	if (skb->len < off + len)
		return false;
	dc_key_mac(h, a, hdr, skb, off, len, mac);
	ok = !crypto_memneq(mac, hdr->tag, DC_FWD_TAG_LEN);
	memzero_explicit(mac, sizeof(mac));
	return ok;
}

#define DC_REPLAY_WORDS		(DC_REPLAY_BITS / BITS_PER_LONG)
/* One word of the ring is the one being filled, not a window. */
#define DC_REPLAY_WINDOW	(DC_REPLAY_BITS - BITS_PER_LONG)

void dc_replay_init(struct dc_replay *r)
{
	spin_lock_init(&r->lock);
	r->top = 0;
	bitmap_zero(r->map, DC_REPLAY_BITS);
}

/*
 * Whether a message numbered @seq, whose tag verified, is new: above the
 * highest number taken, or within DC_REPLAY_WINDOW below it and not taken
 * before.  Records it if so.  Bit n of the ring stands for number n - 1,
 * so that top 0 means none.
 */
bool dc_replay_check(struct dc_replay *r, u64 seq)
{
	u64 word, cur, n, i;
	bool ok = false;

	if (seq == U64_MAX)
		return false;
	seq++;
	spin_lock_bh(&r->lock);
	if (r->top > DC_REPLAY_WINDOW && seq < r->top - DC_REPLAY_WINDOW)
		goto out;
	word = seq / BITS_PER_LONG;
	if (seq > r->top) {
		/* clear the words between the old top and the new one */
		cur = r->top / BITS_PER_LONG;
		n = min_t(u64, word - cur, DC_REPLAY_WORDS);
		for (i = 1; i <= n; i++)
			r->map[(cur + i) % DC_REPLAY_WORDS] = 0;
		r->top = seq;
	}
	ok = !__test_and_set_bit(seq % BITS_PER_LONG,
				 &r->map[word % DC_REPLAY_WORDS]);
out:
	spin_unlock_bh(&r->lock);
	return ok;
}

/* A new counter of the messages to one receiver. */
void dc_seq_init(atomic64_t *seq)
{
	atomic64_set(seq, ktime_get_real_ns());
}

void dc_bucket_init(struct dc_bucket *b)
{
	spin_lock_init(&b->lock);
	b->last = jiffies;
	b->tokens = U32_MAX;
}

/*
 * Whether a message may go on, @rate a second at most (0: no limit): to
 * the check of its tag (dc_check_take()), so that a flood of junk costs
 * the receiver a lookup and this, not an HMAC; or, verified, to be
 * taken.  In softirq.
 */
bool dc_bucket_take(struct dc_bucket *b, u32 rate)
{
	unsigned long now = jiffies, elapsed;
	bool ok;

	if (!rate)
		return true;
	spin_lock(&b->lock);
	elapsed = now - b->last;
	if (elapsed >= HZ) {
		b->tokens = rate;
		b->last = now;
	} else {
		u32 add = div_u64((u64)elapsed * rate, HZ);

		/*
		 * Time goes forward by what the tokens added are worth, so
		 * that a fraction of a token counts towards the next.
		 */
		if (add) {
			b->tokens = min_t(u64, (u64)b->tokens + add, rate);
			b->last += DIV_ROUND_UP_ULL((u64)add * HZ, rate);
		}
	}
	b->tokens = min(b->tokens, rate);
	ok = b->tokens > 0;
	if (ok)
		b->tokens--;
	spin_unlock(&b->lock);
	return ok;
}

/*
 * Whether the tag of a message from a known sender may be checked: within
 * the sender's own share (@own, dc_fwd_rate a second), else within the
 * namespace's (dc_fwd_check_rate).  Anyone can claim a sender's address,
 * so what the sender may send is limited apart (dc_fwd_rate again), once
 * the message verified: junk under its name costs checks, never its
 * verified messages' rate.  In softirq.
 */
bool dc_check_take(struct dc_net *dn, struct dc_bucket *own)
{
	return dc_bucket_take(own, READ_ONCE(dc_fwd_rate)) ||
	       dc_bucket_take(&dn->checks, READ_ONCE(dc_fwd_check_rate));
}

/* The service a message is about, as the wire has it. */
void dc_fwd_svc_encode(struct dc_fwd_svc *w, const struct dc_service *svc)
{
	memset(w, 0, sizeof(*w));
	w->family = svc->family == AF_INET ? 4 : 6;
	w->proto = svc->proto;
	w->port = svc->port;
	memcpy(w->sid, &svc->addr, svc->family == AF_INET ? 4 : 16);
}

/* The service a message names, under RCU; NULL if none or malformed. */
struct dc_service *dc_fwd_svc_lookup(struct dc_net *dn,
				     const struct dc_fwd_svc *w)
{
	union nf_inet_addr addr = {};
	u8 family;

	if (w->family == 4) {
		family = AF_INET;
		if (memchr_inv(w->sid + 4, 0, 12))
			return NULL;
		memcpy(&addr.ip, w->sid, 4);
	} else if (w->family == 6) {
		family = AF_INET6;
		memcpy(&addr.in6, w->sid, 16);
	} else {
		return NULL;
	}
	return dc_service_lookup(dn, family, &addr, w->proto, w->port);
}

/* The outer addresses of a message received, as its tag covers them. */
void dc_fwd_outer_addrs(const struct sk_buff *skb, struct dc_fwd_addrs *a)
{
	memset(a, 0, sizeof(*a));
	if (skb->protocol == htons(ETH_P_IP)) {
		a->family = AF_INET;
		a->src.ip = ip_hdr(skb)->saddr;
		a->dst.ip = ip_hdr(skb)->daddr;
	} else {
		a->family = AF_INET6;
		a->src.in6 = ipv6_hdr(skb)->saddr;
		a->dst.in6 = ipv6_hdr(skb)->daddr;
	}
}

/*
 * The next number of a sender's counter @seq: one more than the last, so
 * that messages reordered by up to the window are all taken; or its wall
 * clock, where the last lags it by more than a second.  So a receiver that
 * took the numbers of another sender of the same address (a D-Router
 * address that moved to another D-Router, and back) takes ours again
 * within a second and the difference of our clocks, where numbers that
 * rose by one a message from the day this counter began would stay below
 * the other's for good.  The cost: a message overtaken by the first one
 * numbered from the clock, at most once a second, is refused.
 */
static u64 dc_seq_next(atomic64_t *seq)
{
	u64 now = ktime_get_real_ns();
	s64 old = atomic64_read(seq);
	u64 next;

	do {
		next = (u64)old + 1;
		if (now > next && now - next > NSEC_PER_SEC)
			next = now;
	} while (!atomic64_try_cmpxchg(seq, &old, next));
	return next;
}

/* A header numbered from @seq, the sender's counter for this receiver. */
void dc_fwd_hdr_init(struct dc_fwd_hdr *hdr, u8 type, unsigned int len,
		     u8 key_id, atomic64_t *seq)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = DC_FWD_VERSION;
	hdr->type = type;
	hdr->len = htons(len);
	hdr->key_id = key_id;
	hdr->seq = cpu_to_be64(dc_seq_next(seq));
}

/*
 * Build and send a message, @len bytes of @body, to @to from @from,
 * numbered from @seq, tagged with @h, the key of id @key_id.  From any
 * context.
 */
int dc_fwd_send(struct dc_net *dn, const struct dc_hmac *h, u8 key_id,
		u8 type, const void *body, unsigned int len, u8 family,
		const union nf_inet_addr *to, const union nf_inet_addr *from,
		atomic64_t *seq)
{
	unsigned int head = LL_MAX_HEADER + sizeof(struct ipv6hdr) +
			    sizeof(struct udphdr);
	struct dc_fwd_addrs a;
	struct dc_fwd_hdr *hdr;
	struct dst_entry *dst;
	struct sk_buff *skb;
	int ret;

	ret = dc_fwd_route(dn->net, family, to, from, 0, &a, &dst);
	if (ret)
		return ret;
	skb = alloc_skb(head + sizeof(*hdr) + len, GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	skb_reserve(skb, head);
	hdr = skb_put(skb, sizeof(*hdr));
	skb_put_data(skb, body, len);
	dc_fwd_hdr_init(hdr, type, len, key_id, seq);
	dc_key_tag(h, &a, hdr, skb, sizeof(*hdr), len, hdr->tag);
	return dc_fwd_xmit(dn, skb, dst, &a, htons(IP_DF), htons(dc_fwd_port));
}
