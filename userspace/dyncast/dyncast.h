/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DYNCAST_CLI_H
#define DYNCAST_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <libmnl/libmnl.h>
#include <linux/dyncast.h>

#include "attrs.h"
#include "nl.h"
#include "opts.h"
#include "output.h"
#include "parse.h"

#define DC_VERSION		"0.1.0"
#define DC_INSTANCES_MAX	32	/* per command; fits DC_NL_REQ_SIZE */

struct dc_ctx;

/*
 * How requests reach the kernel.  Commands build their request, then hand
 * it over here; the unit tests put canned replies behind these.  The
 * request's nlmsg_type is set by talk() to the family id.
 */
struct dc_ops {
	int (*talk)(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
		    void *data);
	int (*listen)(struct dc_ctx *ctx, mnl_cb_t cb, void *data);
};

struct dc_ctx {
	bool json;
	bool pretty;
	bool stats;		/* -s: the objects' counters too */
	bool details;		/* -d: their details too, in text */
	bool timestamp;		/* -t: monitor's events with their time */
	FILE *out;
	FILE *err;
	const struct dc_ops *ops;
	void *priv;
	/* what made the command fail, for its exit status */
	int kerr;		/* the kernel's error, -errno; 0 none */
	bool syserr;		/* the kernel not reached, a file not read */
	int batch_status;	/* -batch: its first failed line's, 0 none */
};

/* Exit status (dyncast(8), EXIT STATUS) */
#define DC_EXIT_OK		0
#define DC_EXIT_USAGE		1	/* the command line is wrong */
#define DC_EXIT_KERNEL		2	/* the kernel refused, or is not reached */
#define DC_EXIT_NOT_FOUND	3	/* no such service, instance, ... */

/*
 * A service, or the key naming one: sid.family == 0 if none was given.
 * A forwarder's router, and a key, when given.
 */
struct dc_service {
	struct dc_addr sid;
	struct dc_optvals vals;
	struct dc_addr router;
	bool has_key;
	uint8_t seed[DYNCAST_HASH_SEED_LEN];
	bool has_seed;
	uint8_t key[DYNCAST_KEY_LEN];
};

struct dc_instance {
	struct dc_addr bid;
	struct dc_optvals vals;
};

struct dc_instance_req {
	struct dc_service svc;
	unsigned int n;
	struct dc_instance inst[DC_INSTANCES_MAX];
};

struct dc_binding_req {
	struct dc_service svc;
	struct dc_addr src;
	struct dc_optvals vals;
};

extern const struct dc_attr_set dc_top_set;
extern const struct dc_attr_set dc_service_set;
extern const struct dc_attr_set dc_instance_set;
extern const struct dc_attr_set dc_binding_set;
extern const struct dc_attr_set dc_stats_set;

struct dc_verb {
	const char *name;	/* NULL ends a table */
	uint8_t cmd;
};

/* A verb's cmd with this bit: the NEW command, with DYNCAST_A_REPLACE */
#define DC_VERB_REPLACE		0x80

/* main.c */
int dc_main(struct dc_ctx *ctx, int argc, char **argv);
int dc_exit_status(const struct dc_ctx *ctx, int ret);
int dc_split(char *line, char **argv, int max);
int dc_verb(struct dc_ctx *ctx, const char *object,
	    const struct dc_verb *verbs, int *argc, char ***argv, int dflt);
struct nlmsghdr *dc_req_start(void *buf, uint8_t cmd, uint16_t flags);
int dc_exec(struct dc_ctx *ctx, struct nlmsghdr *req);
int dc_dump_whole(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data, unsigned int *n);
int dc_show(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
	    bool array);

/* service.c */
typedef int (*dc_arg_fn)(struct dc_ctx *ctx, void *data, int *argc,
			 char ***argv);
int dc_service_args(struct dc_ctx *ctx, struct dc_service *svc, int argc,
		    char **argv, dc_arg_fn fn, void *data);
int dc_service_key(struct dc_ctx *ctx, struct dc_service *svc, int argc,
		   char **argv);
int dc_service_put(struct nlmsghdr *nlh, const struct dc_service *svc);
void dc_service_key_of(dc_attr_tb tb, struct dc_service *s);
int dc_attr_addr(const struct nlattr *a4, const struct nlattr *a6,
		 struct dc_addr *a);
void dc_service_key_print(FILE *fp, dc_attr_tb tb);
int dc_service_save(struct dc_ctx *ctx);
int dc_instance_save(struct dc_ctx *ctx);
int dc_do_save(struct dc_ctx *ctx, int argc, char **argv);
void dc_save_usage(FILE *fp);
int dc_service_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		     struct dc_service *svc);
struct nlmsghdr *dc_service_build(void *buf, uint8_t cmd,
				  const struct dc_service *svc);
int dc_service_print(struct dc_out *o, const struct nlmsghdr *nlh,
		     const char *event);
int dc_service_print_keyed(struct dc_out *o, const struct nlmsghdr *nlh,
			   uint16_t type, const struct dc_attr_set *set,
			   const char *object, const char *event);
int dc_do_service(struct dc_ctx *ctx, int argc, char **argv);
void dc_service_usage(FILE *fp);

/* instance.c */
int dc_instance_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		      struct dc_instance_req *req);
struct nlmsghdr *dc_instance_build(void *buf, uint8_t cmd,
				   const struct dc_instance_req *req);
int dc_instance_print(struct dc_out *o, const struct nlmsghdr *nlh,
		      const char *event);
int dc_do_instance(struct dc_ctx *ctx, int argc, char **argv);
void dc_instance_usage(FILE *fp);

/* binding.c */
int dc_binding_parse(struct dc_ctx *ctx, uint8_t cmd, int argc, char **argv,
		     struct dc_binding_req *req);
struct nlmsghdr *dc_binding_build(void *buf, uint8_t cmd,
				  const struct dc_binding_req *req);
int dc_binding_print(struct dc_out *o, const struct nlmsghdr *nlh,
		     const char *event);
int dc_do_binding(struct dc_ctx *ctx, int argc, char **argv);
void dc_binding_usage(FILE *fp);

/* stats.c */
struct nlmsghdr *dc_stats_build(void *buf);
int dc_stats_print(struct dc_out *o, const struct nlmsghdr *nlh);
int dc_do_stats(struct dc_ctx *ctx, int argc, char **argv);
void dc_stats_usage(FILE *fp);

/* genkey.c */
int dc_do_genkey(struct dc_ctx *ctx, int argc, char **argv);
void dc_genkey_usage(FILE *fp);
int dc_do_derivekey(struct dc_ctx *ctx, int argc, char **argv);
void dc_derivekey_usage(FILE *fp);
int dc_derive_forwarder_key(const uint8_t *master, const struct dc_addr *a,
			    uint8_t *out);

/* agent.c */
int dc_agent_print(struct dc_out *o, FILE *err, const char *text,
		   const char *kind);
int dc_do_agent(struct dc_ctx *ctx, int argc, char **argv);
void dc_agent_usage(FILE *fp);

/* monitor.c */
void dc_print_event(struct dc_out *o, const char *object, const char *event);
int dc_monitor_print(struct dc_ctx *ctx, const struct nlmsghdr *nlh);
int dc_do_monitor(struct dc_ctx *ctx, int argc, char **argv);
void dc_monitor_usage(FILE *fp);

#endif /* DYNCAST_CLI_H */
