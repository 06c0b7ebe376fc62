// SPDX-License-Identifier: GPL-2.0
/*
 * The agent protocol: round trips, and every way a message can be wrong:
 * truncated, oversized, forged (any byte changed, another key), replayed,
 * malformed (lengths, nesting, duplicates, limits), unknown TLVs ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto.h"

static uint8_t key[DD_KEY_LEN], other_key[DD_KEY_LEN];

static void addr(struct dc_addr *a, const char *s)
{
	assert_int_equal(dc_parse_addr(s, a), 0);
}

static void record(struct dd_record *r, const char *sid, const char *bid)
{
	memset(r, 0, sizeof(*r));
	addr(&r->key.svc.sid, sid);
	r->key.svc.proto = IPPROTO_TCP;
	r->key.svc.port = 80;
	addr(&r->key.bid, bid);
	r->bid_port = 8080;
	r->state = DD_STATE_UP;
	r->present = 1u << DD_M_CPU | 1u << DD_M_QUEUE | 1u << DD_M_CAPACITY |
		     1u << DD_M_SITE | 1u << DD_M_SERVICE_TIME;
	r->m[DD_M_CPU] = 375;
	r->m[DD_M_QUEUE] = 12;
	r->m[DD_M_CAPACITY] = 100;
	r->m[DD_M_SITE] = 3;
	r->m[DD_M_SERVICE_TIME] = 50000;
}

static struct dd_msg *announce(void)
{
	struct dd_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->type = DD_MSG_ANNOUNCE;
	m->sender = 0x0a000003;
	m->seq = 1000;
	m->n_origins = 1;
	m->origins[0].id = 0x0a000003;
	m->origins[0].seq = 77;
	m->origins[0].hold_ms = 15000;
	record(&m->records[0], "203.0.113.1", "198.19.3.31");
	record(&m->records[1], "2001:db8::1", "2001:db8:3::32");
	m->records[1].key.svc.proto = IPPROTO_UDP;
	m->records[1].state = DD_STATE_DRAIN;
	m->n_records = 2;
	return m;
}

static int encode(const struct dd_msg *m, uint8_t *buf)
{
	int len = dd_msg_encode(m, key, buf, DD_MSG_MAX);

	assert_true(len >= DD_MSG_MIN);
	return len;
}

static void roundtrip(void **state)
{
	struct dd_msg *m = announce(), *d = malloc(sizeof(*d));
	uint8_t buf[DD_MSG_MAX];
	uint32_t sender;
	uint64_t seq;
	int len;

	(void)state;
	m->n_origins = 2;
	m->origins[1].id = 7;
	m->origins[1].seq = 5;
	m->origins[1].hold_ms = 3000;
	addr(&m->origins[1].addr, "198.18.13.1");
	m->origins[1].port = 4960;
	m->origins[1].path_len = 2;
	m->origins[1].path[0] = 9;
	m->origins[1].path[1] = 10;
	m->records[2] = m->records[0];
	m->records[2].withdrawn = true;
	m->records[2].origin = 1;
	m->n_records = 3;

	len = encode(m, buf);
	assert_int_equal(dd_msg_check(buf, len, key, &sender, &seq), DD_DROP_NONE);
	assert_int_equal(sender, m->sender);
	assert_int_equal(seq, m->seq);
	assert_int_equal(dd_msg_decode(buf, len, d), DD_DROP_NONE);
	assert_int_equal(d->n_origins, 2);
	assert_int_equal(d->n_records, 3);
	assert_int_equal(d->origins[0].id, m->origins[0].id);
	assert_int_equal(d->origins[0].seq, 77);
	assert_int_equal(d->origins[0].hold_ms, 15000);
	assert_int_equal(d->origins[0].addr.family, 0);
	assert_true(dd_addr_eq(&d->origins[1].addr, &m->origins[1].addr));
	assert_int_equal(d->origins[1].port, 4960);
	assert_int_equal(d->origins[1].path_len, 2);
	assert_int_equal(d->origins[1].path[1], 10);
	assert_true(dd_inst_key_eq(&d->records[0].key, &m->records[0].key));
	assert_true(dd_inst_key_eq(&d->records[1].key, &m->records[1].key));
	assert_int_equal(d->records[0].bid_port, 8080);
	assert_int_equal(d->records[0].present, m->records[0].present);
	assert_memory_equal(d->records[0].m, m->records[0].m, sizeof(d->records[0].m));
	assert_int_equal(d->records[1].state, DD_STATE_DRAIN);
	assert_int_equal(d->records[1].key.svc.proto, IPPROTO_UDP);
	assert_true(d->records[2].withdrawn);
	assert_int_equal(d->records[2].origin, 1);
	free(m);
	free(d);
}

static void probe(void **state)
{
	struct dd_msg m = { .type = DD_MSG_PROBE, .sender = 1, .seq = 2,
			    .probe_id = 0xdeadbeef, .probe_time = 123456789012ULL };
	struct dd_msg *d = malloc(sizeof(*d));
	uint8_t buf[DD_MSG_MAX];
	int len;

	(void)state;
	len = encode(&m, buf);
	assert_int_equal(dd_msg_decode(buf, len, d), DD_DROP_NONE);
	assert_int_equal(d->type, DD_MSG_PROBE);
	assert_int_equal(d->probe_id, 0xdeadbeef);
	assert_int_equal(d->probe_time, 123456789012ULL);
	assert_int_equal(d->to, 0);
	/* naming its receiver */
	m.to = 0x0a000001;
	len = encode(&m, buf);
	assert_int_equal(dd_msg_decode(buf, len, d), DD_DROP_NONE);
	assert_int_equal(d->to, 0x0a000001);
	assert_int_equal(d->probe_id, 0xdeadbeef);
	free(d);
}

/*
 * An ANNOUNCE filled as dd_send_origin() fills one, to within a few bytes
 * of DD_MSG_ROOM, still fits with its receiver named.
 */
static void full_with_to(void **state)
{
	struct dd_msg *m = announce();
	size_t room = DD_MSG_ROOM - dd_origin_size(&m->origins[0]);
	uint8_t buf[DD_MSG_MAX];
	unsigned int n = 0, k;
	struct dd_record *r;

	(void)state;
	/* records without metrics while they fit, then metrics on the last */
	for (; n < DD_RECORDS_MAX; n++) {
		r = &m->records[n];
		record(r, "2001:db8::1", "2001:db8:3::32");
		r->key.bid.u.in6.s6_addr[15] = (uint8_t)n;
		r->present = 0;
		if (dd_record_size(r) > room)
			break;
		room -= dd_record_size(r);
	}
	assert_true(n > 0 && n < DD_RECORDS_MAX);
	r = &m->records[n - 1];
	for (k = 0; k < DD_M_COUNT; k++) {
		size_t before = dd_record_size(r);

		r->present |= 1u << k;
		if (dd_record_size(r) - before > room)
			r->present &= ~(1u << k);
		else
			room -= dd_record_size(r) - before;
	}
	assert_true(room < DD_TLV_HDR + 4);	/* no room for TO beyond ROOM */
	m->n_records = n;
	m->to = 0x0a000001;
	assert_true(dd_msg_encode(m, key, buf, sizeof(buf)) > 0);
	free(m);
}

/* Every prefix of a message is refused before it is parsed. */
static void truncated(void **state)
{
	struct dd_msg *m = announce();
	uint8_t buf[DD_MSG_MAX];
	uint32_t sender;
	uint64_t seq;
	int len, i;

	(void)state;
	len = encode(m, buf);
	for (i = 0; i < len; i++) {
		enum dd_drop d = dd_msg_check(buf, i, key, &sender, &seq);

		assert_true(d == DD_DROP_SHORT || d == DD_DROP_LENGTH);
	}
	free(m);
}

static void oversized(void **state)
{
	uint8_t *buf = calloc(1, DD_MSG_MAX + 100);
	struct dd_msg *m = announce();
	uint32_t sender;
	uint64_t seq;
	unsigned int i;

	(void)state;
	buf[0] = DD_PROTO_VERSION;
	assert_int_equal(dd_msg_check(buf, DD_MSG_MAX + 1, key, &sender, &seq),
			 DD_DROP_OVERSIZED);
	/* the encoder does not write one either */
	for (i = 0; i < DD_RECORDS_MAX; i++) {
		m->records[i] = m->records[0];
		m->records[i].key.bid.u.in.s_addr = htonl(i);
	}
	m->n_records = DD_RECORDS_MAX;
	assert_int_equal(dd_msg_encode(m, key, buf, DD_MSG_MAX + 100), -1);
	free(m);
	free(buf);
}

/* Any byte changed, or another key, and the MAC fails. */
static void forged(void **state)
{
	struct dd_msg *m = announce();
	uint8_t buf[DD_MSG_MAX];
	uint32_t sender;
	uint64_t seq;
	int len, i;

	(void)state;
	len = encode(m, buf);
	assert_int_equal(dd_msg_check(buf, len, other_key, &sender, &seq),
			 DD_DROP_AUTH);
	for (i = 0; i < len; i++) {
		enum dd_drop d;

		buf[i] ^= 0x40;
		d = dd_msg_check(buf, len, key, &sender, &seq);
		if (i == 0)
			assert_int_equal(d, DD_DROP_VERSION);
		else if (i == 2 || i == 3)
			assert_int_equal(d, DD_DROP_LENGTH);
		else
			assert_int_equal(d, DD_DROP_AUTH);
		buf[i] ^= 0x40;
	}
	assert_int_equal(dd_msg_check(buf, len, key, &sender, &seq), DD_DROP_NONE);
	free(m);
}

/*
 * During a key change, a message signed with the current key or with the
 * next one is taken, and which one is said; a third key is not, nor the
 * next key when none is set.
 */
static void next_key(void **state)
{
	struct dd_msg *m = announce();
	uint8_t third[DD_KEY_LEN], buf[DD_MSG_MAX];
	uint32_t sender;
	uint64_t seq;
	bool by_next;
	int len;

	(void)state;
	memset(third, 0x33, sizeof(third));
	len = dd_msg_encode(m, other_key, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(dd_msg_check_keys(buf, len, key, other_key, &sender,
					   &seq, &by_next), DD_DROP_NONE);
	assert_true(by_next);
	assert_int_equal(sender, m->sender);
	assert_int_equal(dd_msg_check_keys(buf, len, other_key, key, &sender,
					   &seq, &by_next), DD_DROP_NONE);
	assert_false(by_next);
	assert_int_equal(dd_msg_check_keys(buf, len, key, NULL, &sender, &seq,
					   &by_next), DD_DROP_AUTH);
	assert_false(by_next);
	assert_int_equal(dd_msg_check_keys(buf, len, key, third, &sender, &seq,
					   &by_next), DD_DROP_AUTH);
	assert_false(by_next);
	/* other checks come first, whatever the keys */
	buf[0] ^= 0x40;
	assert_int_equal(dd_msg_check_keys(buf, len, key, other_key, &sender,
					   &seq, &by_next), DD_DROP_VERSION);
	free(m);
}

static void replay(void **state)
{
	struct dd_replay w = {};

	(void)state;
	assert_true(dd_replay_check(&w, 100));
	dd_replay_update(&w, 100);
	assert_false(dd_replay_check(&w, 100));		/* the same again */
	assert_true(dd_replay_check(&w, 101));
	dd_replay_update(&w, 105);
	assert_true(dd_replay_check(&w, 103));		/* reordered, not seen */
	dd_replay_update(&w, 103);
	assert_false(dd_replay_check(&w, 103));
	assert_false(dd_replay_check(&w, 100));
	assert_false(dd_replay_check(&w, 105));
	dd_replay_update(&w, 105 + DD_REPLAY_WINDOW);
	assert_false(dd_replay_check(&w, 105));		/* out of the window */
	assert_true(dd_replay_check(&w, 106));
	assert_false(dd_replay_check(&w, 40));
	dd_replay_update(&w, 105 + 10 * DD_REPLAY_WINDOW);
	assert_false(dd_replay_check(&w, 105 + DD_REPLAY_WINDOW));
}

/* A message with this header and body, MAC'd with the right key. */
static int raw(uint8_t *buf, uint8_t version, uint8_t type,
	       const uint8_t *body, size_t n)
{
	size_t len = DD_HDR_LEN + n + DD_MAC_LEN;

	memset(buf, 0, DD_HDR_LEN);
	buf[0] = version;
	buf[1] = type;
	buf[2] = len >> 8;
	buf[3] = len;
	buf[7] = 1;
	buf[15] = 1;
	if (n)
		memcpy(buf + DD_HDR_LEN, body, n);
	crypto_auth_hmacsha256(buf + DD_HDR_LEN + n, buf, DD_HDR_LEN + n, key);
	return len;
}

static enum dd_drop decode_raw(uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t buf[DD_MSG_MAX + 64];
	struct dd_msg *d = malloc(sizeof(*d));
	uint32_t sender;
	uint64_t seq;
	enum dd_drop r;
	int len;

	len = raw(buf, DD_PROTO_VERSION, type, body, n);
	r = dd_msg_check(buf, len, key, &sender, &seq);
	if (r == DD_DROP_NONE)
		r = dd_msg_decode(buf, len, d);
	free(d);
	return r;
}

/* origin TLVs: id 1, seq 1, hold 5000 (19 + 4 bytes with its header) */
#define ORIGIN_HEAD \
	0, 1, 0, 4, 0, 0, 0, 1, \
	0, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, \
	0, 3, 0, 4, 0, 0, 0x13, 0x88
#define ORIGIN_HEAD_LEN	28
/* a minimal IPv4 record: sid, proto tcp, bid (21 bytes) */
#define REC4 \
	0, 1, 0, 4, 203, 0, 113, 1, \
	0, 3, 0, 1, 6, \
	0, 5, 0, 4, 198, 19, 3, 31
#define REC4_LEN	21

static void unknown_ignored(void **state)
{
	static const uint8_t body[] = {
		0x7f, 0x00, 0, 3, 'x', 'y', 'z',	/* unknown top level */
		0, 1, 0, ORIGIN_HEAD_LEN + 6 + 4 + REC4_LEN + 5,
		ORIGIN_HEAD,
		0x40, 0x00, 0, 2, 1, 2,			/* unknown in origin */
		0, 8, 0, REC4_LEN + 5,
		REC4,
		0x12, 0x34, 0, 1, 9,			/* unknown in record */
	};

	/* unknown types in an origin, each twice: skipped, not "given twice" */
	static const uint8_t again[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 * 5 + 4 + REC4_LEN,
		ORIGIN_HEAD,
		0, 9, 0, 1, 7,
		0, 9, 0, 1, 7,
		0, 0, 0, 1, 7,
		0, 0, 0, 1, 7,
		0, 8, 0, REC4_LEN,
		REC4,
	};

	(void)state;
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, body, sizeof(body)),
			 DD_DROP_NONE);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, again, sizeof(again)),
			 DD_DROP_NONE);
}

static void malformed(void **state)
{
	/* origin nest longer than the message */
	static const uint8_t overrun[] = { 0, 1, 0, 200, ORIGIN_HEAD };
	/* a TLV header cut short */
	static const uint8_t cut[] = { 0, 1, 0, ORIGIN_HEAD_LEN + 2, ORIGIN_HEAD, 0, 8 };
	/* hold of 2 bytes */
	static const uint8_t badlen[] = {
		0, 1, 0, 22,
		0, 1, 0, 4, 0, 0, 0, 1,
		0, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
		0, 3, 0, 2, 0x13, 0x88,
	};
	/* no hold */
	static const uint8_t nohold[] = {
		0, 1, 0, 20,
		0, 1, 0, 4, 0, 0, 0, 1,
		0, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	/* sequence number 0: no round has it */
	static const uint8_t seq0[] = {
		0, 1, 0, ORIGIN_HEAD_LEN,
		0, 1, 0, 4, 0, 0, 0, 1,
		0, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 3, 0, 4, 0, 0, 0x13, 0x88,
	};
	/* the id twice */
	static const uint8_t twice[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 8, ORIGIN_HEAD, 0, 1, 0, 4, 0, 0, 0, 2,
	};
	/* a record without its service address */
	static const uint8_t nosid[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + 13,
		ORIGIN_HEAD,
		0, 8, 0, 13,
		0, 3, 0, 1, 6,
		0, 5, 0, 4, 198, 19, 3, 31,
	};
	/* a multicast D-BID, then a D-SID of 0.0.0.0: the kernel takes neither */
	static const uint8_t mcast[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + REC4_LEN,
		ORIGIN_HEAD,
		0, 8, 0, REC4_LEN,
		0, 1, 0, 4, 203, 0, 113, 1,
		0, 3, 0, 1, 6,
		0, 5, 0, 4, 224, 0, 0, 1,
	};
	static const uint8_t zero[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + REC4_LEN,
		ORIGIN_HEAD,
		0, 8, 0, REC4_LEN,
		0, 1, 0, 4, 0, 0, 0, 0,
		0, 3, 0, 1, 6,
		0, 5, 0, 4, 198, 19, 3, 31,
	};
	/* cpu above 100 % */
	static const uint8_t cpu[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + REC4_LEN + 6,
		ORIGIN_HEAD,
		0, 8, 0, REC4_LEN + 6,
		REC4,
		0, 11, 0, 2, 0x03, 0xe9,
	};
	/* a service time above 10 s */
	static const uint8_t svc_time[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + REC4_LEN + 8,
		ORIGIN_HEAD,
		0, 8, 0, REC4_LEN + 8,
		REC4,
		0, 18, 0, 4, 0x00, 0x98, 0x96, 0x81,
	};
	/* a weight above 65535, which the kernel would refuse */
	uint8_t weight[] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + REC4_LEN + 8,
		ORIGIN_HEAD,
		0, 8, 0, REC4_LEN + 8,
		REC4,
		0, 10, 0, 4, 0x00, 0x01, 0x00, 0x00,
	};
	/* a path of 9 hops */
	uint8_t path[4 + ORIGIN_HEAD_LEN + 4 + 36] = {
		0, 1, 0, ORIGIN_HEAD_LEN + 4 + 36, ORIGIN_HEAD, 0, 7, 0, 36,
	};
	/* a probe without its time */
	static const uint8_t probe[] = { 0, 2, 0, 4, 1, 2, 3, 4 };
	uint8_t many[DD_MSG_MAX];
	size_t n = 0, i;

	(void)state;
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, overrun, sizeof(overrun)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, cut, sizeof(cut)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, badlen, sizeof(badlen)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, nohold, sizeof(nohold)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, twice, sizeof(twice)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, seq0, sizeof(seq0)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, nosid, sizeof(nosid)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, mcast, sizeof(mcast)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, zero, sizeof(zero)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, cpu, sizeof(cpu)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, svc_time, sizeof(svc_time)),
			 DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, weight, sizeof(weight)),
			 DD_DROP_MALFORMED);
	weight[sizeof(weight) - 2] = 0xff;	/* 65535: fine */
	weight[sizeof(weight) - 1] = 0xff;
	weight[sizeof(weight) - 3] = 0x00;
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, weight, sizeof(weight)),
			 DD_DROP_NONE);
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, path, sizeof(path)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(DD_MSG_PROBE, probe, sizeof(probe)), DD_DROP_MALFORMED);
	assert_int_equal(decode_raw(9, probe, sizeof(probe)), DD_DROP_TYPE);

	/*
	 * More origins than a message may hold.  (Records need at least 25
	 * bytes, so that DD_MSG_MAX already bounds them below
	 * DD_RECORDS_MAX.)  Exactly DD_ORIGINS_MAX is fine.
	 */
	for (i = 0; i <= DD_ORIGINS_MAX; i++) {
		static const uint8_t o[] = { 0, 1, 0, ORIGIN_HEAD_LEN, ORIGIN_HEAD };

		if (i == DD_ORIGINS_MAX)
			assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, many, n),
					 DD_DROP_NONE);
		memcpy(many + n, o, sizeof(o));
		n += sizeof(o);
	}
	assert_int_equal(decode_raw(DD_MSG_ANNOUNCE, many, n), DD_DROP_MALFORMED);
}

static void bad_version(void **state)
{
	uint8_t buf[DD_MSG_MAX];
	uint32_t sender;
	uint64_t seq;
	int len;

	(void)state;
	len = raw(buf, 2, DD_MSG_ANNOUNCE, NULL, 0);
	assert_int_equal(dd_msg_check(buf, len, key, &sender, &seq), DD_DROP_VERSION);
}

/*
 * Keys a sender chooses do not share a chain: 64 D-BIDs whose bytes differ
 * only in their two high bits, which FNV-1a's low bits never see (they
 * all fell in one of 64 chains), spread over many.
 */
static void hash_spreads(void **state)
{
	bool used[64] = { false };
	struct dd_inst_key k;
	unsigned int i, j, n = 0;

	(void)state;
	dd_hash_init();
	memset(&k, 0, sizeof(k));
	k.svc.sid.family = AF_INET6;
	k.svc.proto = IPPROTO_TCP;
	k.bid.family = AF_INET6;
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 16; j++)
			k.bid.u.in6.s6_addr[j] = 0x20 | (((i >> (j % 6)) & 1) << 7) |
						 (j == 15 ? (i & 3) << 6 : 0);
		used[dd_inst_key_hash(&k) & 63] = true;
	}
	for (i = 0; i < 64; i++)
		n += used[i];
	if (n < 16)
		fail_msg("64 keys in %u of 64 chains", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_spreads),
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(probe),
		cmocka_unit_test(full_with_to),
		cmocka_unit_test(truncated),
		cmocka_unit_test(oversized),
		cmocka_unit_test(forged),
		cmocka_unit_test(next_key),
		cmocka_unit_test(replay),
		cmocka_unit_test(unknown_ignored),
		cmocka_unit_test(malformed),
		cmocka_unit_test(bad_version),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other_key, sizeof(other_key));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
