// SPDX-License-Identifier: GPL-2.0
/*
 * The BGP transport's codec: instances as ExaBGP's text commands, and
 * ExaBGP's JSON lines back to instances.  No I/O here; bgp.c does it.
 *
 * An instance is one path to its D-SID (a host route) with the D-BID as
 * next hop and an ADD-PATH identifier of its agent's choosing; what the
 * agent protocol's INSTANCE record carries rides in large communities
 * (RFC 8092) whose Global Administrator is the operator's ASN, LocalData1
 * the kind (enum dd_bgp_lc) and LocalData2 the value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <jansson.h>
#include <linux/dyncast.h>

#include "bgp.h"

/* the communities of the metrics, by enum dd_metric */
static const uint8_t dd_lc_of_metric[DD_M_COUNT] = {
	[DD_M_WEIGHT] = DD_LC_WEIGHT,
	[DD_M_CPU] = DD_LC_CPU,
	[DD_M_GPU] = DD_LC_GPU,
	[DD_M_SESSIONS] = DD_LC_SESSIONS,
	[DD_M_QUEUE] = DD_LC_QUEUE,
	[DD_M_CAPACITY] = DD_LC_CAPACITY,
	[DD_M_COST] = DD_LC_COST,
	[DD_M_SITE] = DD_LC_SITE,
	[DD_M_SERVICE_TIME] = DD_LC_SERVICE_TIME,
};

struct dd_out {
	char *buf;
	size_t size, len;
	bool over;
};

static void dd_out(struct dd_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dd_out(struct dd_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->over = true;
	else
		o->len += n;
}

static void dd_out_route(struct dd_out *o, const struct dd_inst_key *k,
			 uint32_t path_id)
{
	char sid[DC_ADDR_STRLEN], bid[DC_ADDR_STRLEN];

	dc_addr_fmt(k->svc.sid.family, &k->svc.sid.u, sid, sizeof(sid));
	dc_addr_fmt(k->bid.family, &k->bid.u, bid, sizeof(bid));
	dd_out(o, "route %s/%u next-hop %s path-information %u.%u.%u.%u",
	       sid, k->svc.sid.family == AF_INET ? 32 : 128, bid,
	       path_id >> 24, (path_id >> 16) & 255, (path_id >> 8) & 255,
	       path_id & 255);
}

static void dd_out_lc(struct dd_out *o, uint32_t asn, unsigned int kind,
		      uint32_t v)
{
	dd_out(o, " %u:%u:%u", asn, kind, v);
}

uint64_t dd_bgp_link_bandwidth(uint32_t asn, uint32_t capacity)
{
	float bw = (float)capacity * DD_BGP_LB_SLOT;
	uint32_t bits;

	memcpy(&bits, &bw, sizeof(bits));
	if (asn > UINT16_MAX)
		asn = DD_BGP_AS_TRANS;
	/* non-transitive two-octet AS specific, sub-type 4 */
	return (uint64_t)0x4004 << 48 | (uint64_t)asn << 32 | bits;
}

int dd_bgp_announce_cmd(const struct dd_bgp_codec *c,
			const struct dd_record *r, uint32_t path_id,
			uint32_t agent, const struct dd_bgp_probe *probe,
			char *buf, size_t size)
{
	struct dd_out o = { .buf = buf, .size = size };
	unsigned int m, i;

	dd_out(&o, "announce ");
	dd_out_route(&o, &r->key, path_id);
	dd_out(&o, " large-community [");
	dd_out_lc(&o, c->asn, DD_LC_SERVICE,
		  (uint32_t)r->key.svc.proto << 16 | r->key.svc.port);
	dd_out_lc(&o, c->asn, DD_LC_AGENT, agent);
	dd_out_lc(&o, c->asn, DD_LC_STATE, r->state);
	for (m = 0; m < DD_M_COUNT; m++)
		if (r->present & (1u << m))
			dd_out_lc(&o, c->asn, dd_lc_of_metric[m], r->m[m]);
	if (r->bid_port)
		dd_out_lc(&o, c->asn, DD_LC_BID_PORT, r->bid_port);
	if (probe && probe->addr.family) {
		dd_out_lc(&o, c->asn, DD_LC_PROBE_PORT, probe->port);
		if (probe->addr.family == AF_INET) {
			dd_out_lc(&o, c->asn, DD_LC_PROBE4,
				  ntohl(probe->addr.u.in.s_addr));
		} else {
			for (i = 0; i < 4; i++) {
				uint32_t w;

				memcpy(&w, &probe->addr.u.in6.s6_addr[4 * i], 4);
				dd_out_lc(&o, c->asn, DD_LC_PROBE6 + i, ntohl(w));
			}
		}
	}
	dd_out(&o, " ]");
	if (c->link_bandwidth && (r->present & (1u << DD_M_CAPACITY)))
		dd_out(&o, " extended-community [ 0x%016llx ]",
		       (unsigned long long)dd_bgp_link_bandwidth(c->asn,
						r->m[DD_M_CAPACITY]));
	dd_out(&o, "\n");
	if (o.over)
		return -ENOSPC;
	return o.len;
}

int dd_bgp_withdraw_cmd(const struct dd_inst_key *k, uint32_t path_id,
			char *buf, size_t size)
{
	struct dd_out o = { .buf = buf, .size = size };

	dd_out(&o, "withdraw ");
	dd_out_route(&o, k, path_id);
	dd_out(&o, "\n");
	return o.over ? -ENOSPC : (int)o.len;
}

/* --- ExaBGP's JSON -------------------------------------------------------- */

static int dd_json_addr(json_t *v, struct dc_addr *a)
{
	const char *s = json_string_value(v);

	return s ? dc_parse_addr(s, a) : -1;
}

/* "192.0.2.1/32" or "2001:db8::1/128": a host route only */
static int dd_json_host_prefix(const char *s, struct dc_addr *a)
{
	char buf[DC_ADDR_STRLEN + 5];
	const char *slash;
	size_t n;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= DC_ADDR_STRLEN)
		return -1;
	n = slash - s;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (dc_parse_addr(buf, a))
		return -1;
	return strcmp(slash + 1, a->family == AF_INET ? "32" : "128") ? -1 : 0;
}

static bool dd_addr_unspecified(const struct dc_addr *a)
{
	return a->family == AF_INET ? !a->u.in.s_addr :
	       IN6_IS_ADDR_UNSPECIFIED(&a->u.in6);
}

/* "0.0.0.7": ExaBGP writes path identifiers as dotted quads */
static int dd_json_path_id(json_t *v, uint32_t *id)
{
	const char *s = json_string_value(v);
	struct in_addr in;

	if (!v) {
		*id = 0;
		return 0;
	}
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*id = ntohl(in.s_addr);
	return 0;
}

/* an element of an NLRI list: { "nlri": P, "path-information": I } or P */
static int dd_json_nlri(json_t *v, struct dd_bgp_path *p)
{
	if (json_is_string(v))
		return dd_json_host_prefix(json_string_value(v), &p->prefix) ?:
		       dd_json_path_id(NULL, &p->path_id);
	if (!json_is_object(v))
		return -1;
	if (dd_json_host_prefix(json_string_value(json_object_get(v, "nlri")),
				&p->prefix))
		return -1;
	return dd_json_path_id(json_object_get(v, "path-information"),
			       &p->path_id);
}

static bool dd_family_ok(const char *family)
{
	return !strcmp(family, "ipv4 unicast") || !strcmp(family, "ipv6 unicast");
}

/*
 * A JSON number that is a whole number from 0 to 2^32 - 1.  Numbers are
 * read as doubles (JSON_DECODE_INT_AS_REAL): ExaBGP writes extended
 * communities as unsigned 64-bit integers, which jansson's integers do not
 * hold, and a line it cannot read would lose the whole UPDATE.
 */
static int dd_json_u32(json_t *v, uint32_t *out)
{
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!(d >= 0 && d <= UINT32_MAX) || d != (double)(uint32_t)d)
		return -1;
	*out = (uint32_t)d;
	return 0;
}

/*
 * Our large communities of one UPDATE, into @p (everything but the key's
 * D-SID and D-BID); -1 if they are not a valid dyncast instance.
 */
static int dd_json_communities(const struct dd_bgp_codec *c, json_t *attr,
			       struct dd_bgp_path *p)
{
	json_t *lcs = json_object_get(attr, "large-community"), *lc;
	struct dd_record *r = &p->rec;
	uint32_t seen = 0, probe6[4];
	unsigned int m;
	size_t i;

	if (!json_is_array(lcs))
		return -1;
	json_array_foreach(lcs, i, lc) {
		uint32_t g, kind, v;

		if (!json_is_array(lc) || json_array_size(lc) != 3 ||
		    dd_json_u32(json_array_get(lc, 0), &g) ||
		    dd_json_u32(json_array_get(lc, 1), &kind) ||
		    dd_json_u32(json_array_get(lc, 2), &v))
			return -1;
		if (g != c->asn)
			continue;	/* someone else's */
		if (kind == 0 || kind >= __DD_LC_MAX)
			continue;	/* a kind of a later version */
		if (seen & (1u << kind))
			return -1;
		seen |= 1u << kind;
		switch (kind) {
		case DD_LC_SERVICE:
			r->key.svc.proto = v >> 16;
			r->key.svc.port = v & 0xffff;
			if (r->key.svc.proto != IPPROTO_TCP &&
			    r->key.svc.proto != IPPROTO_UDP)
				return -1;
			continue;
		case DD_LC_AGENT:
			p->agent = v;
			continue;
		case DD_LC_STATE:
			if (v > DD_STATE_DOWN)
				return -1;
			r->state = v;
			continue;
		case DD_LC_BID_PORT:
			if (v > UINT16_MAX)
				return -1;
			r->bid_port = v;
			continue;
		case DD_LC_PROBE_PORT:
			if (!v || v > UINT16_MAX)
				return -1;
			p->probe.port = v;
			continue;
		case DD_LC_PROBE4:
			p->probe.addr.family = AF_INET;
			p->probe.addr.u.in.s_addr = htonl(v);
			continue;
		case DD_LC_PROBE6:
		case DD_LC_PROBE6 + 1:
		case DD_LC_PROBE6 + 2:
		case DD_LC_PROBE6 + 3:
			probe6[kind - DD_LC_PROBE6] = htonl(v);
			continue;
		}
		for (m = 0; m < DD_M_COUNT; m++)
			if (dd_lc_of_metric[m] == kind)
				break;
		if (m == DD_M_COUNT)
			continue;
		if ((m == DD_M_CPU || m == DD_M_GPU) && v > DD_LOAD_MAX)
			return -1;
		if (m == DD_M_WEIGHT && v > DYNCAST_WEIGHT_MAX)
			return -1;
		if (m == DD_M_SERVICE_TIME && v > DD_SERVICE_TIME_MAX)
			return -1;
		r->m[m] = v;
		r->present |= 1u << m;
	}
	if (!(seen & (1u << DD_LC_SERVICE)) || !(seen & (1u << DD_LC_AGENT)))
		return -1;
	/* the probe's place: a port and one whole address, or nothing */
	m = (seen >> DD_LC_PROBE6) & 15;
	if (m && (m != 15 || (seen & (1u << DD_LC_PROBE4))))
		return -1;
	if (m == 15) {
		p->probe.addr.family = AF_INET6;
		memcpy(&p->probe.addr.u.in6, probe6, 16);
	}
	if (!p->probe.addr.family != !p->probe.port)
		return -1;
	return 0;
}

static enum dd_bgp_event dd_json_update(const struct dd_bgp_codec *c,
					json_t *upd, const struct dc_addr *peer,
					dd_bgp_path_cb cb, void *data,
					struct dd_bgp_counts *cnt)
{
	json_t *attr = json_object_get(upd, "attribute");
	json_t *ann = json_object_get(upd, "announce");
	json_t *wd = json_object_get(upd, "withdraw");
	json_t *fam, *hops, *list, *v;
	const char *family, *hop;
	struct dd_bgp_path base, p;
	bool valid;
	size_t i;

	memset(&base, 0, sizeof(base));
	base.peer = *peer;
	json_object_foreach(wd, family, list) {
		if (!dd_family_ok(family) || !json_is_array(list))
			continue;
		json_array_foreach(list, i, v) {
			p = base;
			p.withdrawn = true;
			if (dd_json_nlri(v, &p))
				continue;	/* not a path of ours */
			cnt->paths++;
			cb(data, &p);
		}
	}
	valid = json_is_object(attr) && !dd_json_communities(c, attr, &base);
	json_object_foreach(ann, family, fam) {
		if (!dd_family_ok(family) || !json_is_object(fam))
			continue;
		json_object_foreach(fam, hop, hops) {
			struct dc_addr bid;
			bool ok = valid && !dc_parse_addr(hop, &bid) &&
				  !dd_addr_unspecified(&bid);

			/* an IPv6 next hop's link-local half: the same paths */
			if (ok && bid.family == AF_INET6 &&
			    IN6_IS_ADDR_LINKLOCAL(&bid.u.in6))
				continue;
			if (!json_is_array(hops))
				continue;
			json_array_foreach(hops, i, v) {
				p = base;
				if (dd_json_nlri(v, &p)) {
					cnt->malformed++;
					continue;
				}
				cnt->paths++;
				/* what the kernel would refuse */
				p.valid = ok && bid.family == p.prefix.family &&
					  dc_addr_unicast(&p.prefix) &&
					  dc_addr_unicast(&bid);
				if (!p.valid) {
					/* treat as withdrawn (RFC 7606) */
					cnt->malformed++;
					p.withdrawn = true;
					memset(&p.rec, 0, sizeof(p.rec));
				} else {
					p.rec.key.svc.sid = p.prefix;
					p.rec.key.bid = bid;
				}
				cb(data, &p);
			}
		}
	}
	return DD_BGP_EV_UPDATE;
}

enum dd_bgp_event dd_bgp_parse(const struct dd_bgp_codec *c,
			       const char *line, struct dc_addr *peer,
			       dd_bgp_path_cb cb, void *data,
			       struct dd_bgp_counts *cnt)
{
	enum dd_bgp_event ev = DD_BGP_EV_BAD;
	json_t *root, *nb, *msg;
	const char *type;

	memset(peer, 0, sizeof(*peer));
	if (!strcmp(line, "done"))
		return DD_BGP_EV_ACK;
	if (!strcmp(line, "error"))
		return DD_BGP_EV_ERROR;
	if (*line != '{')
		return DD_BGP_EV_BAD;
	root = json_loads(line, JSON_DECODE_INT_AS_REAL, NULL);
	if (!json_is_object(root))
		goto out;
	type = json_string_value(json_object_get(root, "type"));
	nb = json_object_get(root, "neighbor");
	if (!type)
		goto out;
	ev = DD_BGP_EV_NONE;
	if (strcmp(type, "state") && strcmp(type, "update"))
		goto out;
	ev = DD_BGP_EV_BAD;
	if (!json_is_object(nb) ||
	    dd_json_addr(json_object_get(json_object_get(nb, "address"), "peer"),
			 peer))
		goto out;
	if (!strcmp(type, "state")) {
		const char *st = json_string_value(json_object_get(nb, "state"));

		if (!st)
			goto out;
		ev = !strcmp(st, "up") ? DD_BGP_EV_UP :
		     !strcmp(st, "down") ? DD_BGP_EV_DOWN : DD_BGP_EV_NONE;
		goto out;
	}
	/* only what ExaBGP received; "send" copies are not configured */
	type = json_string_value(json_object_get(nb, "direction"));
	if (type && strcmp(type, "receive")) {
		ev = DD_BGP_EV_NONE;
		goto out;
	}
	msg = json_object_get(nb, "message");
	if (!json_is_object(msg))
		goto out;
	if (json_object_get(msg, "eor")) {
		ev = DD_BGP_EV_NONE;
		goto out;
	}
	if (!json_is_object(json_object_get(msg, "update")))
		goto out;
	ev = dd_json_update(c, json_object_get(msg, "update"), peer, cb, data,
			    cnt);
out:
	json_decref(root);
	return ev;
}
