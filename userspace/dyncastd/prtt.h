/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The round trip to an instance from its demands' own handshakes: the
 * router's SYN as it leaves for the D-BID and the instance's SYN-ACK as it
 * comes back, both stamped by the kernel where a packet socket taps them
 * (passive.c).  A pair is one sample of the RTT (rtt.c).
 *
 * Only a SYN-ACK that acknowledges the SYN (its ack number the SYN's
 * sequence number plus one) and comes in on the interface the SYN left by
 * makes a sample, once: one who did not see the SYN cannot forge one.  A
 * handshake whose SYN is sent again makes no sample, nor does one timed
 * already (Karn: the answer could be to any copy), until another
 * handshake takes its slot; the same SYN seen again on another interface
 * within DD_PRTT_STACKED_US is one packet passing stacked devices (a VLAN,
 * a bond): the later one is the one that left.  Pending SYNs sit in
 * DD_PRTT_SLOTS slots chosen by a keyed hash of their ends; a SYN hashed
 * to a taken slot replaces what was there (a sample lost, nothing
 * allocated).  An answer later than DD_PRTT_MAX_US makes none, nor does
 * one across a step of the clock (the stamps are real time: the caller
 * gives the offset of real time to monotonic time at each).
 */
#ifndef DD_PRTT_H
#define DD_PRTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define DD_PRTT_SLOTS	4096
#define DD_PRTT_MAX_US	3000000
#define DD_PRTT_STACKED_US	1000
/* a step of the clock between SYN and SYN-ACK beyond this: no sample */
#define DD_PRTT_STEP_US	1000

/* the TCP segment of a SYN or a SYN-ACK, as far as a pair needs it */
struct dd_prtt_seg {
	struct dc_addr src, dst;
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	bool syn, ack_flag;
};

struct dd_prtt_slot {
	struct dc_addr client, bid;
	uint16_t cport, bport;
	uint32_t seq;
	int ifindex;
	uint64_t t_us;			/* 0: free */
	int64_t off_us;			/* real time less monotonic, at t_us */
	bool again;			/* sent again, or timed: no sample */
};

struct dd_prtt {
	struct dd_prtt_slot slot[DD_PRTT_SLOTS];
};

int dd_prtt_parse(const uint8_t *pkt, size_t len, struct dd_prtt_seg *s);
void dd_prtt_syn(struct dd_prtt *p, const struct dd_prtt_seg *s, int ifindex,
		 uint64_t t_us, int64_t off_us);
int64_t dd_prtt_synack(struct dd_prtt *p, const struct dd_prtt_seg *s,
		       int ifindex, uint64_t t_us, int64_t off_us);

#endif /* DD_PRTT_H */
