/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the binding table (binding.c).
 */
#ifndef _DYNCAST_BINDING_H
#define _DYNCAST_BINDING_H

#include "dyncast.h"

int dc_binding_init(void);
void dc_binding_exit(void);
int dc_net_bindings_init(struct dc_net *dn);
void dc_net_bindings_exit(struct dc_net *dn);
void dc_flow_key_make(struct dc_flow_key *key, const struct dc_service *svc,
		      const struct dc_pkt *pkt);
struct dc_binding *dc_binding_lookup(struct dc_net *dn,
				     const struct dc_flow_key *key);
struct dc_instance *dc_binding_hit(struct dc_binding *b,
				   const struct dc_pkt *pkt);
struct dc_instance *dc_binding_get_or_create(struct dc_net *dn,
					     struct dc_service *svc,
					     const struct dc_flow_key *key,
					     const struct dc_pkt *pkt,
					     unsigned int flags, bool hash_only);
int dc_binding_learn(struct dc_net *dn, struct dc_service *svc,
		     const struct dc_flow_key *key, struct dc_instance *inst,
		     unsigned long remaining);
unsigned long dc_binding_timeout(const struct dc_binding *b);
bool dc_binding_expired(const struct dc_binding *b);
void dc_binding_unlink(struct dc_net *dn, struct dc_binding *b);
int dc_bindings_flush(struct dc_net *dn, const struct dc_service *svc);
int dc_bindings_flush_gone(struct dc_net *dn, const struct dc_service *svc);
bool dc_bindings_full(struct dc_net *dn, const struct dc_service *svc);
void dc_binding_hashed(struct dc_service *svc);
bool dc_binding_hashed_recently(const struct dc_service *svc);

#endif /* _DYNCAST_BINDING_H */
