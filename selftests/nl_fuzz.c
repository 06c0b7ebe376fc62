// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of the dyncast generic netlink family.
 *
 * Sends COUNT requests, each of one of three kinds:
 *   valid      a well-formed request of a small vocabulary (services,
 *              instances with metrics, bindings, counters, dumps), on a few
 *              service and instance addresses, so that the fuzzing keeps
 *              changing a real configuration;
 *   generated  a random command, flags and version, with a random tree of
 *              attributes: types in and just past each nest's range, every
 *              length from none to too long, interesting and random values,
 *              nests in place of values and the other way round, repeats;
 *   mutated    a valid request with one to four mutations: bytes flipped,
 *              attribute lengths and types changed, attributes repeated,
 *              cut or inserted, the message cut short.
 * Every request asks for an acknowledgment, and each must be answered: an
 * error or an ack, or a dump ending in NLMSG_DONE, within 5 seconds.  The
 * netlink header itself is always right: the kernel drops a message whose
 * header lies about its length without a word, which says nothing of
 * dyncast.
 *
 * Afterwards the configuration must hold together: every dumped instance
 * belongs to a dumped service, each service counts as many instances as
 * the dump shows, the counters count as many services, and a new service
 * can still be added, shown and removed.  The kernel must not have warned.
 *
 *   nl_fuzz [ -n COUNT ] [ -s SEED ]
 *
 * Run in the D-Router's namespace of nl_fuzz.sh, with traffic flowing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/dyncast.h>

#include "ktap.h"

#define BUF_SIZE	8192
#define MAX_DEPTH	3
#define ANSWER_MS	5000

static struct mnl_socket *nl;
static uint16_t family_id;
static unsigned int seq;
static uint64_t rng;
static char req[BUF_SIZE];
static char rbuf[65536];

/* xorshift64*: reproducible from the seed the run prints */
static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL) >> 32;
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* --- the answer ----------------------------------------------------------- */

struct tally {
	unsigned long sent, acked, errors, dumps, unanswered;
	unsigned long err[135];
};

static struct tally t;

/*
 * Read what the kernel answers to the request numbered @s: 0 once an ack,
 * an error or the end of a dump came, -1 when nothing did in time.
 * *@err gets the error (0 for an ack or a dump).
 */
static int answer(unsigned int s, int *err)
{
	int fd = mnl_socket_get_fd(nl);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		long left;
		int len;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ANSWER_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
				    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		len = recv(fd, rbuf, sizeof(rbuf), 0);
		if (len < 0) {
			if (errno == ENOBUFS)
				continue;
			return -1;
		}
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != s)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				*err = 0;
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				*err = e->error;
				return 0;
			}
		}
	}
}

static bool send_req(struct nlmsghdr *nlh)
{
	int err = 0;

	nlh->nlmsg_seq = ++seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	t.sent++;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ktap_msg("send: %s", strerror(errno));
		t.unanswered++;
		return false;
	}
	if (answer(seq, &err)) {
		t.unanswered++;
		ktap_msg("request %u (cmd %u, %u bytes) unanswered", seq,
			 ((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 nlh->nlmsg_len);
		return false;
	}
	if (err) {
		t.errors++;
		if (-err > 0 && -err < (int)(sizeof(t.err) / sizeof(t.err[0])))
			t.err[-err]++;
	} else {
		t.acked++;
	}
	return true;
}

/* --- building ------------------------------------------------------------- */

static struct nlmsghdr *start(uint8_t cmd, uint16_t flags, uint8_t version)
{
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static const char *const sids4[] = { "10.99.0.1", "10.99.0.7", "10.99.0.8" };
static const char *const sids6[] = { "fd99::1", "fd99::7" };
static const char *const bids4[] = { "10.0.1.2", "10.0.2.2", "10.0.9.2" };
static const char *const bids6[] = { "fd01::2", "fd02::2", "fd09::2" };

static void put_addr(struct nlmsghdr *nlh, uint16_t type4, const char *a)
{
	struct in6_addr in6;
	struct in_addr in;

	if (strchr(a, ':')) {
		inet_pton(AF_INET6, a, &in6);
		mnl_attr_put(nlh, type4 + 1, sizeof(in6), &in6);
	} else {
		inet_pton(AF_INET, a, &in);
		mnl_attr_put(nlh, type4, sizeof(in), &in);
	}
}

/* A service nest on one of a few keys; v6 says which family. */
static bool put_service(struct nlmsghdr *nlh, bool settings)
{
	bool v6 = chance(40);
	struct nlattr *n = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	static const uint16_t ports[] = { 7, 53, 0 };

	put_addr(nlh, DYNCAST_A_SERVICE_ADDR4,
		 v6 ? sids6[below(2)] : sids4[below(3)]);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO,
			chance(50) ? IPPROTO_TCP : IPPROTO_UDP);
	mnl_attr_put_u16(nlh, DYNCAST_A_SERVICE_PORT, htons(ports[below(3)]));
	if (settings) {
		if (chance(40))
			mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_MODE, below(2));
		if (chance(30))
			mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_AFFINITY, below(3));
		if (chance(20))
			mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_SRC_PREFIX,
					below(v6 ? 129 : 33));
		if (chance(30))
			mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_TIMEOUT,
					 1 + below(600));
		if (chance(30))
			mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_POLICY, below(3));
		if (chance(20))
			mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_MAX_BINDINGS,
					 below(1000));
		if (chance(10)) {
			uint8_t key[DYNCAST_KEY_LEN];
			unsigned int i;

			for (i = 0; i < sizeof(key); i++)
				key[i] = rnd();
			mnl_attr_put(nlh, DYNCAST_A_SERVICE_KEY, sizeof(key), key);
		}
	}
	mnl_attr_nest_end(nlh, n);
	return v6;
}

static void put_instance(struct nlmsghdr *nlh, bool v6, bool settings)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE);

	put_addr(nlh, DYNCAST_A_INSTANCE_ADDR4,
		 v6 ? bids6[below(3)] : bids4[below(3)]);
	if (settings) {
		if (chance(40))
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_WEIGHT, below(10));
		if (chance(20))
			mnl_attr_put_u8(nlh, DYNCAST_A_INSTANCE_STATE, below(3));
		if (chance(50))
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_CPU, below(1001));
		if (chance(30))
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_SESSIONS, rnd());
		if (chance(30))
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_QUEUE, below(100));
		if (chance(30))
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_COST, below(100000));
	}
	mnl_attr_nest_end(nlh, n);
}

/* A well-formed request of the vocabulary. */
static struct nlmsghdr *valid(void)
{
	struct nlmsghdr *nlh;
	unsigned int i, n;
	bool v6;

	switch (below(10)) {
	case 0:
		nlh = start(DYNCAST_CMD_SERVICE_NEW, 0, 1);
		put_service(nlh, true);
		return nlh;
	case 1:
		nlh = start(DYNCAST_CMD_SERVICE_SET, 0, 1);
		put_service(nlh, true);
		return nlh;
	case 2:
		nlh = start(DYNCAST_CMD_SERVICE_DEL, 0, 1);
		put_service(nlh, false);
		return nlh;
	case 3:
	case 4:
		nlh = start(chance(50) ? DYNCAST_CMD_INSTANCE_NEW :
					 DYNCAST_CMD_INSTANCE_SET, 0, 1);
		v6 = put_service(nlh, false);
		n = 1 + below(3);
		for (i = 0; i < n; i++)
			put_instance(nlh, v6, true);
		return nlh;
	case 5:
		nlh = start(DYNCAST_CMD_INSTANCE_DEL, 0, 1);
		v6 = put_service(nlh, false);
		put_instance(nlh, v6, false);
		return nlh;
	case 6:
		nlh = start(DYNCAST_CMD_BINDING_FLUSH, 0, 1);
		if (chance(50))
			put_service(nlh, false);
		return nlh;
	case 7:
		return start(DYNCAST_CMD_STATS_GET, 0, 1);
	case 8: {
		static const uint8_t dumps[] = {
			DYNCAST_CMD_SERVICE_GET, DYNCAST_CMD_INSTANCE_GET,
			DYNCAST_CMD_BINDING_GET,
		};

		nlh = start(dumps[below(3)], NLM_F_DUMP, 1);
		if (chance(30))
			put_service(nlh, false);
		return nlh;
	}
	default:
		nlh = start(DYNCAST_CMD_INSTANCE_GET, 0, 1);
		v6 = put_service(nlh, false);
		put_instance(nlh, v6, false);
		return nlh;
	}
}

/* How many attribute types each nest has, and its own range. */
static const uint16_t nest_max[] = {
	DYNCAST_A_MAX, DYNCAST_A_SERVICE_MAX, DYNCAST_A_INSTANCE_MAX,
	DYNCAST_A_BINDING_MAX, DYNCAST_A_STATS_MAX,
};

static void random_payload(uint8_t *p, unsigned int len)
{
	static const uint8_t interesting[] = { 0, 1, 2, 6, 17, 0x7f, 0x80, 0xff };
	unsigned int i;

	switch (below(4)) {
	case 0:
		memset(p, 0, len);
		break;
	case 1:
		memset(p, 0xff, len);
		break;
	case 2:
		for (i = 0; i < len; i++)
			p[i] = interesting[below(sizeof(interesting))];
		break;
	default:
		for (i = 0; i < len; i++)
			p[i] = rnd();
	}
}

/* A random tree of attributes, as if of nest @set, into @nlh. */
static void random_attrs(struct nlmsghdr *nlh, unsigned int set,
			 unsigned int depth)
{
	static const unsigned int lens[] = { 0, 1, 2, 3, 4, 5, 8, 12, 16, 17, 31, 32, 33 };
	unsigned int i, n = below(7);
	uint8_t payload[300];

	for (i = 0; i < n; i++) {
		uint16_t type = below(nest_max[set] + 3);
		unsigned int len;

		if (nlh->nlmsg_len > BUF_SIZE - 400)
			return;
		if (depth < MAX_DEPTH && chance(25)) {
			struct nlattr *nest = mnl_attr_nest_start(nlh, type);

			/* inside a top-level nest, that nest's types */
			random_attrs(nlh, set ? set : (type <= 4 ? type : below(5)),
				     depth + 1);
			if (chance(50))
				nest->nla_type &= ~NLA_F_NESTED;
			mnl_attr_nest_end(nlh, nest);
			continue;
		}
		len = chance(80) ? lens[below(sizeof(lens) / sizeof(lens[0]))] :
				   below(sizeof(payload));
		random_payload(payload, len);
		mnl_attr_put(nlh, type, len, payload);
	}
}

static struct nlmsghdr *generated(void)
{
	static const uint16_t flag_bits[] = {
		NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
		NLM_F_APPEND, NLM_F_ECHO, NLM_F_ATOMIC,
	};
	uint16_t flags = 0;
	struct nlmsghdr *nlh;
	unsigned int i;

	for (i = 0; i < sizeof(flag_bits) / sizeof(flag_bits[0]); i++)
		if (chance(10))
			flags |= flag_bits[i];
	nlh = start(below(DYNCAST_CMD_MAX + 4), flags,
		    chance(80) ? 1 : below(4));
	random_attrs(nlh, 0, 0);
	return nlh;
}

/* The attributes of @nlh, to pick one: up to 64, at any depth. */
static unsigned int attrs_of(struct nlmsghdr *nlh, struct nlattr **out)
{
	char *p = (char *)mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	char *end = (char *)nlh + nlh->nlmsg_len;
	unsigned int n = 0;

	while (p + NLA_HDRLEN <= end && n < 64) {
		struct nlattr *a = (struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		out[n++] = a;
		/* into nests, else over the attribute */
		if ((a->nla_type & NLA_F_NESTED) && a->nla_len > NLA_HDRLEN)
			p += NLA_HDRLEN;
		else
			p += NLA_ALIGN(a->nla_len);
	}
	return n;
}

static void mutate(struct nlmsghdr *nlh)
{
	unsigned int body = GENL_HDRLEN + NLMSG_HDRLEN, len = nlh->nlmsg_len;
	struct nlattr *attrs[64], *a;
	unsigned int n = attrs_of(nlh, attrs), off;
	uint8_t *p = (uint8_t *)nlh;

	if (len <= body)
		return;
	switch (below(8)) {
	case 0:		/* flip bits of the body */
		p[body + below(len - body)] ^= 1u << below(8);
		break;
	case 1:		/* an attribute says it is longer or shorter */
		if (!n)
			break;
		a = attrs[below(n)];
		a->nla_len = chance(50) ? a->nla_len + 1 + below(8) :
					  below(a->nla_len + 1);
		break;
	case 2:		/* another type, or the nest flag */
		if (!n)
			break;
		a = attrs[below(n)];
		if (chance(50))
			a->nla_type ^= NLA_F_NESTED;
		else
			a->nla_type = (a->nla_type & NLA_F_NESTED) | below(40);
		break;
	case 3:		/* an attribute once more, at the end */
		if (!n)
			break;
		a = attrs[below(n)];
		if (len + NLA_ALIGN(a->nla_len) <= BUF_SIZE &&
		    (char *)a + a->nla_len <= (char *)nlh + len) {
			memmove(p + len, a, a->nla_len);
			nlh->nlmsg_len = len + NLA_ALIGN(a->nla_len);
		}
		break;
	case 4:		/* the message cut short */
		nlh->nlmsg_len = body + below(len - body);
		break;
	case 5:		/* the genetlink command or version */
		((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd = below(20);
		break;
	case 6:		/* a random attribute inserted at the end */
		random_attrs(nlh, below(5), 1);
		break;
	default:	/* a run of random bytes */
		off = body + below(len - body);
		for (; off < len && chance(85); off++)
			p[off] = rnd();
	}
}

/* --- the family and the checks --------------------------------------------- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

/* A request answered by @cb's messages; 0 or -errno. */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	int len, ret;

	nlh->nlmsg_seq = ++seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(rbuf, len, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
}

static int resolve_family(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct genlmsghdr *g;

	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DYNCAST_FAMILY_NAME);
	return talk(nlh, family_cb, &family_id);
}

#define MAX_OBJS	256

struct objs {
	unsigned int n;
	char key[MAX_OBJS][64];		/* the service: "sid/proto/port" */
	unsigned int instances[MAX_OBJS];
	bool interrupted;
};

static void svc_key(const struct nlattr *nest, char *out)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned int proto = 0, port = 0;
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case DYNCAST_A_SERVICE_ADDR4:
			inet_ntop(AF_INET, mnl_attr_get_payload(a), addr, sizeof(addr));
			break;
		case DYNCAST_A_SERVICE_ADDR6:
			inet_ntop(AF_INET6, mnl_attr_get_payload(a), addr, sizeof(addr));
			break;
		case DYNCAST_A_SERVICE_PROTO:
			proto = mnl_attr_get_u8(a);
			break;
		case DYNCAST_A_SERVICE_PORT:
			port = ntohs(mnl_attr_get_u16(a));
			break;
		}
	}
	snprintf(out, 64, "%s/%u/%u", addr, proto, port);
}

static int objs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct objs *o = data;
	struct nlattr *a, *b;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		o->interrupted = true;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != DYNCAST_A_SERVICE || o->n >= MAX_OBJS)
			continue;
		svc_key(a, o->key[o->n]);
		o->instances[o->n] = 0;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == DYNCAST_A_SERVICE_INSTANCES)
				o->instances[o->n] = mnl_attr_get_u32(b);
		o->n++;
	}
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == DYNCAST_A_STATS)
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) == DYNCAST_A_STATS_SERVICES)
					*(uint32_t *)data = mnl_attr_get_u32(b);
	return MNL_CB_OK;
}

static int find(const struct objs *o, const char *key)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->key[i], key))
			return i;
	return -1;
}

/* The configuration holds together. */
static bool consistent(void)
{
	static struct objs svcs, insts;
	unsigned int i, counted[MAX_OBJS] = { 0 };
	uint32_t nsvc = ~0u;
	bool ok = true;
	int tries, k;

	/* the fuzzing is over: a dump is interrupted only by ... nothing */
	for (tries = 0; tries < 3; tries++) {
		memset(&svcs, 0, sizeof(svcs));
		memset(&insts, 0, sizeof(insts));
		if (talk(start(DYNCAST_CMD_SERVICE_GET, NLM_F_DUMP, 1), objs_cb, &svcs) ||
		    talk(start(DYNCAST_CMD_INSTANCE_GET, NLM_F_DUMP, 1), objs_cb, &insts) ||
		    talk(start(DYNCAST_CMD_STATS_GET, 0, 1), stats_cb, &nsvc)) {
			ktap_msg("dumps failed: %s", strerror(errno));
			return false;
		}
		if (!svcs.interrupted && !insts.interrupted)
			break;
	}
	ktap_msg("afterwards: %u services, %u instances, counters say %u services",
		 svcs.n, insts.n, nsvc);
	if (nsvc != svcs.n) {
		ktap_msg("the counters count %u services, the dump shows %u",
			 nsvc, svcs.n);
		ok = false;
	}
	for (i = 0; i < insts.n; i++) {
		k = find(&svcs, insts.key[i]);
		if (k < 0) {
			ktap_msg("instance of %s, a service not dumped", insts.key[i]);
			ok = false;
			continue;
		}
		counted[k]++;
	}
	for (i = 0; i < svcs.n; i++) {
		if (counted[i] != svcs.instances[i]) {
			ktap_msg("service %s says %u instances, the dump shows %u",
				 svcs.key[i], svcs.instances[i], counted[i]);
			ok = false;
		}
	}
	return ok;
}

/* A service can still be added, shown and removed. */
static bool still_works(void)
{
	struct objs got = {};
	struct nlmsghdr *nlh;
	struct nlattr *n;
	int ret;

	nlh = start(DYNCAST_CMD_SERVICE_NEW, 0, 1);
	n = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_addr(nlh, DYNCAST_A_SERVICE_ADDR4, "10.99.0.250");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
	mnl_attr_nest_end(nlh, n);
	ret = talk(nlh, NULL, NULL);
	if (!ret) {
		nlh = start(DYNCAST_CMD_SERVICE_GET, 0, 1);
		n = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
		put_addr(nlh, DYNCAST_A_SERVICE_ADDR4, "10.99.0.250");
		mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
		mnl_attr_nest_end(nlh, n);
		ret = talk(nlh, objs_cb, &got);
	}
	if (!ret) {
		nlh = start(DYNCAST_CMD_SERVICE_DEL, 0, 1);
		n = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
		put_addr(nlh, DYNCAST_A_SERVICE_ADDR4, "10.99.0.250");
		mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
		mnl_attr_nest_end(nlh, n);
		ret = talk(nlh, NULL, NULL);
	}
	if (ret)
		ktap_msg("add, get, del of 10.99.0.250: %s", strerror(-ret));
	return !ret && got.n == 1 && !strcmp(got.key[0], "10.99.0.250/6/0");
}

static unsigned long tainted(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long count = 5000, i, kinds[3] = { 0 };
	unsigned long taint0, seed = 0;
	time_t start;
	int one = 1, c;

	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: nl_fuzz [ -n COUNT ] [ -s SEED ]\n");
			return KSFT_FAIL;
		}
	}
	if (!seed)
		seed = time(NULL) ^ getpid();
	rng = seed * 0x9e3779b97f4a7c15ULL | 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		ktap_skip_all("no generic netlink");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		perror("netlink socket");
		return KSFT_FAIL;
	}
	seq = rnd();
	if (resolve_family() || !family_id) {
		/* the module was loaded: its family missing is a failure */
		ktap_result(false, "family " DYNCAST_FAMILY_NAME " resolves");
		ktap_finished();
	}

	ktap_plan(4);
	ktap_msg("seed %lu (nl_fuzz -s %lu repeats this run), %lu requests",
		 seed, seed, count);
	taint0 = tainted();
	start = time(NULL);
	for (i = 0; i < count; i++) {
		struct nlmsghdr *nlh;
		unsigned int kind = below(100);

		if (kind < 25) {
			nlh = valid();
			kinds[0]++;
		} else if (kind < 60) {
			nlh = generated();
			kinds[1]++;
		} else {
			unsigned int m = 1 + below(4);

			nlh = valid();
			while (m--)
				mutate(nlh);
			kinds[2]++;
		}
		if (!send_req(nlh) && t.unanswered > 10)
			break;
		/* long runs (FUZZ_COUNT) show their pace */
		if ((i + 1) % 10000 == 0)
			ktap_msg("%lu requests sent, %ld s", i + 1,
				 (long)(time(NULL) - start));
	}
	ktap_msg("sent %lu: %lu valid, %lu generated, %lu mutated", t.sent,
		 kinds[0], kinds[1], kinds[2]);
	ktap_msg("answers: %lu acks or dumps, %lu errors (EINVAL %lu, ERANGE %lu, ENOENT %lu, EEXIST %lu, EOPNOTSUPP %lu, EPERM %lu, other %lu), %lu unanswered",
		 t.acked, t.errors, t.err[EINVAL], t.err[ERANGE],
		 t.err[ENOENT], t.err[EEXIST], t.err[EOPNOTSUPP], t.err[EPERM],
		 t.errors - t.err[EINVAL] - t.err[ERANGE] - t.err[ENOENT] -
		 t.err[EEXIST] - t.err[EOPNOTSUPP] - t.err[EPERM],
		 t.unanswered);
	ktap_result(t.sent == count && !t.unanswered,
		    "%lu requests, every one answered", count);
	ktap_result(!((tainted() & ~taint0) & (1 << 9 | 1 << 7)),
		    "the kernel did not warn or oops");
	ktap_result(consistent(), "the configuration holds together");
	ktap_result(still_works(), "a valid request still works");
	mnl_socket_close(nl);
	ktap_finished();
}
