/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol between agents: message layout, encoder and decoder,
 * authentication and replay protection.  Documentation/dyncast-protocol.rst
 * is its specification; keep both in step.
 */
#ifndef DD_PROTO_H
#define DD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/dyncast.h"
#include "parse.h"

#define DD_PROTO_VERSION	1
#define DD_PROTO_PORT		4960
#define DD_HDR_LEN		16
#define DD_MAC_LEN		32	/* HMAC-SHA256 */
#define DD_KEY_LEN		32
/* fits one packet on a 1500-byte path, IPv6 and UDP headers included */
#define DD_MSG_MAX		1400
#define DD_MSG_MIN		(DD_HDR_LEN + DD_MAC_LEN)
#define DD_TLV_HDR		4

#define DD_RECORDS_MAX		64	/* per message */
#define DD_ORIGINS_MAX		16	/* per message */
#define DD_PATH_MAX		8	/* relay hops */
#define DD_HOLD_MIN_MS		1000
#define DD_HOLD_MAX_MS		3600000

enum dd_msg_type {
	DD_MSG_ANNOUNCE = 1,
	DD_MSG_PROBE = 2,
	DD_MSG_PROBE_REPLY = 3,
};

/* top-level TLVs */
enum {
	DD_T_ORIGIN = 1,	/* nest: DD_O_* (ANNOUNCE) */
	DD_T_PROBE_ID = 2,	/* u32 (PROBE, PROBE_REPLY) */
	DD_T_PROBE_TIME = 3,	/* u64, opaque to the responder */
	DD_T_TO = 4,		/* u32: the receiver's agent id, if known */
};

/* in DD_T_ORIGIN */
enum {
	DD_O_ID = 1,		/* u32, required */
	DD_O_SEQ = 2,		/* u64, required */
	DD_O_HOLD = 3,		/* u32 milliseconds, required */
	DD_O_ADDR4 = 4,		/* 4 bytes: where the origin is (relays) */
	DD_O_ADDR6 = 5,		/* 16 bytes */
	DD_O_PORT = 6,		/* u16 */
	DD_O_PATH = 7,		/* n x u32: agents it was relayed by */
	DD_O_INSTANCE = 8,	/* nest: DD_I_*, repeated */
};

/* in DD_O_INSTANCE */
enum {
	DD_I_SID4 = 1,
	DD_I_SID6 = 2,
	DD_I_PROTO = 3,		/* u8 */
	DD_I_PORT = 4,		/* u16 */
	DD_I_BID4 = 5,
	DD_I_BID6 = 6,
	DD_I_BID_PORT = 7,	/* u16 */
	DD_I_STATE = 8,		/* u8: 0 up, 1 drain, 2 down */
	DD_I_WITHDRAWN = 9,	/* empty */
	DD_I_WEIGHT = 10,	/* u32 */
	DD_I_CPU = 11,		/* u16 per mille */
	DD_I_GPU = 12,		/* u16 per mille */
	DD_I_SESSIONS = 13,	/* u32 */
	DD_I_QUEUE = 14,	/* u32 */
	DD_I_CAPACITY = 15,	/* u32 */
	DD_I_COST = 16,		/* u32 microseconds */
	DD_I_SITE = 17,		/* u32 */
	DD_I_SERVICE_TIME = 18,	/* u32 microseconds, 0..DD_SERVICE_TIME_MAX */
	__DD_I_MAX,
};

/* the metrics a record may carry, bits of dd_record.present */
enum dd_metric {
	DD_M_WEIGHT,
	DD_M_CPU,
	DD_M_GPU,
	DD_M_SESSIONS,
	DD_M_QUEUE,
	DD_M_CAPACITY,
	DD_M_COST,
	DD_M_SITE,
	DD_M_SERVICE_TIME,
	DD_M_COUNT,
};

#define DD_STATE_UP	0
#define DD_STATE_DRAIN	1
#define DD_STATE_DOWN	2
#define DD_LOAD_MAX	1000
/* the kernel's bound on a service time, microseconds */
#define DD_SERVICE_TIME_MAX	DYNCAST_SERVICE_TIME_MAX

/* (D-SID, protocol, port): a service */
struct dd_svc_key {
	struct dc_addr sid;
	uint8_t proto;
	uint16_t port;		/* host order; 0 every port */
};

/* (service, D-BID): an instance */
struct dd_inst_key {
	struct dd_svc_key svc;
	struct dc_addr bid;
};

struct dd_record {
	struct dd_inst_key key;
	uint16_t bid_port;
	uint8_t state;
	bool withdrawn;
	uint32_t present;		/* bit per enum dd_metric */
	uint32_t m[DD_M_COUNT];
	unsigned int origin;		/* index in dd_msg.origins */
};

struct dd_origin {
	uint32_t id;
	uint64_t seq;
	uint32_t hold_ms;
	struct dc_addr addr;		/* family 0: the message's source */
	uint16_t port;
	unsigned int path_len;
	uint32_t path[DD_PATH_MAX];
};

struct dd_msg {
	uint8_t type;
	uint32_t sender;
	uint64_t seq;
	uint32_t to;		/* the receiver's id; 0: any (DD_T_TO) */
	unsigned int n_origins, n_records;
	struct dd_origin origins[DD_ORIGINS_MAX];
	struct dd_record records[DD_RECORDS_MAX];
	uint32_t probe_id;
	uint64_t probe_time;
};

/* why a message was dropped; also the names of the counters */
enum dd_drop {
	DD_DROP_NONE,
	DD_DROP_SHORT,		/* shorter than a header and a MAC */
	DD_DROP_OVERSIZED,	/* longer than DD_MSG_MAX */
	DD_DROP_VERSION,
	DD_DROP_LENGTH,		/* length field is not the datagram's */
	DD_DROP_AUTH,		/* MAC does not verify */
	DD_DROP_REPLAY,
	DD_DROP_MALFORMED,
	DD_DROP_TYPE,		/* unknown message type */
	DD_DROP_COUNT,
};

extern const char *const dd_drop_names[DD_DROP_COUNT];

/* the last DD_REPLAY_WINDOW sequence numbers of one sender */
#define DD_REPLAY_WINDOW	64

struct dd_replay {
	bool init;
	uint64_t top;
	uint64_t bits;		/* bit i: top - i was seen */
};

int dd_msg_encode(const struct dd_msg *msg, const uint8_t *key,
		  uint8_t *buf, size_t size);
enum dd_drop dd_msg_check(const uint8_t *buf, size_t len, const uint8_t *key,
			  uint32_t *sender, uint64_t *seq);
enum dd_drop dd_msg_check_keys(const uint8_t *buf, size_t len,
			       const uint8_t *key, const uint8_t *next,
			       uint32_t *sender, uint64_t *seq, bool *by_next);
enum dd_drop dd_msg_decode(const uint8_t *buf, size_t len, struct dd_msg *msg);
bool dd_replay_check(const struct dd_replay *w, uint64_t seq);
void dd_replay_update(struct dd_replay *w, uint64_t seq);

/* how many more bytes one record or origin block takes in a message */
size_t dd_record_size(const struct dd_record *r);
size_t dd_origin_size(const struct dd_origin *o);
/* what a message has for its TLVs beside TO */
#define DD_MSG_ROOM	(DD_MSG_MAX - DD_HDR_LEN - DD_MAC_LEN - DD_TLV_HDR - 4)

bool dd_svc_key_eq(const struct dd_svc_key *a, const struct dd_svc_key *b);
bool dd_inst_key_eq(const struct dd_inst_key *a, const struct dd_inst_key *b);
bool dd_addr_eq(const struct dc_addr *a, const struct dc_addr *b);

/* FNV-1a, for identifiers that must be the same in every run */
#define DD_FNV_INIT	2166136261u
uint32_t dd_fnv(uint32_t h, const void *p, size_t n);
uint32_t dd_addr_fnv(uint32_t h, const struct dc_addr *a);

/* an address as the hashes take it: its family, then 16 bytes */
#define DD_HASH_ADDR_LEN	17
/* a service: its D-SID, protocol and port */
#define DD_HASH_SVC_LEN		(DD_HASH_ADDR_LEN + 1 + sizeof(uint16_t))

/*
 * The daemon's hash tables: SipHash-2-4 under a key drawn once per run
 * (dd_hash_init(), after sodium_init()), since their keys come from
 * senders, who could otherwise choose keys that all share one chain.
 */
void dd_hash_init(void);
uint32_t dd_hash(const void *p, size_t n);
size_t dd_hash_put_addr(uint8_t *buf, const struct dc_addr *a);
uint32_t dd_svc_key_hash(const struct dd_svc_key *k);
uint32_t dd_inst_key_hash(const struct dd_inst_key *k);

#endif /* DD_PROTO_H */
