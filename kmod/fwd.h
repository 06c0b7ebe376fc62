/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the messages between D-Forwarders and D-Routers, over UDP
 * (Documentation/dyncast-protocol.rst, "Forwarder messages").
 *
 * Every message starts with struct dc_fwd_hdr.  Its tag authenticates, with
 * the service's key, the outer source and destination addresses, the header
 * (tag zeroed) and the body; its sequence number, counted by the sender for
 * each receiver, lets the receiver refuse replays (fwd_wire.c).
 */
#ifndef _DYNCAST_FWD_H
#define _DYNCAST_FWD_H

#include <crypto/sha2.h>
#include <linux/types.h>

#include "dyncast.h"

#define DC_FWD_VERSION		3
#define DC_FWD_TAG_LEN		16	/* HMAC-SHA256, truncated */
/* A D-Router forgets a forwarder idle this long that holds no binding. */
#define DC_FWD_PEER_IDLE	(60 * HZ)
/* A notice is sent this many times: it travels over UDP. */
#define DC_FWD_NOTICE_COPIES	3

enum dc_fwd_type {
	/* forwarder -> D-Router: a demand with no binding, the client's
	 * packet following the header unchanged
	 */
	DC_FWD_MISS = 1,
	/* D-Router -> forwarder: the instance of a flow */
	DC_FWD_BIND = 2,
	/* D-Router -> forwarder: an instance is no longer reachable */
	DC_FWD_NOTICE = 3,
	/* forwarder -> D-Router: it still uses bindings of the service, so
	 * that notices keep reaching it; the body is a struct dc_fwd_svc
	 */
	DC_FWD_KEEPALIVE = 4,
};

/*
 * How often a forwarder that uses learnt bindings says so, for a service
 * of affinity timeout @timeout; both ends compute it.
 */
static inline unsigned long dc_fwd_keepalive_interval(unsigned long timeout)
{
	return max_t(unsigned long, timeout / 4, HZ);
}

struct dc_fwd_hdr {
	u8 version;
	u8 type;
	__be16 len;		/* bytes of the body, after the header */
	u8 key_id;		/* the id of the key of the tag */
	u8 reserved;		/* sent as zero, ignored */
	/*
	 * MISS: the largest fragment of the client's packet, which the
	 * forwarder reassembled; 0: it came whole.  Otherwise zero, ignored.
	 */
	__be16 frag_max;
	__be64 seq;
	u8 tag[DC_FWD_TAG_LEN];
};

/* The service a message is about. */
struct dc_fwd_svc {
	u8 family;		/* 4 or 6 */
	u8 proto;
	__be16 port;
	u8 sid[16];		/* IPv4: the first 4 bytes, the rest zero */
};

struct dc_fwd_bind {
	struct dc_fwd_svc svc;
	u8 affinity;		/* enum dyncast_affinity */
	u8 src_prefix;
	__be16 sport;		/* flow identifier, masked as the affinity says */
	__be16 dport;
	__be16 unconfirmed;	/* the service's unconfirmed timeout, seconds;
				 * 0: as the affinity timeout (and from a
				 * D-Router that predates it)
				 */
	__be32 timeout;		/* the service's affinity timeout, seconds */
	__be32 remaining;	/* until the binding expires, milliseconds */
	u8 src[16];
	u8 bid[16];
};

enum dc_fwd_reason {
	DC_FWD_DOWN = 1,	/* the instance was set down */
	DC_FWD_GONE = 2,	/* the instance was deleted */
	DC_FWD_UNREACHABLE = 3,	/* no route to the instance */
	/* the service was deleted: every instance, the D-BID all zero */
	DC_FWD_SERVICE_GONE = 4,
};

struct dc_fwd_notice {
	struct dc_fwd_svc svc;
	u8 reason;		/* enum dc_fwd_reason */
	u8 reserved[3];
	u8 bid[16];
};

/* Outer addresses of a message, as the tag covers them. */
struct dc_fwd_addrs {
	u8 family;
	union nf_inet_addr src;
	union nf_inet_addr dst;
};

/*
 * HMAC-SHA256 with one key: the chaining values after its inner and outer
 * pads (one block each), from which every HMAC with the key resumes.
 */
struct dc_hmac {
	u32 inner[SHA256_DIGEST_SIZE / 4];
	u32 outer[SHA256_DIGEST_SIZE / 4];
};

/* What a forwarder and its D-Router tag their messages with (fwd_wire.c). */
struct dc_fwd_keys {
	struct dc_hmac up;	/* forwarder -> D-Router */
	struct dc_hmac down;	/* D-Router -> forwarder */
};

/* A service's key, as configured; never changed once published. */
struct dc_key {
	u8 id;
	u64 gen;		/* unique among every key made */
	/*
	 * as a service's previous key, accepted until then: set before it
	 * becomes one, so that a reader that finds it finds its own
	 */
	unsigned long until;
	/* a D-Router's: the master key, forwarders' keys derive from it */
	struct dc_hmac master;
	/* a forwarder's: the key it shares with its D-Router */
	struct dc_fwd_keys own;
	struct rcu_head rcu;
};

/* fwd_wire.c */
struct dc_key *dc_key_alloc(const u8 *raw, u8 id);
void dc_key_free(struct dc_key *key);
void dc_key_install(struct dc_service *svc, struct dc_key *key,
		    unsigned long overlap);
void dc_key_release(struct dc_service *svc);
struct dc_key *dc_key_find(const struct dc_service *svc, u8 id);
void dc_key_forwarder(const struct dc_key *key, u8 family,
		      const union nf_inet_addr *addr, struct dc_fwd_keys *k);
void dc_key_tag(const struct dc_hmac *h, const struct dc_fwd_addrs *a,
		const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		unsigned int off, unsigned int len, u8 *tag);
bool dc_key_verify(const struct dc_hmac *h, const struct dc_fwd_addrs *a,
		   const struct dc_fwd_hdr *hdr, const struct sk_buff *skb,
		   unsigned int off, unsigned int len);
void dc_replay_init(struct dc_replay *r);
bool dc_replay_check(struct dc_replay *r, u64 seq);
void dc_seq_init(atomic64_t *seq);
void dc_bucket_init(struct dc_bucket *b);
bool dc_bucket_take(struct dc_bucket *b, u32 rate);
bool dc_check_take(struct dc_net *dn, struct dc_bucket *own);
void dc_fwd_hdr_init(struct dc_fwd_hdr *hdr, u8 type, unsigned int len,
		     u8 key_id, atomic64_t *seq);
int dc_fwd_send(struct dc_net *dn, const struct dc_hmac *h, u8 key_id,
		u8 type, const void *body, unsigned int len, u8 family,
		const union nf_inet_addr *to, const union nf_inet_addr *from,
		atomic64_t *seq);
void dc_fwd_outer_addrs(const struct sk_buff *skb, struct dc_fwd_addrs *a);
void dc_fwd_svc_encode(struct dc_fwd_svc *w, const struct dc_service *svc);
struct dc_service *dc_fwd_svc_lookup(struct dc_net *dn,
				     const struct dc_fwd_svc *w);

#endif /* _DYNCAST_FWD_H */
