// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake round trips: SYN and SYN-ACK paired (see prtt.h).
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proto.h"
#include "prtt.h"

static uint16_t dd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t dd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * @pkt from its network header: an IPv4 or IPv6 TCP segment with SYN set
 * (IPv6 without extension headers, IPv4 not a fragment but the first).
 * 0, or -1 for anything else.
 */
int dd_prtt_parse(const uint8_t *pkt, size_t len, struct dd_prtt_seg *s)
{
	const uint8_t *tcp;
	size_t hl;

	memset(s, 0, sizeof(*s));
	if (len < 1)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		hl = (size_t)(pkt[0] & 15) * 4;
		if (hl < 20 || len < hl + 20 || pkt[9] != IPPROTO_TCP ||
		    (dd_get16(pkt + 6) & 0x1fff))
			return -1;
		s->src.family = s->dst.family = AF_INET;
		memcpy(&s->src.u.in, pkt + 12, 4);
		memcpy(&s->dst.u.in, pkt + 16, 4);
		break;
	case 6:
		hl = 40;
		if (len < hl + 20 || pkt[6] != IPPROTO_TCP)
			return -1;
		s->src.family = s->dst.family = AF_INET6;
		memcpy(&s->src.u.in6, pkt + 8, 16);
		memcpy(&s->dst.u.in6, pkt + 24, 16);
		break;
	default:
		return -1;
	}
	tcp = pkt + hl;
	s->sport = dd_get16(tcp);
	s->dport = dd_get16(tcp + 2);
	s->seq = dd_get32(tcp + 4);
	s->ack = dd_get32(tcp + 8);
	s->syn = tcp[13] & 0x02;
	s->ack_flag = tcp[13] & 0x10;
	return s->syn ? 0 : -1;
}

/* the slot of the pair of @client:@cport and @bid:@bport */
static struct dd_prtt_slot *dd_prtt_slot(struct dd_prtt *p,
					 const struct dc_addr *client,
					 uint16_t cport,
					 const struct dc_addr *bid,
					 uint16_t bport)
{
	uint8_t buf[2 * DD_HASH_ADDR_LEN + 4];
	size_t n = dd_hash_put_addr(buf, client);

	n += dd_hash_put_addr(buf + n, bid);
	memcpy(buf + n, &cport, 2);
	memcpy(buf + n + 2, &bport, 2);
	return &p->slot[dd_hash(buf, n + 4) % DD_PRTT_SLOTS];
}

static bool dd_prtt_same(const struct dd_prtt_slot *sl,
			 const struct dc_addr *client, uint16_t cport,
			 const struct dc_addr *bid, uint16_t bport)
{
	return sl->t_us && sl->cport == cport && sl->bport == bport &&
	       dd_addr_eq(&sl->client, client) && dd_addr_eq(&sl->bid, bid);
}

/*
 * A SYN @s, from the client to the instance, left by @ifindex at @t_us
 * (real time, @off_us ahead of monotonic time)
 */
void dd_prtt_syn(struct dd_prtt *p, const struct dd_prtt_seg *s, int ifindex,
		 uint64_t t_us, int64_t off_us)
{
	struct dd_prtt_slot *sl = dd_prtt_slot(p, &s->src, s->sport, &s->dst,
					       s->dport);

	if (!t_us)
		return;
	if (dd_prtt_same(sl, &s->src, s->sport, &s->dst, s->dport) &&
	    sl->seq == s->seq) {
		/* one packet through stacked devices: where it left last */
		if (!sl->again && ifindex != sl->ifindex && t_us >= sl->t_us &&
		    t_us - sl->t_us <= DD_PRTT_STACKED_US) {
			sl->ifindex = ifindex;
			sl->t_us = t_us;
			sl->off_us = off_us;
			return;
		}
		/*
		 * the same handshake again, answered or not: no pair for it
		 * (Karn), now or later (a copy sent just before the
		 * instance's SYN-ACK, first or repeated, would time nothing)
		 */
		sl->again = true;
		return;
	}
	sl->client = s->src;
	sl->bid = s->dst;
	sl->cport = s->sport;
	sl->bport = s->dport;
	sl->seq = s->seq;
	sl->ifindex = ifindex;
	sl->t_us = t_us;
	sl->off_us = off_us;
	sl->again = false;
}

/*
 * A SYN-ACK @s, from the instance to the client, in by @ifindex at @t_us
 * (@off_us as above): the round trip in microseconds, or -1 if it answers
 * no SYN we saw, or one sent again
 */
int64_t dd_prtt_synack(struct dd_prtt *p, const struct dd_prtt_seg *s,
		       int ifindex, uint64_t t_us, int64_t off_us)
{
	struct dd_prtt_slot *sl = dd_prtt_slot(p, &s->dst, s->dport, &s->src,
					       s->sport);
	uint64_t t0 = sl->t_us;
	int64_t step = off_us - sl->off_us;

	if (!s->ack_flag || sl->again ||
	    !dd_prtt_same(sl, &s->dst, s->dport, &s->src, s->sport) ||
	    s->ack != sl->seq + 1 || ifindex != sl->ifindex)
		return -1;
	/* timed once: what comes after is the same handshake's */
	sl->again = true;
	if (t_us < t0 || t_us - t0 > DD_PRTT_MAX_US ||
	    step > DD_PRTT_STEP_US || step < -DD_PRTT_STEP_US)
		return -1;
	return (int64_t)(t_us - t0);
}
