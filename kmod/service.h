/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: services: their life and settings (service.c).
 */
#ifndef _DYNCAST_SERVICE_H
#define _DYNCAST_SERVICE_H

#include "dyncast.h"

int dc_service_init(void);
void dc_service_exit(void);
void dc_net_services_init(struct dc_net *dn);
void dc_net_services_exit(struct dc_net *dn);
struct dc_service *dc_service_lookup(struct dc_net *dn, u8 family,
				     const union nf_inet_addr *addr, u8 proto,
				     __be16 port);
void *dc_service_alloc(const struct dc_service *svc, struct kmem_cache *cache,
		       size_t size, gfp_t gfp);
bool dc_sid_exists(struct dc_net *dn, u8 family,
		   const union nf_inet_addr *addr);
struct dc_service *dc_service_find(struct dc_net *dn, u8 family,
				   const union nf_inet_addr *addr, u8 proto,
				   __be16 port);
struct dc_service *dc_service_create(struct dc_net *dn, u8 family,
				     const union nf_inet_addr *addr, u8 proto,
				     __be16 port);
int dc_service_publish(struct dc_service *svc, struct netlink_ext_ack *extack);
void dc_service_delete(struct dc_service *svc);
void dc_service_free_unpublished(struct dc_service *svc);
int dc_service_sync(struct dc_service *svc, struct netlink_ext_ack *extack);
int dc_service_sync_for(struct dc_service *svc, u8 mode, bool keyed,
			struct netlink_ext_ack *extack);
void dc_service_put(struct dc_service *svc);

#endif /* _DYNCAST_SERVICE_H */
