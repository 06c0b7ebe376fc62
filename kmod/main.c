// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: Dynamic-Anycast steering of service demands to instances.
 *
 * Module setup and teardown, and the per network namespace state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <net/genetlink.h>

#include "dyncast.h"
#include "binding.h"
#include "fwd.h"
#include "fwd_forwarder.h"
#include "fwd_router.h"
#include "netlink.h"
#include "service.h"
#include "stats.h"

unsigned int dc_net_id __read_mostly;
struct workqueue_struct *dc_wq __read_mostly;

unsigned int dc_max_bindings __read_mostly = 262144;
module_param_named(max_bindings, dc_max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings,
		 "Most bindings one network namespace may hold (default 262144)");

unsigned int dc_max_forwarders __read_mostly = 4096;
module_param_named(max_forwarders, dc_max_forwarders, uint, 0644);
MODULE_PARM_DESC(max_forwarders,
		 "Most (forwarder, service) pairs one namespace's D-Router serves (default 4096)");

unsigned int dc_fwd_rate __read_mostly = 20000;
module_param_named(fwd_rate, dc_fwd_rate, uint, 0644);
MODULE_PARM_DESC(fwd_rate,
		 "Most forwarder messages taken a second from one known sender, and checked before drawing on fwd_check_rate, 0: no limit (default 20000)");

unsigned int dc_fwd_new_rate __read_mostly = 1000;
module_param_named(fwd_new_rate, dc_fwd_new_rate, uint, 0644);
MODULE_PARM_DESC(fwd_new_rate,
		 "Most forwarder messages checked a second, per namespace, from senders a D-Router does not know yet, 0: no limit (default 1000)");

unsigned int dc_fwd_check_rate __read_mostly = 20000;
module_param_named(fwd_check_rate, dc_fwd_check_rate, uint, 0644);
MODULE_PARM_DESC(fwd_check_rate,
		 "Most forwarder messages checked a second, per namespace, from known senders beyond each one's fwd_rate, 0: no limit (default 20000)");

unsigned short dc_fwd_port __read_mostly = 17475;
module_param_named(fwd_port, dc_fwd_port, ushort, 0444);
MODULE_PARM_DESC(fwd_port,
		 "UDP port of the messages between D-Forwarders and D-Routers (default 17475)");

static int __net_init dc_net_init(struct net *net)
{
	struct dc_net *dn = dc_net(net);
	int ret;

	dn->net = net;
	mutex_init(&dn->lock);
	dn->stats = dc_stats_alloc();
	if (!dn->stats)
		return -ENOMEM;

	dc_net_services_init(dn);
	dc_net_fwd_init(dn);
	ret = dc_net_bindings_init(dn);
	if (ret)
		goto err_stats;
	ret = dc_net_peers_init(dn);
	if (ret)
		goto err_bindings;
	return 0;

err_bindings:
	dc_net_bindings_exit(dn);
err_stats:
	free_percpu(dn->stats);
	return ret;
}

static void __net_exit dc_net_exit(struct net *net)
{
	struct dc_net *dn = dc_net(net);

	/* The last service deleted takes the hooks and sockets with it. */
	dc_net_services_exit(dn);
	WARN_ON_ONCE(dn->hooks_on[0] || dn->hooks_on[1]);
	WARN_ON_ONCE(rcu_access_pointer(dn->sock[0]) ||
		     rcu_access_pointer(dn->sock[1]));
	dc_net_fwd_exit(dn);
	dc_net_peers_exit(dn);
	dc_net_bindings_exit(dn);
	free_percpu(dn->stats);
}

static struct pernet_operations dc_net_ops = {
	.init = dc_net_init,
	.exit = dc_net_exit,
	.id = &dc_net_id,
	.size = sizeof(struct dc_net),
};

static int __init dc_mod_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct dc_fwd_hdr) != 32);
	BUILD_BUG_ON(sizeof(struct dc_fwd_bind) != 68);
	BUILD_BUG_ON(sizeof(struct dc_fwd_notice) != 40);

	dc_wq = alloc_workqueue("dyncast", WQ_UNBOUND, 0);
	if (!dc_wq)
		return -ENOMEM;
	ret = dc_binding_init();
	if (ret)
		goto err_wq;
	ret = register_pernet_subsys(&dc_net_ops);
	if (ret)
		goto err_binding;
	ret = dc_genl_init();
	if (ret)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&dc_net_ops);
err_binding:
	dc_binding_exit();
err_wq:
	destroy_workqueue(dc_wq);
	return ret;
}

static void __exit dc_mod_exit(void)
{
	dc_genl_exit();
	unregister_pernet_subsys(&dc_net_ops);
	/*
	 * Bindings, instances and services are freed from RCU callbacks,
	 * and each drops the reference that may free the next: a binding's
	 * callback queues its instance's, whose callback queues its
	 * service's.  One barrier per level.
	 */
	rcu_barrier();
	rcu_barrier();
	rcu_barrier();
	/* the namespaces, and their work items, are gone */
	destroy_workqueue(dc_wq);
	dc_binding_exit();
}

module_init(dc_mod_init);
module_exit(dc_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Dynamic-Anycast: steering of service demands to instances");
MODULE_ALIAS_GENL_FAMILY(DYNCAST_FAMILY_NAME);
