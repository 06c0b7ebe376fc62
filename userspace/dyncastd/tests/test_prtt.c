// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake round trips (prtt.c): SYN and SYN-ACK segments parsed from
 * their network headers, IPv4 and IPv6, anything else refused; a pair
 * timed once, and not at all where the SYN-ACK does not acknowledge the
 * SYN, comes in by another interface, answers a SYN sent again (however
 * often) or one already timed, comes too late or across a step of the
 * clock; one SYN through stacked devices timed from the last.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "proto.h"
#include "prtt.h"

#define SYN	0x02
#define ACK	0x10

static size_t seg4(uint8_t *b, const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	b[3] = 40;
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	b[20] = sport >> 8;
	b[21] = sport & 255;
	b[22] = dport >> 8;
	b[23] = dport & 255;
	b[24] = seq >> 24;
	b[25] = seq >> 16;
	b[26] = seq >> 8;
	b[27] = seq;
	b[28] = ack >> 24;
	b[29] = ack >> 16;
	b[30] = ack >> 8;
	b[31] = ack;
	b[32] = 5 << 4;
	b[33] = flags;
	return 40;
}

static size_t seg6(uint8_t *b, const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags)
{
	uint8_t t[40];

	memset(b, 0, 60);
	b[0] = 0x60;
	b[5] = 20;
	b[6] = IPPROTO_TCP;
	b[7] = 64;
	inet_pton(AF_INET6, src, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	seg4(t, "0.0.0.0", "0.0.0.0", sport, dport, seq, ack, flags);
	memcpy(b + 40, t + 20, 20);
	return 60;
}

static void parse(void **state)
{
	struct dd_prtt_seg s;
	struct dc_addr a;
	uint8_t b[80];
	size_t n;

	(void)state;
	n = seg4(b, "10.0.0.2", "198.19.1.1", 40000, 80, 1000, 0, SYN);
	assert_int_equal(dd_prtt_parse(b, n, &s), 0);
	dc_parse_addr("198.19.1.1", &a);
	assert_true(dd_addr_eq(&s.dst, &a));
	assert_int_equal(s.sport, 40000);
	assert_int_equal(s.dport, 80);
	assert_int_equal(s.seq, 1000);
	assert_true(s.syn && !s.ack_flag);

	n = seg6(b, "2001:db8:1::1", "2001:db8::2", 80, 40000, 5, 1001,
		 SYN | ACK);
	assert_int_equal(dd_prtt_parse(b, n, &s), 0);
	dc_parse_addr("2001:db8:1::1", &a);
	assert_true(dd_addr_eq(&s.src, &a));
	assert_int_equal(s.ack, 1001);
	assert_true(s.syn && s.ack_flag);

	/* not SYN; cut short; a later fragment; not TCP; not IP */
	n = seg4(b, "10.0.0.2", "198.19.1.1", 40000, 80, 1000, 0, ACK);
	assert_int_equal(dd_prtt_parse(b, n, &s), -1);
	n = seg4(b, "10.0.0.2", "198.19.1.1", 40000, 80, 1000, 0, SYN);
	assert_int_equal(dd_prtt_parse(b, n - 1, &s), -1);
	b[7] = 1;
	assert_int_equal(dd_prtt_parse(b, n, &s), -1);
	b[7] = 0;
	b[9] = IPPROTO_UDP;
	assert_int_equal(dd_prtt_parse(b, n, &s), -1);
	b[0] = 0x55;
	assert_int_equal(dd_prtt_parse(b, n, &s), -1);
	n = seg6(b, "2001:db8:1::1", "2001:db8::2", 80, 40000, 5, 1001, SYN);
	b[6] = 0;	/* a hop-by-hop header first */
	assert_int_equal(dd_prtt_parse(b, n, &s), -1);
	assert_int_equal(dd_prtt_parse(b, 0, &s), -1);
}

/* the SYN from the client to the instance, and the instance's answer */
static void pair(struct dd_prtt_seg *syn, struct dd_prtt_seg *synack,
		 uint32_t ack)
{
	uint8_t b[60];

	assert_int_equal(dd_prtt_parse(b, seg4(b, "10.0.0.2", "198.19.1.1",
					       40000, 80, 1000, 0, SYN),
				       syn), 0);
	assert_int_equal(dd_prtt_parse(b, seg4(b, "198.19.1.1", "10.0.0.2",
					       80, 40000, 7, ack, SYN | ACK),
				       synack), 0);
}

static void timed(void **state)
{
	static struct dd_prtt p;
	struct dd_prtt_seg syn, synack, bad;

	(void)state;
	pair(&syn, &synack, 1001);
	dd_prtt_syn(&p, &syn, 3, 1000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 1012345, 0), 12345);
	/* once: its answer again, or a copy of its SYN just before, nothing */
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 1012346, 0), -1);
	dd_prtt_syn(&p, &syn, 3, 2000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 2000010, 0), -1);

	/* an answer to no SYN seen, or by another interface */
	syn.seq = 2000;
	synack.ack = 2001;
	pair(&syn, &bad, 1002);
	syn.seq = 2000;
	dd_prtt_syn(&p, &syn, 3, 3000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &bad, 3, 3000500, 0), -1);
	assert_int_equal(dd_prtt_synack(&p, &synack, 4, 3000500, 0), -1);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 3000600, 0), 600);

	/* the SYN sent again, however often: no sample (Karn) */
	syn.seq = 3000;
	synack.ack = 3001;
	dd_prtt_syn(&p, &syn, 3, 4000000, 0);
	dd_prtt_syn(&p, &syn, 3, 5000000, 0);
	dd_prtt_syn(&p, &syn, 3, 5900000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 5900100, 0), -1);
	dd_prtt_syn(&p, &syn, 3, 6900000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 6900100, 0), -1);

	/* one SYN through stacked devices: timed from where it left last */
	syn.seq = 4000;
	synack.ack = 4001;
	dd_prtt_syn(&p, &syn, 7, 7000000, 0);
	dd_prtt_syn(&p, &syn, 3, 7000020, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 7000520, 0), 500);

	/* too late, before its SYN, or across a step of the clock */
	syn.seq = 5000;
	synack.ack = 5001;
	dd_prtt_syn(&p, &syn, 3, 8000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3,
					8000000 + DD_PRTT_MAX_US + 1, 0), -1);
	syn.seq = 6000;
	synack.ack = 6001;
	dd_prtt_syn(&p, &syn, 3, 9000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 8999999, 0), -1);
	syn.seq = 7000;
	synack.ack = 7001;
	dd_prtt_syn(&p, &syn, 3, 10000000, 0);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 12000000, 1999000),
			 -1);
	syn.seq = 8000;
	synack.ack = 8001;
	dd_prtt_syn(&p, &syn, 3, 11000000, 5);
	assert_int_equal(dd_prtt_synack(&p, &synack, 3, 11000300, 500), 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(timed),
	};

	dd_hash_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
