/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: instances and the published instance set (instance.c).
 */
#ifndef _DYNCAST_INSTANCE_H
#define _DYNCAST_INSTANCE_H

#include "dyncast.h"

int dc_addr_cmp(const void *a, const void *b);
bool dc_instance_takes_new(const struct dc_service *svc,
			   const union nf_inet_addr *addr);
void dc_inst_set_destroy(struct dc_inst_set *set);
void dc_inst_set_release(struct dc_inst_set *set);
struct dc_instance *dc_instance_find(struct dc_service *svc,
				     const union nf_inet_addr *addr);
struct dc_instance *dc_instance_create(struct dc_service *svc,
				       const union nf_inet_addr *addr);
void dc_instance_delete(struct dc_instance *inst);
void dc_instance_put(struct dc_instance *inst);
void dc_instances_gone(struct dc_service *svc, struct list_head *gone,
		       u8 reason, void (*done)(struct dc_instance *inst));
int dc_service_rebuild(struct dc_service *svc);
void dc_inst_unstage(struct dc_service *svc);
void dc_instance_set_state(struct dc_instance *inst, u8 state);
void dc_instance_delta_update(struct dc_instance *inst, bool force);

#endif /* _DYNCAST_INSTANCE_H */
