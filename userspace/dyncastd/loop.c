// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop.  Timers sit in an unsorted list: a daemon has a few per
 * instance and per site, so finding the next one by a scan costs less
 * than keeping a heap.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "loop.h"

uint64_t dd_now_ms(void);

int dd_loop_init(struct dd_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->timers.next = l->timers.prev = &l->timers;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void dd_loop_exit(struct dd_loop *l)
{
	while (l->timers.next != &l->timers)
		dd_timer_cancel(l->timers.next);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int dd_fd_add(struct dd_loop *l, struct dd_fd *w, int fd, uint32_t events,
	      dd_fd_fn cb, void *data)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->cb = cb;
	w->data = data;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	w->added = true;
	return 0;
}

int dd_fd_mod(struct dd_loop *l, struct dd_fd *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void dd_fd_del(struct dd_loop *l, struct dd_fd *w)
{
	if (!w->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
}

void dd_timer_init(struct dd_timer *t, dd_timer_fn cb, void *data)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->data = data;
}

void dd_timer_arm(struct dd_loop *l, struct dd_timer *t, uint64_t when)
{
	if (!t->armed) {
		t->next = l->timers.next;
		t->prev = &l->timers;
		l->timers.next->prev = t;
		l->timers.next = t;
		t->armed = true;
	}
	t->when = when;
}

void dd_timer_cancel(struct dd_timer *t)
{
	if (!t->armed)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
	t->armed = false;
}

static struct dd_timer *dd_timer_first(struct dd_loop *l)
{
	struct dd_timer *t, *first = NULL;

	for (t = l->timers.next; t != &l->timers; t = t->next)
		if (!first || t->when < first->when)
			first = t;
	return first;
}

/* Waits for one round of events, or the next timer; runs what is due. */
int dd_loop_once(struct dd_loop *l, uint64_t now)
{
	struct epoll_event ev[16];
	struct dd_timer *t;
	int timeout = -1, n, i;

	t = dd_timer_first(l);
	if (t)
		timeout = t->when <= now ? 0 :
			  t->when - now > 60000 ? 60000 : (int)(t->when - now);
	n = epoll_wait(l->epfd, ev, 16, timeout);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (i = 0; i < n && !l->stop; i++) {
		struct dd_fd *w = ev[i].data.ptr;

		w->cb(w, ev[i].events);
	}
	now = dd_now_ms();
	while (!l->stop && (t = dd_timer_first(l)) && t->when <= now) {
		dd_timer_cancel(t);
		t->cb(t);
	}
	return 0;
}
