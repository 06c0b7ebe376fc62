/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the generic netlink family (netlink.c), and the events that
 * the rest of the module reports through it: a service or an instance
 * changed outside a netlink request (a forwarder learnt or lost one).
 */
#ifndef _DYNCAST_NETLINK_H
#define _DYNCAST_NETLINK_H

#include "dyncast.h"

int dc_genl_init(void);
void dc_genl_exit(void);
void dc_notify_service(struct dc_service *svc, u8 cmd);
void dc_notify_instance(struct dc_instance *inst, u8 cmd);

#endif /* _DYNCAST_NETLINK_H */
