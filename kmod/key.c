// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: authentication of the messages between D-Forwarders and
 * D-Routers.
 *
 * Each service that forwarders use has a key, shared by the D-Router and
 * its forwarders.  A message's tag is HMAC-SHA256 with that key, truncated
 * to 128 bits, over the outer addresses, the header with the tag zeroed and
 * the body.  The crypto API's hmac(sha256) transform is allocated and keyed
 * once, when the key is set; the packet path only hashes with it, which
 * takes no lock.  A new key replaces the transform as a whole, under RCU.
 *
 * Against replay, a sender numbers its messages to each receiver with a
 * counter of its own (a forwarder: one per service; a D-Router: one per
 * forwarder and service), which starts at the wall clock in nanoseconds
 * when it is made and then goes up by one a message: later clock changes
 * do not touch it, and a counter made after a restart starts above
 * anything the old one reached (unless the clock went back meanwhile).
 * A receiver takes each number once, the highest so far or one of the
 * DC_REPLAY_WINDOW below it, so that messages reordered on the way by up
 * to that many survive and replays do not (WireGuard's ring of bits).
 * A receiver that forgets its sender (a D-Router forgets a forwarder idle
 * for DC_FWD_PEER_IDLE; a forwarder's service deleted and added again)
 * takes the next number it sees.
 */

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "dyncast.h"
#include "fwd.h"

struct dc_key {
	struct crypto_shash *tfm;
	struct rcu_work free_work;
};

static void dc_key_free_work(struct work_struct *work)
{
	struct dc_key *key = container_of(to_rcu_work(work), struct dc_key,
					  free_work);

	crypto_free_shash(key->tfm);
	kfree(key);
}

static void dc_key_free(struct dc_key *key)
{
	if (!key)
		return;
	INIT_RCU_WORK(&key->free_work, dc_key_free_work);
	queue_rcu_work(dc_wq, &key->free_work);
}

/* Set or replace the key of a service, under dn->lock. */
int dc_key_set(struct dc_service *svc, const u8 *raw)
{
	struct dc_key *key, *old;
	int ret;

	key = kzalloc(sizeof(*key), GFP_KERNEL);
	if (!key)
		return -ENOMEM;
	key->tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(key->tfm)) {
		ret = PTR_ERR(key->tfm);
		kfree(key);
		return ret;
	}
	ret = crypto_shash_setkey(key->tfm, raw, DYNCAST_KEY_LEN);
	if (ret) {
		crypto_free_shash(key->tfm);
		kfree(key);
		return ret;
	}
	old = rcu_replace_pointer(svc->key, key,
				  lockdep_is_held(&svc->dn->lock));
	dc_key_free(old);
	return 0;
}

/* The service goes away: its key goes once no packet can be using it. */
void dc_key_release(struct dc_service *svc)
{
	dc_key_free(rcu_replace_pointer(svc->key, NULL,
					lockdep_is_held(&svc->dn->lock)));
}

static int dc_key_mac(struct dc_key *key, const struct dc_fwd_addrs *a,
		      const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		      unsigned int off, unsigned int len,
		      u8 mac[SHA256_DIGEST_SIZE])
{
	SHASH_DESC_ON_STACK(desc, key->tfm);
	unsigned int alen = a->family == AF_INET ? 4 : 16;
	struct dc_fwd_hdr h = *hdr;
	u8 buf[128];
	int ret;

	memset(h.tag, 0, sizeof(h.tag));
	desc->tfm = key->tfm;
	ret = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, (const u8 *)&a->src, alen) ?:
	      crypto_shash_update(desc, (const u8 *)&a->dst, alen) ?:
	      crypto_shash_update(desc, (const u8 *)&h, sizeof(h));
	/* the body may span fragments: hash it a piece at a time */
	while (!ret && len) {
		unsigned int n = min_t(unsigned int, len, sizeof(buf));

		ret = skb_copy_bits(skb, off, buf, n) ?:
		      crypto_shash_update(desc, buf, n);
		off += n;
		len -= n;
	}
	if (!ret)
		ret = crypto_shash_final(desc, mac);
	shash_desc_zero(desc);
	return ret;
}

/* The tag of a message whose body is @len bytes of @skb at @off. */
int dc_key_tag(struct dc_key *key, const struct dc_fwd_addrs *a,
	       const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
	       unsigned int off, unsigned int len, u8 *tag)
{
	u8 mac[SHA256_DIGEST_SIZE];
	int ret;

	ret = dc_key_mac(key, a, hdr, skb, off, len, mac);
	if (!ret)
		memcpy(tag, mac, DC_FWD_TAG_LEN);
	memzero_explicit(mac, sizeof(mac));
	return ret;
}

bool dc_key_verify(struct dc_key *key, const struct dc_fwd_addrs *a,
		   const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		   unsigned int off, unsigned int len)
{
	u8 mac[SHA256_DIGEST_SIZE];
	bool ok;

	ok = !dc_key_mac(key, a, hdr, skb, off, len, mac) &&
	     !crypto_memneq(mac, hdr->tag, DC_FWD_TAG_LEN);
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
