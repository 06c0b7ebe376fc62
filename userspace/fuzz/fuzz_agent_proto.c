// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: dyncastd's decoder of agent messages
 * (userspace/dyncastd/proto.c).
 *
 * The daemon decodes only messages whose MAC verified, so the input is
 * first made such a message: its length field and its MAC are set, and
 * dd_msg_check() must take it; the decoder then has to cope with whatever
 * a holder of the key may send.  What decodes is encoded again, and must
 * decode to the same header, origins and records: the encoder and the
 * decoder agree.  The raw input also goes through dd_msg_check() as it
 * is, as a datagram from anyone would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto.h"

static const uint8_t key[DD_KEY_LEN] = { 0x64, 0x79, 0x6e, 0x63, 0x61, 0x73, 0x74 };

static int same(const struct dd_msg *a, const struct dd_msg *b)
{
	unsigned int i;

	if (a->type != b->type || a->sender != b->sender || a->seq != b->seq ||
	    a->n_origins != b->n_origins || a->n_records != b->n_records)
		return 0;
	for (i = 0; i < a->n_origins; i++)
		if (a->origins[i].id != b->origins[i].id ||
		    a->origins[i].seq != b->origins[i].seq ||
		    a->origins[i].path_len != b->origins[i].path_len)
			return 0;
	for (i = 0; i < a->n_records; i++)
		if (!dd_inst_key_eq(&a->records[i].key, &b->records[i].key) ||
		    a->records[i].withdrawn != b->records[i].withdrawn ||
		    a->records[i].origin != b->records[i].origin)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[DD_MSG_MAX], again[DD_MSG_MAX];
	static struct dd_msg msg, msg2;
	uint64_t seq;
	uint32_t sender;
	size_t len;
	int n;

	if (sodium_init() < 0)
		abort();
	dd_msg_check(data, size, key, &sender, &seq);

	if (size + DD_MAC_LEN > DD_MSG_MAX || size < DD_HDR_LEN)
		return 0;
	len = size + DD_MAC_LEN;
	memcpy(buf, data, size);
	buf[0] = DD_PROTO_VERSION;
	buf[2] = len >> 8;
	buf[3] = len & 0xff;
	crypto_auth_hmacsha256(buf + size, buf, size, key);
	if (dd_msg_check(buf, len, key, &sender, &seq) != DD_DROP_NONE)
		abort();
	if (dd_msg_decode(buf, len, &msg) != DD_DROP_NONE)
		return 0;

	n = dd_msg_encode(&msg, key, again, sizeof(again));
	if (n <= 0)
		return 0;
	if (dd_msg_check(again, n, key, &sender, &seq) != DD_DROP_NONE ||
	    dd_msg_decode(again, n, &msg2) != DD_DROP_NONE || !same(&msg, &msg2))
		abort();
	return 0;
}
