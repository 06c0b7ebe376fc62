/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BGP transport: announcements carried as BGP routes by ExaBGP, which
 * runs "dyncastd --exabgp SOCKET" as its API process.  This header is the
 * codec, without I/O: a record to the text command that announces or
 * withdraws it, and one JSON line of ExaBGP's to the paths it carries.
 * Documentation/dyncast-protocol.rst ("BGP transport") is the
 * specification of the encoding; keep both in step.
 */
#ifndef DD_BGP_H
#define DD_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* LocalData1 of dyncast's large communities (RFC 8092): what LocalData2 is */
enum dd_bgp_lc {
	DD_LC_SERVICE = 1,	/* protocol << 16 | port; required */
	DD_LC_AGENT = 2,	/* the announcing agent's id; required */
	DD_LC_STATE = 3,	/* 0 up, 1 drain */
	DD_LC_WEIGHT = 4,
	DD_LC_CPU = 5,		/* per mille */
	DD_LC_GPU = 6,		/* per mille */
	DD_LC_SESSIONS = 7,
	DD_LC_QUEUE = 8,
	DD_LC_CAPACITY = 9,
	DD_LC_COST = 10,	/* microseconds */
	DD_LC_SITE = 11,
	DD_LC_SERVICE_TIME = 12,	/* microseconds */
	DD_LC_BID_PORT = 13,
	DD_LC_PROBE_PORT = 14,	/* where the agent answers probes (UDP) */
	DD_LC_PROBE4 = 15,	/* its IPv4 address */
	DD_LC_PROBE6 = 16,	/* its IPv6 address: 16..19, 32 bits each */
	__DD_LC_MAX = 20,
};

/* the Link Bandwidth extended community's bytes per second for one slot */
#define DD_BGP_LB_SLOT		125000.0f	/* 1 Mbit/s */
#define DD_BGP_AS_TRANS		23456

#define DD_BGP_CMD_MAX		1024
#define DD_BGP_LINE_MAX		65536

struct dd_bgp_codec {
	uint32_t asn;		/* Global Administrator of our communities */
	bool link_bandwidth;	/* capacity as Link Bandwidth too */
};

/* where an announcing agent answers probes; family 0: nowhere */
struct dd_bgp_probe {
	struct dc_addr addr;
	uint16_t port;
};

/* one path as ExaBGP reports it */
struct dd_bgp_path {
	struct dc_addr peer;		/* the BGP neighbour it came from */
	struct dc_addr prefix;		/* the D-SID */
	uint32_t path_id;		/* ADD-PATH; 0 without */
	bool withdrawn;
	/* announced paths only, when valid */
	bool valid;
	struct dd_record rec;
	uint32_t agent;
	struct dd_bgp_probe probe;
};

enum dd_bgp_event {
	DD_BGP_EV_NONE,		/* nothing for us: open, keepalive, EOR, ack */
	DD_BGP_EV_UPDATE,	/* paths given to the callback */
	DD_BGP_EV_UP,		/* a neighbour's session is established */
	DD_BGP_EV_DOWN,		/* a neighbour's session went down */
	DD_BGP_EV_ACK,		/* "done" */
	DD_BGP_EV_ERROR,	/* "error": ExaBGP refused a command */
	DD_BGP_EV_BAD,		/* not a line we understand */
};

struct dd_bgp_counts {
	uint64_t malformed;	/* announced paths ignored (treated as
				 * withdrawn): not dyncast's or invalid
				 */
	uint64_t paths;		/* paths announced or withdrawn */
};

typedef void (*dd_bgp_path_cb)(void *data, const struct dd_bgp_path *p);

int dd_bgp_announce_cmd(const struct dd_bgp_codec *c,
			const struct dd_record *r, uint32_t path_id,
			uint32_t agent, const struct dd_bgp_probe *probe,
			char *buf, size_t size);
int dd_bgp_withdraw_cmd(const struct dd_inst_key *k, uint32_t path_id,
			char *buf, size_t size);
enum dd_bgp_event dd_bgp_parse(const struct dd_bgp_codec *c,
			       const char *line, struct dc_addr *peer,
			       dd_bgp_path_cb cb, void *data,
			       struct dd_bgp_counts *cnt);

/* the 8 bytes of a Link Bandwidth extended community for @capacity */
uint64_t dd_bgp_link_bandwidth(uint32_t asn, uint32_t capacity);

#endif /* DD_BGP_H */
