/* SPDX-License-Identifier: GPL-2.0 */
/* The event loop: file descriptors on epoll, and one-shot timers. */
#ifndef DD_LOOP_H
#define DD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct dd_fd;
typedef void (*dd_fd_fn)(struct dd_fd *w, uint32_t events);

struct dd_fd {
	int fd;
	dd_fd_fn cb;
	void *data;
	bool added;
};

struct dd_timer;
typedef void (*dd_timer_fn)(struct dd_timer *t);

struct dd_timer {
	struct dd_timer *prev, *next;
	uint64_t when;			/* ms, dd_now_ms() */
	dd_timer_fn cb;
	void *data;
	bool armed;
};

struct dd_loop {
	int epfd;
	struct dd_timer timers;		/* list head */
	bool stop;
};

int dd_loop_init(struct dd_loop *l);
void dd_loop_exit(struct dd_loop *l);
int dd_loop_once(struct dd_loop *l, uint64_t now);
int dd_fd_add(struct dd_loop *l, struct dd_fd *w, int fd, uint32_t events,
	      dd_fd_fn cb, void *data);
int dd_fd_mod(struct dd_loop *l, struct dd_fd *w, uint32_t events);
void dd_fd_del(struct dd_loop *l, struct dd_fd *w);
void dd_timer_init(struct dd_timer *t, dd_timer_fn cb, void *data);
void dd_timer_arm(struct dd_loop *l, struct dd_timer *t, uint64_t when);
void dd_timer_cancel(struct dd_timer *t);

#endif /* DD_LOOP_H */
