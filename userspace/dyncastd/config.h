/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file: an INI file read with libinih.  See dyncastd(8)
 * and dyncastd.conf.example for the keys.
 */
#ifndef DD_CONFIG_H
#define DD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"
#include "policy.h"
#include "proto.h"

#define DD_NAME_MAX		32
/* dyncastd's directory in /run (systemd's RuntimeDirectory=), made when
 * missing, and the control socket's default place in it
 */
#define DD_RUN_DIR		"/run/dyncast"
#define DD_CONTROL_DEFAULT	DC_CONTROL_SOCKET
/* where ExaBGP's API process (dyncastd --exabgp) connects, by default */
#define DD_BGP_SOCKET_DEFAULT	DD_RUN_DIR "/bgp.sock"
#define DD_PEERS_MAX		64
#define DD_INSTANCES_MAX	256
#define DD_SERVICES_MAX		256
#define DD_CMD_MAX		256
#define DD_SUN_PATH_MAX		108

enum dd_sessions_src {
	DD_SESS_AUTO,		/* sockets if the D-BID is local, else conntrack */
	DD_SESS_CONNTRACK,
	DD_SESS_SOCKETS,
	DD_SESS_OFF,
};

enum dd_health_kind {
	DD_HEALTH_OFF,
	DD_HEALTH_TCP,
	DD_HEALTH_HTTP,
};

struct dd_peer_cfg {
	char name[DD_NAME_MAX];
	struct dc_addr addr;
	uint16_t port;
	unsigned int line;
};

struct dd_instance_cfg {
	char name[DD_NAME_MAX];
	unsigned int line;
	struct dd_inst_key key;
	uint16_t bid_port;
	uint8_t state;			/* up or drain, as the operator wants */
	uint32_t weight, capacity, cost, site, service_time;
	bool measure_svc;		/* measure-service-time */
	char cgroup[DD_CMD_MAX];
	uint8_t sessions;		/* enum dd_sessions_src */
	uint8_t health;			/* enum dd_health_kind */
	uint16_t health_port;		/* 0: bid-port, else the service port */
	char health_path[DD_CMD_MAX];
	uint32_t health_interval_ms, health_timeout_ms;
	uint32_t health_rise, health_fall;
	char command[DD_CMD_MAX];
	uint32_t command_interval_ms, command_timeout_ms;
};

/* the service settings a router may give, bit per DYNCAST_A_SERVICE_* */
struct dd_service_cfg {
	char name[DD_NAME_MAX];
	unsigned int line;
	struct dd_svc_key key;
	uint32_t present;
	uint32_t val[32];
	bool keep;
	bool plan;		/* push the plan's weights, loads, slack */
	bool plan_set;		/* plan given; else yes for least-cost */
	uint32_t scv;		/* tenths: the squared coefficient of variation
				 * of its service times, as the plan takes it
				 */
	/* a forwarder service's D-Router (mode forward) */
	struct dc_addr router;
	/* the forwarder protocol's key of the service (DYNCAST_A_SERVICE_KEY) */
	uint8_t fwd_key[DD_KEY_LEN];
	bool has_fwd_key;
	char fwd_key_file[256];
};

struct dd_config {
	char path[256];
	uint32_t id;
	bool has_id;
	struct dc_addr listen;
	uint16_t port;
	uint8_t key[DD_KEY_LEN];
	bool has_key;
	char key_file[256];		/* where it came from, if a file */
	/* accepted too, during a key change (the key signs what is sent) */
	uint8_t next_key[DD_KEY_LEN];
	bool has_next_key;
	char next_key_file[256];
	/* the metrics endpoint (HTTP), if any */
	struct dc_addr metrics_addr;
	uint16_t metrics_port;
	bool has_metrics;
	char control[DD_SUN_PATH_MAX];
	char report[DD_SUN_PATH_MAX];
	uint32_t report_mode;		/* of the report socket's file */
	uint32_t report_gid;		/* its group; may send to it */
	bool has_report_gid;
	uint32_t site;
	struct dd_policy_cfg policy;
	uint32_t hold_ms, collect_ms, smoothing, report_ttl_ms;
	uint32_t probe_ms;

	bool router;
	bool relay;
	bool passive_rtt;		/* time the demands' handshakes */
	bool probe_cost;
	uint32_t max_instances;
	uint32_t forget_ms;		/* [router] forget-time; 0: never */
	bool keep;			/* [router] keep: leave everything */

	/* [bgp]: announcements ride BGP routes (through ExaBGP) */
	bool bgp;
	char bgp_socket[DD_SUN_PATH_MAX];
	uint32_t bgp_gid;		/* may connect to it; UINT32_MAX none */
	uint32_t bgp_asn;
	bool bgp_link_bandwidth;
	struct dc_addr bgp_probe;	/* where we answer probes, if given */
	uint16_t bgp_probe_port;

	unsigned int n_peers, n_instances, n_services;
	struct dd_peer_cfg peers[DD_PEERS_MAX];
	struct dd_instance_cfg instances[DD_INSTANCES_MAX];
	struct dd_service_cfg services[DD_SERVICES_MAX];
};

struct dd_config *dd_config_load(const char *path, FILE *err);
struct dd_config *dd_config_parse_string(const char *text, const char *name,
					 FILE *err);
void dd_config_free(struct dd_config *cfg);
void dd_config_print(const struct dd_config *cfg, FILE *fp);
int dd_parse_duration(const char *s, uint32_t min, uint32_t max,
		      uint32_t *ms);
int dd_parse_endpoint(const char *s, struct dc_addr *a, uint16_t *port);
int dd_key_decode(const char *b64, uint8_t *key);
bool dd_service_forward(const struct dd_service_cfg *s);
bool dd_service_rewrite_tcp(const struct dd_service_cfg *s);

#endif /* DD_CONFIG_H */
