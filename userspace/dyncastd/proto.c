// SPDX-License-Identifier: GPL-2.0
/*
 * The agent protocol: TLV encoding and decoding, HMAC-SHA256 over each
 * message, a sliding window against replay.  Nothing here does I/O; the
 * decoder trusts no length and reads no byte beyond the datagram.
 */
#include <string.h>
#include <sys/socket.h>
#include <sodium.h>

#include "proto.h"

const char *const dd_drop_names[DD_DROP_COUNT] = {
	[DD_DROP_NONE] = "none",
	[DD_DROP_SHORT] = "truncated",
	[DD_DROP_OVERSIZED] = "oversized",
	[DD_DROP_VERSION] = "bad-version",
	[DD_DROP_LENGTH] = "bad-length",
	[DD_DROP_AUTH] = "unauthenticated",
	[DD_DROP_REPLAY] = "replayed",
	[DD_DROP_MALFORMED] = "malformed",
	[DD_DROP_TYPE] = "unknown-type",
};

bool dd_addr_eq(const struct dc_addr *a, const struct dc_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.in.s_addr == b->u.in.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->u.in6, &b->u.in6, sizeof(a->u.in6));
	return true;
}

bool dd_svc_key_eq(const struct dd_svc_key *a, const struct dd_svc_key *b)
{
	return a->proto == b->proto && a->port == b->port &&
	       dd_addr_eq(&a->sid, &b->sid);
}

bool dd_inst_key_eq(const struct dd_inst_key *a, const struct dd_inst_key *b)
{
	return dd_svc_key_eq(&a->svc, &b->svc) && dd_addr_eq(&a->bid, &b->bid);
}

uint32_t dd_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

uint32_t dd_addr_fnv(uint32_t h, const struct dc_addr *a)
{
	return dd_fnv(h, &a->u, a->family == AF_INET ? 4 : 16);
}

static uint8_t dd_hash_key[crypto_shorthash_KEYBYTES];

void dd_hash_init(void)
{
	randombytes_buf(dd_hash_key, sizeof(dd_hash_key));
}

uint32_t dd_hash(const void *p, size_t n)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, p, n, dd_hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* @a as DD_HASH_ADDR_LEN bytes at @buf, its family first */
size_t dd_hash_put_addr(uint8_t *buf, const struct dc_addr *a)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	memset(buf, 0, DD_HASH_ADDR_LEN);
	buf[0] = (uint8_t)a->family;
	memcpy(buf + 1, &a->u, n);
	return DD_HASH_ADDR_LEN;
}

static size_t dd_svc_put(uint8_t *buf, const struct dd_svc_key *k)
{
	size_t n = dd_hash_put_addr(buf, &k->sid);

	buf[n++] = k->proto;
	memcpy(buf + n, &k->port, sizeof(k->port));
	return n + sizeof(k->port);
}

uint32_t dd_svc_key_hash(const struct dd_svc_key *k)
{
	uint8_t buf[DD_HASH_SVC_LEN];

	return dd_hash(buf, dd_svc_put(buf, k));
}

uint32_t dd_inst_key_hash(const struct dd_inst_key *k)
{
	uint8_t buf[DD_HASH_SVC_LEN + DD_HASH_ADDR_LEN];
	size_t n = dd_svc_put(buf, &k->svc);

	n += dd_hash_put_addr(buf + n, &k->bid);
	return dd_hash(buf, n);
}

/* --- encoding ------------------------------------------------------------ */

struct dd_wr {
	uint8_t *buf;
	size_t size, len;
	bool err;
};

static uint8_t *dd_wr_room(struct dd_wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->size - w->len) {
		w->err = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void dd_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void dd_put32(uint8_t *p, uint32_t v)
{
	dd_put16(p, v >> 16);
	dd_put16(p + 2, v);
}

static void dd_put64(uint8_t *p, uint64_t v)
{
	dd_put32(p, v >> 32);
	dd_put32(p + 4, v);
}

static uint16_t dd_get16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

static uint32_t dd_get32(const uint8_t *p)
{
	return (uint32_t)dd_get16(p) << 16 | dd_get16(p + 2);
}

static uint64_t dd_get64(const uint8_t *p)
{
	return (uint64_t)dd_get32(p) << 32 | dd_get32(p + 4);
}

static void dd_tlv(struct dd_wr *w, uint16_t type, const void *val,
		   size_t len)
{
	uint8_t *p = dd_wr_room(w, DD_TLV_HDR + len);

	if (!p)
		return;
	dd_put16(p, type);
	dd_put16(p + 2, len);
	if (len)
		memcpy(p + DD_TLV_HDR, val, len);
}

static void dd_tlv_u8(struct dd_wr *w, uint16_t type, uint8_t v)
{
	dd_tlv(w, type, &v, 1);
}

static void dd_tlv_u16(struct dd_wr *w, uint16_t type, uint16_t v)
{
	uint8_t b[2];

	dd_put16(b, v);
	dd_tlv(w, type, b, sizeof(b));
}

static void dd_tlv_u32(struct dd_wr *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	dd_put32(b, v);
	dd_tlv(w, type, b, sizeof(b));
}

static void dd_tlv_u64(struct dd_wr *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	dd_put64(b, v);
	dd_tlv(w, type, b, sizeof(b));
}

static void dd_tlv_addr(struct dd_wr *w, uint16_t type4, uint16_t type6,
			const struct dc_addr *a)
{
	if (a->family == AF_INET)
		dd_tlv(w, type4, &a->u.in, 4);
	else if (a->family == AF_INET6)
		dd_tlv(w, type6, &a->u.in6, 16);
}

/* A nest: its header now, its length once its content is written. */
static size_t dd_nest_start(struct dd_wr *w, uint16_t type)
{
	uint8_t *p = dd_wr_room(w, DD_TLV_HDR);

	if (!p)
		return 0;
	dd_put16(p, type);
	return w->len;
}

static void dd_nest_end(struct dd_wr *w, size_t start)
{
	size_t len = w->len - start;

	if (w->err)
		return;
	if (len > UINT16_MAX) {
		w->err = true;
		return;
	}
	dd_put16(w->buf + start - 2, len);
}

static const uint16_t dd_metric_tlv[DD_M_COUNT] = {
	[DD_M_WEIGHT] = DD_I_WEIGHT,
	[DD_M_CPU] = DD_I_CPU,
	[DD_M_GPU] = DD_I_GPU,
	[DD_M_SESSIONS] = DD_I_SESSIONS,
	[DD_M_QUEUE] = DD_I_QUEUE,
	[DD_M_CAPACITY] = DD_I_CAPACITY,
	[DD_M_COST] = DD_I_COST,
	[DD_M_SITE] = DD_I_SITE,
	[DD_M_SERVICE_TIME] = DD_I_SERVICE_TIME,
};

static bool dd_metric_is16(unsigned int m)
{
	return m == DD_M_CPU || m == DD_M_GPU;
}

static void dd_put_record(struct dd_wr *w, const struct dd_record *r)
{
	size_t nest = dd_nest_start(w, DD_O_INSTANCE);
	unsigned int m;

	dd_tlv_addr(w, DD_I_SID4, DD_I_SID6, &r->key.svc.sid);
	dd_tlv_u8(w, DD_I_PROTO, r->key.svc.proto);
	if (r->key.svc.port)
		dd_tlv_u16(w, DD_I_PORT, r->key.svc.port);
	dd_tlv_addr(w, DD_I_BID4, DD_I_BID6, &r->key.bid);
	if (r->withdrawn) {
		dd_tlv(w, DD_I_WITHDRAWN, NULL, 0);
	} else {
		if (r->bid_port)
			dd_tlv_u16(w, DD_I_BID_PORT, r->bid_port);
		dd_tlv_u8(w, DD_I_STATE, r->state);
		for (m = 0; m < DD_M_COUNT; m++) {
			if (!(r->present & (1u << m)))
				continue;
			if (dd_metric_is16(m))
				dd_tlv_u16(w, dd_metric_tlv[m], r->m[m]);
			else
				dd_tlv_u32(w, dd_metric_tlv[m], r->m[m]);
		}
	}
	dd_nest_end(w, nest);
}

static void dd_put_origin_head(struct dd_wr *w, const struct dd_origin *o)
{
	unsigned int i;

	dd_tlv_u32(w, DD_O_ID, o->id);
	dd_tlv_u64(w, DD_O_SEQ, o->seq);
	dd_tlv_u32(w, DD_O_HOLD, o->hold_ms);
	if (o->addr.family) {
		dd_tlv_addr(w, DD_O_ADDR4, DD_O_ADDR6, &o->addr);
		dd_tlv_u16(w, DD_O_PORT, o->port);
	}
	if (o->path_len) {
		uint8_t path[DD_PATH_MAX * 4];

		for (i = 0; i < o->path_len && i < DD_PATH_MAX; i++)
			dd_put32(path + 4 * i, o->path[i]);
		dd_tlv(w, DD_O_PATH, path, 4 * i);
	}
}

static void dd_put_origin(struct dd_wr *w, const struct dd_msg *msg,
			  unsigned int idx)
{
	size_t nest = dd_nest_start(w, DD_T_ORIGIN);
	unsigned int i;

	dd_put_origin_head(w, &msg->origins[idx]);
	for (i = 0; i < msg->n_records; i++)
		if (msg->records[i].origin == idx)
			dd_put_record(w, &msg->records[i]);
	dd_nest_end(w, nest);
}

size_t dd_record_size(const struct dd_record *r)
{
	uint8_t buf[256];
	struct dd_wr w = { .buf = buf, .size = sizeof(buf) };

	dd_put_record(&w, r);
	return w.len;
}

/* an origin block without its records */
size_t dd_origin_size(const struct dd_origin *o)
{
	uint8_t buf[256];
	struct dd_wr w = { .buf = buf, .size = sizeof(buf) };

	dd_put_origin_head(&w, o);
	return DD_TLV_HDR + w.len;
}

/*
 * Writes @msg into @buf, MAC included.  Returns its length, or -1 if it
 * does not fit @size or DD_MSG_MAX.
 */
int dd_msg_encode(const struct dd_msg *msg, const uint8_t *key,
		  uint8_t *buf, size_t size)
{
	struct dd_wr w = { .buf = buf };
	unsigned int i;
	uint8_t *hdr;

	w.size = size < DD_MSG_MAX ? size : DD_MSG_MAX;
	if (w.size < DD_MSG_MIN)
		return -1;
	w.size -= DD_MAC_LEN;
	hdr = dd_wr_room(&w, DD_HDR_LEN);
	hdr[0] = DD_PROTO_VERSION;
	hdr[1] = msg->type;
	dd_put32(hdr + 4, msg->sender);
	dd_put64(hdr + 8, msg->seq);
	if (msg->to)
		dd_tlv_u32(&w, DD_T_TO, msg->to);

	switch (msg->type) {
	case DD_MSG_ANNOUNCE:
		for (i = 0; i < msg->n_origins && i < DD_ORIGINS_MAX; i++)
			dd_put_origin(&w, msg, i);
		break;
	case DD_MSG_PROBE:
	case DD_MSG_PROBE_REPLY:
		dd_tlv_u32(&w, DD_T_PROBE_ID, msg->probe_id);
		dd_tlv_u64(&w, DD_T_PROBE_TIME, msg->probe_time);
		break;
	default:
		return -1;
	}
	if (w.err)
		return -1;
	dd_put16(hdr + 2, w.len + DD_MAC_LEN);
	crypto_auth_hmacsha256(buf + w.len, buf, w.len, key);
	return w.len + DD_MAC_LEN;
}

/* --- checking and decoding ----------------------------------------------- */

/*
 * The checks that need no parsing: size, version, length, then the MAC.
 * On success, the sender and sequence number, for the replay check.
 */
enum dd_drop dd_msg_check(const uint8_t *buf, size_t len, const uint8_t *key,
			  uint32_t *sender, uint64_t *seq)
{
	if (len > DD_MSG_MAX)
		return DD_DROP_OVERSIZED;
	if (len < DD_MSG_MIN)
		return DD_DROP_SHORT;
	if (buf[0] != DD_PROTO_VERSION)
		return DD_DROP_VERSION;
	if (dd_get16(buf + 2) != len)
		return DD_DROP_LENGTH;
	if (crypto_auth_hmacsha256_verify(buf + len - DD_MAC_LEN, buf,
					  len - DD_MAC_LEN, key))
		return DD_DROP_AUTH;
	*sender = dd_get32(buf + 4);
	*seq = dd_get64(buf + 8);
	return DD_DROP_NONE;
}

/*
 * The same with two keys, during a key change: a message signed with @key
 * or, if it is not NULL, with @next is taken; *@by_next tells which.
 */
enum dd_drop dd_msg_check_keys(const uint8_t *buf, size_t len,
			       const uint8_t *key, const uint8_t *next,
			       uint32_t *sender, uint64_t *seq, bool *by_next)
{
	enum dd_drop why = dd_msg_check(buf, len, key, sender, seq);

	*by_next = false;
	if (why != DD_DROP_AUTH || !next)
		return why;
	why = dd_msg_check(buf, len, next, sender, seq);
	*by_next = why == DD_DROP_NONE;
	return why;
}

struct dd_tlv_it {
	const uint8_t *p, *end;
	uint16_t type, len;
	const uint8_t *val;
};

/* The next TLV: 1, none left: 0, one running past the end: -1. */
static int dd_tlv_next(struct dd_tlv_it *it)
{
	size_t left = it->end - it->p;

	if (!left)
		return 0;
	if (left < DD_TLV_HDR)
		return -1;
	it->type = dd_get16(it->p);
	it->len = dd_get16(it->p + 2);
	if (it->len > left - DD_TLV_HDR)
		return -1;
	it->val = it->p + DD_TLV_HDR;
	it->p += DD_TLV_HDR + it->len;
	return 1;
}

static void dd_tlv_it_init(struct dd_tlv_it *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->end = p + len;
}

/* A known TLV seen twice in one nest makes the message malformed. */
static bool dd_seen(uint32_t *seen, unsigned int type)
{
	if (type >= 32)
		return false;
	if (*seen & (1u << type))
		return true;
	*seen |= 1u << type;
	return false;
}

static int dd_get_addr(const struct dd_tlv_it *it, int family,
		       struct dc_addr *a)
{
	size_t need = family == AF_INET ? 4 : 16;

	if (it->len != need || a->family)
		return -1;
	a->family = family;
	memcpy(&a->u, it->val, need);
	return 0;
}

static int dd_decode_record(const uint8_t *p, size_t len, struct dd_record *r)
{
	struct dd_tlv_it it;
	uint32_t seen = 0;
	unsigned int m;
	int ret;

	memset(r, 0, sizeof(*r));
	dd_tlv_it_init(&it, p, len);
	while ((ret = dd_tlv_next(&it)) > 0) {
		if (it.type >= DD_I_SID4 && it.type < __DD_I_MAX &&
		    dd_seen(&seen, it.type))
			return -1;
		switch (it.type) {
		case DD_I_SID4:
		case DD_I_SID6:
			if (dd_get_addr(&it, it.type == DD_I_SID4 ? AF_INET : AF_INET6,
					&r->key.svc.sid))
				return -1;
			break;
		case DD_I_BID4:
		case DD_I_BID6:
			if (dd_get_addr(&it, it.type == DD_I_BID4 ? AF_INET : AF_INET6,
					&r->key.bid))
				return -1;
			break;
		case DD_I_PROTO:
			if (it.len != 1 || (it.val[0] != IPPROTO_TCP &&
					    it.val[0] != IPPROTO_UDP))
				return -1;
			r->key.svc.proto = it.val[0];
			break;
		case DD_I_PORT:
		case DD_I_BID_PORT:
			if (it.len != 2)
				return -1;
			if (it.type == DD_I_PORT)
				r->key.svc.port = dd_get16(it.val);
			else
				r->bid_port = dd_get16(it.val);
			break;
		case DD_I_STATE:
			if (it.len != 1 || it.val[0] > DD_STATE_DOWN)
				return -1;
			r->state = it.val[0];
			break;
		case DD_I_WITHDRAWN:
			if (it.len)
				return -1;
			r->withdrawn = true;
			break;
		default:
			for (m = 0; m < DD_M_COUNT; m++)
				if (dd_metric_tlv[m] == it.type)
					break;
			if (m == DD_M_COUNT)
				break;	/* unknown: ignored */
			if (dd_metric_is16(m)) {
				if (it.len != 2 || dd_get16(it.val) > DD_LOAD_MAX)
					return -1;
				r->m[m] = dd_get16(it.val);
			} else {
				if (it.len != 4 ||
				    (m == DD_M_WEIGHT &&
				     dd_get32(it.val) > DYNCAST_WEIGHT_MAX) ||
				    (m == DD_M_SERVICE_TIME &&
				     dd_get32(it.val) > DD_SERVICE_TIME_MAX))
					return -1;
				r->m[m] = dd_get32(it.val);
			}
			r->present |= 1u << m;
			break;
		}
	}
	if (ret < 0 || !r->key.svc.sid.family || !r->key.svc.proto ||
	    r->key.svc.sid.family != r->key.bid.family ||
	    !dc_addr_unicast(&r->key.svc.sid) || !dc_addr_unicast(&r->key.bid))
		return -1;
	return 0;
}

static int dd_decode_origin(const uint8_t *p, size_t len, struct dd_msg *msg)
{
	struct dd_origin *o = &msg->origins[msg->n_origins];
	unsigned int idx = msg->n_origins;
	struct dd_tlv_it it;
	uint32_t seen = 0;
	unsigned int i;
	int ret;

	if (msg->n_origins == DD_ORIGINS_MAX)
		return -1;
	memset(o, 0, sizeof(*o));
	dd_tlv_it_init(&it, p, len);
	while ((ret = dd_tlv_next(&it)) > 0) {
		/* known ones once; unknown ones are skipped, however many */
		if (it.type >= DD_O_ID && it.type < DD_O_INSTANCE &&
		    dd_seen(&seen, it.type))
			return -1;
		switch (it.type) {
		case DD_O_ID:
		case DD_O_HOLD:
			if (it.len != 4)
				return -1;
			if (it.type == DD_O_ID)
				o->id = dd_get32(it.val);
			else
				o->hold_ms = dd_get32(it.val);
			break;
		case DD_O_SEQ:
			if (it.len != 8)
				return -1;
			o->seq = dd_get64(it.val);
			break;
		case DD_O_ADDR4:
		case DD_O_ADDR6:
			if (dd_get_addr(&it, it.type == DD_O_ADDR4 ? AF_INET : AF_INET6,
					&o->addr))
				return -1;
			break;
		case DD_O_PORT:
			if (it.len != 2)
				return -1;
			o->port = dd_get16(it.val);
			break;
		case DD_O_PATH:
			if (it.len % 4 || it.len / 4 > DD_PATH_MAX)
				return -1;
			o->path_len = it.len / 4;
			for (i = 0; i < o->path_len; i++)
				o->path[i] = dd_get32(it.val + 4 * i);
			break;
		case DD_O_INSTANCE:
			if (msg->n_records == DD_RECORDS_MAX ||
			    dd_decode_record(it.val, it.len,
					     &msg->records[msg->n_records]))
				return -1;
			msg->records[msg->n_records++].origin = idx;
			break;
		default:
			break;	/* unknown: ignored */
		}
	}
	if (ret < 0)
		return -1;
	/*
	 * required, and an address needs its port; no round is numbered 0
	 * (a receiver's site starts there: dd_router_announce())
	 */
	if ((seen & (1u << DD_O_ID | 1u << DD_O_SEQ | 1u << DD_O_HOLD)) !=
	    (1u << DD_O_ID | 1u << DD_O_SEQ | 1u << DD_O_HOLD) || !o->seq ||
	    o->hold_ms < DD_HOLD_MIN_MS || o->hold_ms > DD_HOLD_MAX_MS ||
	    (o->addr.family && !o->port))
		return -1;
	msg->n_origins++;
	return 0;
}

/*
 * Decodes a message that dd_msg_check() accepted.  Unknown TLVs are
 * skipped; a known one of the wrong size, a TLV running past its nest, or
 * more origins or records than a message may hold make it malformed.
 */
enum dd_drop dd_msg_decode(const uint8_t *buf, size_t len, struct dd_msg *msg)
{
	struct dd_tlv_it it;
	bool has_id = false, has_time = false, has_to = false;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (len < DD_MSG_MIN || len > DD_MSG_MAX)
		return DD_DROP_MALFORMED;
	msg->type = buf[1];
	msg->sender = dd_get32(buf + 4);
	msg->seq = dd_get64(buf + 8);
	if (msg->type < DD_MSG_ANNOUNCE || msg->type > DD_MSG_PROBE_REPLY)
		return DD_DROP_TYPE;

	dd_tlv_it_init(&it, buf + DD_HDR_LEN, len - DD_HDR_LEN - DD_MAC_LEN);
	while ((ret = dd_tlv_next(&it)) > 0) {
		switch (it.type) {
		case DD_T_ORIGIN:
			if (msg->type != DD_MSG_ANNOUNCE ||
			    dd_decode_origin(it.val, it.len, msg))
				return DD_DROP_MALFORMED;
			break;
		case DD_T_PROBE_ID:
			if (it.len != 4 || has_id)
				return DD_DROP_MALFORMED;
			msg->probe_id = dd_get32(it.val);
			has_id = true;
			break;
		case DD_T_PROBE_TIME:
			if (it.len != 8 || has_time)
				return DD_DROP_MALFORMED;
			msg->probe_time = dd_get64(it.val);
			has_time = true;
			break;
		case DD_T_TO:
			if (it.len != 4 || has_to)
				return DD_DROP_MALFORMED;
			msg->to = dd_get32(it.val);
			has_to = true;
			break;
		default:
			break;
		}
	}
	if (ret < 0)
		return DD_DROP_MALFORMED;
	if (msg->type != DD_MSG_ANNOUNCE && (!has_id || !has_time))
		return DD_DROP_MALFORMED;
	return DD_DROP_NONE;
}

/* --- replay -------------------------------------------------------------- */

/*
 * Whether @seq may be accepted: above everything seen, or within the
 * window below the highest and not seen yet (as IPsec's anti-replay
 * window: datagrams may be reordered, never repeated).
 */
bool dd_replay_check(const struct dd_replay *w, uint64_t seq)
{
	uint64_t d;

	if (!w->init || seq > w->top)
		return true;
	d = w->top - seq;
	if (d >= DD_REPLAY_WINDOW)
		return false;
	return !(w->bits & (1ULL << d));
}

void dd_replay_update(struct dd_replay *w, uint64_t seq)
{
	uint64_t d;

	if (!w->init) {
		w->init = true;
		w->top = seq;
		w->bits = 1;
		return;
	}
	if (seq > w->top) {
		d = seq - w->top;
		w->bits = d >= DD_REPLAY_WINDOW ? 0 : w->bits << d;
		w->bits |= 1;
		w->top = seq;
		return;
	}
	d = w->top - seq;
	if (d < DD_REPLAY_WINDOW)
		w->bits |= 1ULL << d;
}
