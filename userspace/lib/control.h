/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncastd's control socket, as the CLI ("dyncast agent show") and the
 * daemon both speak it: "show" asks for every kind of object, "show KIND"
 * for one; the answer is a JSON array of objects, each with its kind in
 * "object".
 */
#ifndef DC_CONTROL_H
#define DC_CONTROL_H

#define DC_CONTROL_SOCKET	"/run/dyncast/dyncastd.sock"

enum dc_show {
	DC_SHOW_AGENT,
	DC_SHOW_BGP,
	DC_SHOW_NEIGHBOR,
	DC_SHOW_PEER,
	DC_SHOW_SITE,
	DC_SHOW_INSTANCE,
	DC_SHOW_LEARNED,
	DC_SHOW_PLAN,
	__DC_SHOW_MAX,
};

/* the kinds' names, by enum dc_show */
extern const char *const dc_show_kinds[__DC_SHOW_MAX];

#endif
