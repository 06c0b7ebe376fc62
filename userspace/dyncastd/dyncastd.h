/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncastd: the metric agent (D-MA) and the control plane of a D-Router.
 * The state of one running daemon, and the interfaces between its files.
 */
#ifndef DYNCASTD_H
#define DYNCASTD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "bgp.h"
#include "collect.h"
#include "config.h"
#include "htab.h"
#include "log.h"
#include "loop.h"
#include "nl.h"
#include "plan.h"
#include "policy.h"
#include "proto.h"
#include "rtt.h"
#include "svctime.h"

#define DD_VERSION		"0.1.0"
#define DD_SITES_MAX		4096
#define DD_SITE_HASH_BITS	10
/* a cost moved by no more than this is not pushed again */
#define DD_COST_SLACK_US	200
#define DD_SENDERS_MAX		1024
#define DD_CTL_CLIENTS		8

/* How often the router compares the kernel's instances with its own, ms */
#define DD_AUDIT_MS		30000

/* counters of the daemon, and of each peer for what it received from it */
enum dd_counter {
	DD_C_RX,		/* datagrams received */
	DD_C_TX,		/* datagrams sent */
	DD_C_TX_ERRORS,
	DD_C_ANNOUNCES,		/* valid announcements received */
	DD_C_RECORDS,		/* records applied */
	DD_C_STALE,		/* records older than what we hold */
	DD_C_DUPLICATES,	/* records we hold already */
	DD_C_LOOPS,		/* origin blocks that came back to us */
	DD_C_UNKNOWN_SERVICE,	/* records of services not configured */
	DD_C_TABLE_FULL,	/* records dropped, max-instances reached */
	DD_C_NOT_ROUTER,	/* announcements to a pure D-MA */
	DD_C_RELAYED,		/* records relayed */
	DD_C_PROBES,		/* probes answered */
	DD_C_PROBE_REPLIES,	/* probe replies matched */
	DD_C_KERNEL_ERRORS,
	DD_C_REPORTS,		/* report socket datagrams applied */
	DD_C_BAD_REPORTS,
	DD_C_REFUSED_REPORTS,	/* from a user not allowed */
	DD_C_RX_NEXT_KEY,	/* messages signed with next-key */
	DD_C_CT_READ,		/* conntrack entries read to count sessions */
	DD_C_SOCK_READ,		/* sockets read to count sessions */
	DD_C_SVCT_EVENTS,	/* conntrack events read to measure service times */
	DD_C_SVCT_LOST,		/* times events were lost (a full buffer) */
	DD_C_SVCT_UNTRACKED,	/* connections not followed: too many open */
	DD_C_BGP_COMMANDS,	/* commands given to the BGP speaker */
	DD_C_BGP_REFUSED,	/* of which it refused */
	DD_C_BGP_REFUSED_CONN,	/* second speakers refused */
	DD_C_BGP_REFUSED_USER,	/* speakers of a user not allowed refused */
	DD_C_BGP_PATHS,		/* paths announced or withdrawn to us */
	DD_C_BGP_MALFORMED,	/* not valid instances: ignored (withdrawn) */
	DD_C_WRONG_TRANSPORT,	/* agent announcements while BGP carries them */
	DD_C_KERNEL_REPAIRED,	/* instances the audit found missing */
	DD_C_PASSIVE_RTT,	/* handshakes timed (passive RTT samples) */
	DD_C_COUNT,
};

extern const char *const dd_counter_names[DD_C_COUNT];

struct dd_counters {
	uint64_t c[DD_C_COUNT];
	uint64_t drop[DD_DROP_COUNT];
};

struct dd_peer {
	struct dd_peer_cfg cfg;
	uint32_t id;			/* learnt from its messages, 0 unknown */
	uint64_t last_rx, last_tx;	/* ms */
	struct dd_rtt rtt;
	struct dd_counters cnt;
	bool stale;			/* gone from the configuration */
};

/* an agent whose instances we learnt (an origin) */
struct dd_site {
	struct dd_site *hnext;		/* by id */
	unsigned int idx;		/* in ctx->sites */
	uint32_t id;
	struct dc_addr addr;
	uint16_t port;
	uint32_t hold_ms;
	uint64_t seq;			/* highest origin sequence seen */
	uint64_t last_update;		/* ms */
	uint32_t via;			/* the relay it came through last, 0 direct */
	unsigned int path_len;
	struct dd_entry *entries;	/* its instances, n_entries of them */
	unsigned int n_entries;
	bool down;
	bool bgp;			/* learnt through BGP: no hold time */
	struct dd_rtt rtt;
	uint32_t rtt_seen;		/* the RTT its entries were checked at */
	uint64_t updates;
};

/*
 * The learnt instances of one service (D-SID, protocol, port), so that
 * the work on a service follows its own instances, not the table
 */
struct dd_group {
	struct dd_hnode node;		/* in ctx->groups */
	struct dd_svc_key key;
	struct dd_entry *entries;	/* n_entries of them */
	unsigned int n_entries;
	/* its service in ctx->svc (NULL none) as of ctx->svc_gen svc_gen */
	struct dd_svc_state *svc;
	uint64_t svc_gen;
};

/* a learnt instance, in the router's table */
struct dd_entry {
	struct dd_hnode node;		/* in ctx->entries */
	struct dd_record rec;		/* latest, as announced */
	uint32_t origin;		/* the agent that announced it */
	uint64_t seq;			/* its origin sequence */
	struct dd_site *site;		/* NULL: our own D-MA */
	struct dd_entry *snext, **sprev;	/* in site->entries */
	struct dd_group *group;		/* of its service, never NULL */
	struct dd_entry *gnext, **gprev;	/* in group->entries */
	uint64_t refreshed;		/* ms */
	bool held_down;			/* its origin fell silent */
	bool gone;			/* withdrawn: delete, then free */
	uint64_t tomb_until;		/* ms: kept, gone, until then */
	/* kernel */
	bool in_kernel, adopted;
	bool dirty;			/* changed since pushed */
	bool queued;			/* on ctx->kernel_queue */
	/* the kernel refused its last request (cmd, for that state): the
	 * same again not before refused_until, then waiting twice as long
	 * each time
	 */
	uint8_t refused_cmd, refused_state, refused_shift;
	uint64_t refused_until;		/* ms */
	struct dd_entry *qnext;
	struct dd_record pushed;
	uint8_t pushed_state;
	uint32_t pushed_cost;
	/* the plan of its service (kernel.c), when the service plans */
	uint64_t demands;		/* the kernel's count of ours, last read */
	uint64_t demands_at;		/* ms, 0: not read since it came */
	double own_rate;		/* our new demands a second there */
	double busy;			/* its reported load, smoothed alike;
					 * < 0 none yet
					 */
	uint64_t plan_since;		/* ms, planned (up) since; 0 not */
	uint32_t audited;		/* the audit that last saw it there */
	bool planned;			/* plan holds what to push */
	bool plan_in_kernel;		/* plan_pushed is what the kernel has */
	struct dd_plan_out plan, plan_pushed;
};

/*
 * The connections of this many health checks are no sessions or demands:
 * the instance may end a check's connection long after the next check
 */
#define DD_HC_PORTS	64

/* a local instance of the D-MA role */
struct dd_inst {
	struct dd_ctx *ctx;
	struct dd_instance_cfg cfg;
	struct dd_cpu cpu;
	bool cpu_ok;
	uint32_t sessions;
	bool sessions_ok;
	uint8_t sess_src;		/* resolved enum dd_sessions_src */
	struct dd_svct svct;		/* measure-service-time */
	bool svc_measuring;		/* ... as of the last dd_svc_sync() */
	uint8_t svc_src;		/* ... from conntrack or sockets */
	uint32_t svc_open;		/* sockets open at the last count */
	uint32_t svc_measured;		/* us, 0 none (yet) */
	struct dd_figures report, command;
	uint64_t report_at, command_at;	/* ms, 0 never */
	struct dd_smooth report_load[2];	/* reported cpu, gpu */
	/* health */
	bool healthy;
	bool hc_was_up;			/* healthy once since it was made */
	unsigned int succ, fail;
	int hc_fd;
	struct dc_addr hc_addr;		/* our end of the last check's
					 * connection, open or not
					 */
	/* the ports of the last DD_HC_PORTS checks' ends, 0: none */
	uint16_t hc_ports[DD_HC_PORTS];
	unsigned int hc_next;
	uint64_t hc_deadline;
	char hc_buf[64];
	size_t hc_len;
	bool hc_sent;
	struct dd_timer hc_timer;
	struct dd_fd hc_watch;
	/* command: a run from its start until its output and exit are in */
	bool cmd_running;
	pid_t cmd_pid;		/* 0 once reaped */
	pid_t cmd_pgid;		/* its process group: it and what it started */
	int cmd_fd;
	char cmd_buf[512];
	size_t cmd_len;
	bool cmd_eof, cmd_exited, cmd_over;
	int cmd_status;
	uint64_t cmd_deadline, cmd_next;
	struct dd_timer cmd_timer;
	struct dd_fd cmd_watch;
	/* announcing */
	struct dd_record now, announced;
	bool ever_announced;
	unsigned int withdraw_left;	/* >0: being withdrawn */
	/* BGP: its ADD-PATH identifier; what the speaker announces of it */
	uint32_t bgp_path_id;
	bool bgp_on, bgp_force;
	struct dd_record bgp_rec;
	bool stale;
};

struct dd_sender {
	uint32_t id;
	bool used;
	struct dd_replay win;
	uint64_t last;			/* ms */
};

struct dd_svc_state {
	struct dd_service_cfg cfg;
	bool ready;			/* present in the kernel */
	bool created;			/* by us */
	bool stale;			/* gone from the configuration */
	uint64_t retry_at;
	/* its plan; the slack the kernel has (if slack_known), and whether
	 * a slack there is ours to undo
	 */
	struct dd_plan_sum plan;
	bool planned;
	bool slack_known, slack_ours;
	uint32_t slack;
	/* during a kernel pass: its queued entries; made or found anew */
	struct dd_entry *queue;
	uint8_t remade;
	bool lost;			/* the kernel lost it (or may have) */
};

/* pushed_state of an instance the kernel may lack: pushed again */
#define DD_STATE_UNKNOWN	0xff
#define DD_REMADE_NEW		1	/* the kernel holds none of ours */
#define DD_REMADE_FOUND		2	/* what it holds is not known */

/* a client of the control socket, or of the metrics endpoint (HTTP) */
struct dd_ctl_client {
	int fd;
	struct dd_fd watch;
	char buf[1024];
	size_t len;
	uint64_t deadline;
	struct dd_ctx *ctx;
	bool http;
	char *out;			/* the answer, being sent */
	size_t out_len, out_off;
};

struct dd_ctx {
	struct dd_config *cfg;
	struct dd_loop loop;
	uint32_t id;
	uint64_t seq;			/* next header sequence */
	uint64_t origin_seq;		/* of our own announcements */
	uint64_t started;		/* ms */
	struct dd_counters cnt;

	int sock;
	struct dd_fd sock_watch;
	int ctl_sock;
	struct dd_fd ctl_watch;
	struct dd_ctl_client ctl[DD_CTL_CLIENTS];
	struct dd_timer ctl_timer;	/* the clients' deadlines */
	int metrics_sock;
	struct dd_fd metrics_watch;
	char *mx_cache;			/* the last scrape's text */
	size_t mx_cache_len;
	uint64_t mx_cache_at;
	struct dd_ctl_client http[DD_CTL_CLIENTS];	/* its own places */
	int report_sock;
	struct dd_fd report_watch;

	unsigned int n_peers;
	struct dd_peer *peers;
	struct dd_timer probe_timer;

	struct dd_sender senders[DD_SENDERS_MAX];

	/* D-MA */
	unsigned int n_inst;
	struct dd_inst **inst;
	struct dd_policy policy;
	struct dd_timer collect_timer, announce_timer;
	unsigned int ncpu;
	struct dd_svcw *svcw;		/* conntrack's events, if measuring */
	struct dd_passive *passive;	/* handshakes timed, if any */
	struct dd_svcs *svcs;		/* ended sockets, if measuring */

	/* router */
	struct dd_htab entries;		/* learnt instances, .n of them */
	unsigned int n_gone;		/* of them withdrawn, to be deleted */
	struct dd_htab groups;		/* the same by service */
	struct dd_site *sites[DD_SITES_MAX];
	struct dd_site *site_hash[1 << DD_SITE_HASH_BITS];
	unsigned int n_sites;
	unsigned int n_svc;
	struct dd_svc_state *svc;
	uint64_t svc_gen;		/* each new svc, from 1 */
	struct dd_timer hold_timer, kernel_timer, plan_timer, audit_timer;
	uint32_t audit_gen;		/* each service's audit, from 1 */
	struct dc_nl nl;
	bool nl_ready;
	FILE *nl_err, *nl_dbg;
	uint64_t nl_retry_at;
	bool kernel_dirty;		/* a pass is due */
	bool plan_soon;			/* an instance went up or down */
	bool in_plan, plan_again;	/* ... while a plan ran */
	uint64_t plan_earliest;		/* ms: the next plan not before */
	bool kernel_all;		/* ... over every entry */
	bool in_sync;			/* in dd_kernel_sync() */
	struct dd_entry *kernel_queue;	/* what the next pass looks at */

	struct dd_bgp *bgp;		/* the BGP transport, if configured */
};

struct json_t;

/* The control socket's answer, written one object at a time (control.c) */
struct dd_show_out {
	FILE *fp;			/* the JSON array so far */
	unsigned int kinds;		/* 1 << enum dc_show asked for */
	unsigned int n;			/* objects written */
	bool err;
};

static inline bool dd_show_want(const struct dd_show_out *so,
				enum dc_show kind)
{
	return so->kinds & (1u << kind);
}

void dd_show_put(struct dd_show_out *so, struct json_t *o);

/* main.c */
uint64_t dd_now_ms(void);
uint64_t dd_now_us(void);

/* net.c: the UDP socket, peers, probes */
int dd_net_init(struct dd_ctx *ctx);
void dd_net_exit(struct dd_ctx *ctx);
int dd_peers_apply(struct dd_ctx *ctx);
int dd_send(struct dd_ctx *ctx, struct dd_msg *msg,
	    const struct sockaddr_storage *to, socklen_t tolen);
int dd_send_addr(struct dd_ctx *ctx, struct dd_msg *msg,
		 const struct dc_addr *addr, uint16_t port);
int dd_send_origin(struct dd_ctx *ctx, const struct dd_origin *o,
		   const struct dd_record *recs, unsigned int n,
		   const struct dc_addr *addr, uint16_t port);
void dd_probe(struct dd_ctx *ctx, struct dd_rtt *r, const struct dc_addr *a,
	      uint16_t port, uint32_t to, int tag);
void dd_site_probe(struct dd_ctx *ctx, struct dd_site *s);
struct dd_peer *dd_peer_by_addr(struct dd_ctx *ctx, const struct dc_addr *a,
				uint16_t port);
void dd_sockaddr_from(struct sockaddr_storage *ss, socklen_t *len,
		      const struct dc_addr *a, uint16_t port);
void dd_addr_from_sockaddr(const struct sockaddr_storage *ss,
			   struct dc_addr *a, uint16_t *port);

/* dma.c: the D-MA role */
uint32_t dd_inst_capacity(const struct dd_inst *in);
int dd_dma_apply(struct dd_ctx *ctx);
void dd_dma_exit(struct dd_ctx *ctx);
void dd_dma_report(struct dd_ctx *ctx, const char *name,
		   const struct dd_figures *f);
void dd_dma_update(struct dd_ctx *ctx, struct dd_inst *in);
struct dd_inst *dd_dma_find(struct dd_ctx *ctx, const char *name);

/* health.c, command.c, sessions.c, report.c */
void dd_health_start(struct dd_ctx *ctx, struct dd_inst *in);
void dd_health_stop(struct dd_ctx *ctx, struct dd_inst *in);
void dd_command_start(struct dd_ctx *ctx, struct dd_inst *in);
void dd_command_stop(struct dd_ctx *ctx, struct dd_inst *in);
void dd_command_reap(struct dd_ctx *ctx);
int dd_sessions_count(struct dd_ctx *ctx);
uint16_t dd_inst_port(const struct dd_inst *in);
uint8_t dd_sess_source(const struct dd_inst *in);
bool dd_sess_match(const struct dd_inst *in, const struct dc_addr *a,
		   uint16_t port, uint8_t proto, const struct dc_addr *peer,
		   uint16_t pport);
struct nf_conntrack;
bool dd_ct_ends(const struct nf_conntrack *ct, struct dc_addr *a,
		uint16_t *port, struct dc_addr *peer, uint16_t *pport);
bool dd_diag_ends(const struct nlmsghdr *nlh, struct dc_addr *a,
		  uint16_t *port, struct dc_addr *peer, uint16_t *pport);
int dd_diag_dump(struct mnl_socket *nl, unsigned int *seq, const void *bc,
		 size_t bc_len, mnl_cb_t cb, void *data);

/* svcwatch.c */
void dd_svc_sync(struct dd_ctx *ctx);
void dd_svc_stop(struct dd_ctx *ctx);
bool dd_svc_followed(const struct dd_ctx *ctx, const struct dd_inst *in);
bool dd_svc_resync(const struct dd_ctx *ctx, const struct dd_inst *in,
		   uint8_t sess);
size_t dd_sess_bytecode(struct dd_ctx *ctx, const void **bc);
int dd_unix_bind(const char *path, int type, mode_t mode, gid_t gid);
const char *dd_unix_strerror(int err);
int dd_report_init(struct dd_ctx *ctx);
void dd_report_exit(struct dd_ctx *ctx);

/* router.c: the router role */
int dd_router_apply(struct dd_ctx *ctx);
void dd_router_flush(struct dd_ctx *ctx);
void dd_router_exit(struct dd_ctx *ctx);
void dd_router_announce(struct dd_ctx *ctx, const struct dd_msg *msg,
			const struct dc_addr *from, uint16_t port);
void dd_router_local(struct dd_ctx *ctx, const struct dd_record *recs,
		     unsigned int n);
void dd_router_probe_reply(struct dd_ctx *ctx, const struct dd_msg *msg,
			   uint64_t now_us);
void dd_entry_queue(struct dd_ctx *ctx, struct dd_entry *e);
void dd_entry_dirty(struct dd_ctx *ctx, struct dd_entry *e);
void dd_entry_free(struct dd_ctx *ctx, struct dd_entry *e);
void dd_entry_release(struct dd_ctx *ctx, struct dd_entry *e);
unsigned int dd_site_instances(const struct dd_site *s);
void dd_sites_reap(struct dd_ctx *ctx);
struct dd_entry *dd_entry_first(struct dd_ctx *ctx, unsigned int *bucket);
struct dd_entry *dd_entry_next(struct dd_ctx *ctx, struct dd_entry *e,
			       unsigned int *bucket);
uint32_t dd_entry_cost(const struct dd_ctx *ctx, const struct dd_entry *e);
struct dd_entry *dd_entry_lookup(struct dd_ctx *ctx,
				 const struct dd_inst_key *k);
uint8_t dd_entry_state(const struct dd_entry *e);
struct dd_entry *dd_svc_entries(const struct dd_ctx *ctx,
				const struct dd_svc_key *k);
struct dd_svc_state *dd_entry_svc(struct dd_ctx *ctx, const struct dd_entry *e);

/* router.c: what BGP carries (bgp.c) */
int dd_router_bgp(struct dd_ctx *ctx, const struct dd_record *r,
		  uint32_t agent, const struct dd_bgp_probe *probe,
		  uint64_t seq, bool again);
void dd_router_bgp_withdraw(struct dd_ctx *ctx, const struct dd_inst_key *k,
			    uint32_t agent, uint64_t seq);

/* router.c: plan again now (or once the last plan's pause is over) */
void dd_router_plan_soon(struct dd_ctx *ctx);

/* router.c: the instances whose handshakes are timed (passive.c) */
struct dd_entry *dd_router_rewrite_entry(struct dd_ctx *ctx,
					 const struct dc_addr *bid,
					 uint16_t port);
void dd_router_passive_rtt(struct dd_ctx *ctx, struct dd_entry *e,
			   uint32_t us);

/* passive.c: the router's passive RTT */
void dd_passive_apply(struct dd_ctx *ctx);
void dd_passive_exit(struct dd_ctx *ctx);

/* bgp.c: the BGP transport */
int dd_bgp_apply(struct dd_ctx *ctx, const struct dd_config *old);
void dd_bgp_exit(struct dd_ctx *ctx);
void dd_bgp_announce(struct dd_ctx *ctx);
void dd_bgp_status(struct dd_ctx *ctx, struct dd_show_out *so);
int dd_exabgp_relay(const char *path, uint32_t grace_ms);

/* kernel.c: pushing to the dyncast family */
int dd_kernel_open(struct dd_ctx *ctx);
void dd_kernel_close(struct dd_ctx *ctx);
void dd_kernel_sync(struct dd_ctx *ctx);
void dd_kernel_remove_service(struct dd_ctx *ctx, struct dd_svc_state *s);
void dd_kernel_plan(struct dd_ctx *ctx);
void dd_kernel_audit(struct dd_ctx *ctx);
void dd_kernel_exit(struct dd_ctx *ctx);
int dd_kernel_read(struct dd_ctx *ctx, uint8_t cmd, bool dump, mnl_cb_t cb,
		   void *data);
bool dd_cost_moved(uint32_t cost, uint32_t old);

/* control.c: the control socket, and the metrics endpoint's HTTP */
int dd_control_init(struct dd_ctx *ctx);
void dd_control_exit(struct dd_ctx *ctx);
int dd_metrics_init(struct dd_ctx *ctx);
void dd_metrics_reload(struct dd_ctx *ctx, const struct dd_config *old);
void dd_metrics_exit(struct dd_ctx *ctx);

/* metrics.c */
char *dd_metrics_text(struct dd_ctx *ctx, size_t *len);
void dd_metrics_free(struct dd_ctx *ctx);

#endif /* DYNCASTD_H */
