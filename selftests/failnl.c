// SPDX-License-Identifier: GPL-2.0
/*
 * failnl.so: fault injection for netlink requests alone (nl_faults.sh).
 *
 * Preloaded into a dyncast process (LD_PRELOAD), it sets the process's
 * make-it-fail flag for the time of each sendto() and recvmsg() on a
 * netlink socket and clears it after: with failslab and fail_page_alloc
 * in task-filter mode, the allocations that fail are those the kernel
 * makes for the request (the family's doit, a dump's callbacks, the
 * replies), never those of the process's page faults, its executable or
 * its files, which on the test VM live on 9p.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int fail_fd = -1;

__attribute__((constructor))
static void failnl_init(void)
{
	real_sendto = dlsym(RTLD_NEXT, "sendto");
	real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	fail_fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
}

static int is_netlink(int fd)
{
	int domain;
	socklen_t len = sizeof(domain);

	return !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	       domain == AF_NETLINK;
}

static void make_it_fail(int on)
{
	if (fail_fd >= 0)
		(void)!pwrite(fail_fd, on ? "1" : "0", 1, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *addr, socklen_t alen)
{
	int nl = is_netlink(fd);
	ssize_t ret;

	if (nl)
		make_it_fail(1);
	ret = real_sendto(fd, buf, len, flags, addr, alen);
	if (nl)
		make_it_fail(0);
	return ret;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	int nl = is_netlink(fd);
	ssize_t ret;

	if (nl)
		make_it_fail(1);
	ret = real_recvmsg(fd, msg, flags);
	if (nl)
		make_it_fail(0);
	return ret;
}
