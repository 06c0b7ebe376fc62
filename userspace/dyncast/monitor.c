// SPDX-License-Identifier: GPL-2.0
/* dyncast monitor: the notifications of the "events" multicast group */
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>

#include "dyncast.h"

/*
 * Text "service add ...", the command that would have made the change;
 * with -t, after the time it came
 */
void dc_print_event(struct dc_out *o, const char *object, const char *event)
{
	if (o->time)
		dc_out_str(o, "time", o->time, true);
	dc_out_str(o, "object", object, true);
	dc_out_str(o, "event", event, true);
}

/* Now, local time to the microsecond, ISO 8601: 2026-12-05T06:33:04.123456+0000 */
static const char *dc_monitor_time(char *buf, size_t len)
{
	struct timespec now;
	char zone[8];
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!strftime(zone, sizeof(zone), "%z", &tm))
		zone[0] = '\0';
	snprintf(buf + n, len - n, ".%06ld%s", now.tv_nsec / 1000, zone);
	return buf;
}

int dc_monitor_print(struct dc_ctx *ctx, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	char ts[48];
	struct dc_out o;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return MNL_CB_OK;

	/* one object per line, pretty or not */
	dc_out_init(&o, ctx->out, ctx->json, false);
	o.stats = ctx->stats;
	o.details = ctx->details;
	if (ctx->timestamp)
		o.time = dc_monitor_time(ts, sizeof(ts));
	switch (genl->cmd) {
	case DYNCAST_CMD_SERVICE_NEW:
		dc_service_print(&o, nlh, "add");
		break;
	case DYNCAST_CMD_SERVICE_SET:
		dc_service_print(&o, nlh, "set");
		break;
	case DYNCAST_CMD_SERVICE_DEL:
		dc_service_print(&o, nlh, "del");
		break;
	case DYNCAST_CMD_INSTANCE_NEW:
		dc_instance_print(&o, nlh, "add");
		break;
	case DYNCAST_CMD_INSTANCE_SET:
		dc_instance_print(&o, nlh, "set");
		break;
	case DYNCAST_CMD_INSTANCE_DEL:
		dc_instance_print(&o, nlh, "del");
		break;
	default:
		/* not an event of this ABI version: skip it */
		break;
	}
	if (dc_out_flush(&o)) {
		dc_err(ctx->err, "cannot write the output");
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	return dc_monitor_print(data, nlh);
}

void dc_monitor_usage(FILE *fp)
{
	fputs("Usage: dyncast [ -j ] [ -t ] monitor\n"
	      "  -t: each event after the time it came\n", fp);
}

int dc_do_monitor(struct dc_ctx *ctx, int argc, char **argv)
{
	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	return ctx->ops->listen(ctx, monitor_cb, ctx) ? -1 : 0;
}
