// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast agent show: a stand-in dyncastd on a unix socket answers with a
 * canned status; the CLI prints it as text and as JSON, filters it by
 * kind, and reports a daemon that is absent or answers nonsense.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "control.h"
#include "mock.h"

static const char status[] =
	"[{\"object\":\"agent\",\"id\":\"10.0.0.2\",\"roles\":\"dma router\","
	"\"uptime\":12345,\"counters\":{\"rx\":10,\"unauthenticated\":2}},"
	"{\"object\":\"peer\",\"name\":\"dr1\",\"endpoint\":\"198.18.11.1:4960\","
	"\"last-rx\":250,\"rtt\":350},"
	"{\"object\":\"learned\",\"sid\":\"203.0.113.1\",\"proto\":\"tcp\","
	"\"bid\":\"198.19.3.31\",\"state\":\"up\",\"cpu\":375,\"cost\":10350,"
	"\"plan\":{\"weight\":6000,\"load\":612,\"inflight-adjust\":-250,"
	"\"own-rate\":12500}},"
	"{\"object\":\"plan\",\"name\":\"web\",\"sid\":\"203.0.113.1\","
	"\"proto\":\"tcp\",\"total-rate\":80000,\"own-share\":150,"
	"\"mean\":62000,\"slack\":4}]";

/* what it answers "show peer" with: the peer alone, as dyncastd does */
static const char status_peer[] =
	"[{\"object\":\"peer\",\"name\":\"dr9\",\"endpoint\":\"198.18.11.9:4960\","
	"\"last-rx\":50}]";

static char sock_name[64];
static pid_t server;
/* the next daemon knows only "show", as those before "show KIND" */
static bool old_daemon;

/*
 * A daemon at @sock_name that answers "show" with @answer, "show peer"
 * with status_peer, and anything else with nothing.
 */
static void serve(const char *answer)
{
	static const char unknown[] = "{\"error\":\"unknown request\"}\n";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, c;
	size_t n;

	snprintf(sock_name, sizeof(sock_name), "@dyncast-test-%d", getpid());
	n = strlen(sock_name);
	memcpy(sun.sun_path, sock_name, n);
	sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun,
			      offsetof(struct sockaddr_un, sun_path) + n), 0);
	assert_int_equal(listen(fd, 4), 0);
	server = fork();
	assert_true(server >= 0);
	if (server) {
		close(fd);
		return;
	}
	/* gone with the test, whatever ends it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		char req[64];
		ssize_t n = recv(c, req, sizeof(req), 0);

		if (n == 5 && !memcmp(req, "show\n", 5))
			send(c, answer, strlen(answer), 0);
		else if (old_daemon)
			send(c, unknown, strlen(unknown), 0);
		else if (n == 10 && !memcmp(req, "show peer\n", 10))
			send(c, status_peer, strlen(status_peer), 0);
		close(c);
	}
	_exit(0);
}

static void unserve(void)
{
	if (server <= 0)
		return;
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	server = 0;
}

/* a test that failed did not stop its daemon: the next one needs the name */
static int teardown(void **state)
{
	unserve();
	return mock_teardown(state);
}

static int run(struct mock *m, const char *args)
{
	char line[256];

	snprintf(line, sizeof(line), "%s socket %s", args, sock_name);
	return mock_run(m, line);
}

static void test_agent_text(void **state)
{
	struct mock *m = *state;

	serve(status);
	assert_int_equal(run(m, "agent show"), 0);
	assert_string_equal(m->out,
		"agent id 10.0.0.2 roles dma router uptime 12.345s\n"
		"    counters rx 10 unauthenticated 2\n"
		"peer name dr1 endpoint 198.18.11.1:4960 last-rx 0.250s rtt 350\n"
		"learned sid 203.0.113.1 proto tcp bid 198.19.3.31 state up cpu 37.5 cost 10350\n"
		"    plan weight 6000 load 61.2 inflight-adjust -0.25 own-rate 12.5\n"
		"plan name web sid 203.0.113.1 proto tcp total-rate 80 own-share 0.15 mean 62000 slack 4\n");
	mock_clear(m);
	/* one kind: asked of the daemon, not filtered from everything */
	assert_int_equal(run(m, "agent show peer"), 0);
	assert_string_equal(m->out,
		"peer name dr9 endpoint 198.18.11.9:4960 last-rx 0.050s\n");
	unserve();
}

/* a daemon from before "show KIND": asked for everything, filtered here */
static void test_agent_old_daemon(void **state)
{
	struct mock *m = *state;

	old_daemon = true;
	serve(status);
	old_daemon = false;
	assert_int_equal(run(m, "agent show peer"), 0);
	assert_string_equal(m->out,
		"peer name dr1 endpoint 198.18.11.1:4960 last-rx 0.250s rtt 350\n");
	mock_clear(m);
	assert_int_equal(run(m, "agent show site"), 0);
	assert_string_equal(m->out, "");
	assert_string_equal(m->err, "");
	unserve();
}

static void test_agent_json(void **state)
{
	struct mock *m = *state;
	json_t *j;

	serve(status);
	assert_int_equal(run(m, "-j agent show"), 0);
	j = mock_json(m);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "object")),
			    "agent");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(json_array_get(j, 0), "counters"), "unauthenticated")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 1), "last-rx")),
			 250);
	assert_true(json_real_value(json_object_get(json_array_get(j, 2), "cpu")) == 37.5);
	/* thousandths as numbers, either sign */
	assert_true(json_real_value(json_object_get(json_object_get(
		json_array_get(j, 2), "plan"), "inflight-adjust")) == -0.25);
	assert_true(json_real_value(json_object_get(json_array_get(j, 3),
						    "own-share")) == 0.15);
	json_decref(j);
	unserve();
}

static void test_agent_errors(void **state)
{
	struct mock *m = *state;

	assert_int_equal(mock_run(m, "agent show socket @dyncast-test-nobody"), -1);
	assert_non_null(strstr(m->err, "Error: cannot reach dyncastd at @dyncast-test-nobody"));
	mock_clear(m);
	assert_int_equal(mock_run(m, "agent show colour"), -1);
	assert_string_equal(m->err, "Error: unknown argument \"colour\".\n");
	mock_clear(m);
	assert_int_equal(mock_run(m, "agent show socket"), -1);
	assert_string_equal(m->err, "Error: argument \"socket\" requires a value.\n");
	mock_clear(m);
	assert_int_equal(mock_run(m, "agent start"), -1);
	mock_clear(m);

	serve("not json");
	assert_int_equal(run(m, "agent show"), -1);
	assert_non_null(strstr(m->err, "Error: dyncastd answered something that is not JSON"));
	unserve();
	mock_clear(m);
	serve("{\"error\":\"unknown request\"}");
	assert_int_equal(run(m, "agent show"), -1);
	assert_string_equal(m->err, "Error: dyncastd: unknown request.\n");
	unserve();
}

/* the usage names exactly the kinds the CLI and the daemon know */
static void test_agent_usage_kinds(void **state)
{
	struct mock *m = *state;
	char got[256] = "", want[256] = "";
	const char *p, *end;
	size_t n = 0;
	unsigned int k;

	for (k = 0; k < __DC_SHOW_MAX; k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", k ? " " : "", dc_show_kinds[k]);
	assert_int_equal(mock_run(m, "agent help"), 0);
	p = strstr(m->out, "KIND := {");
	assert_non_null(p);
	end = strchr(p, '}');
	assert_non_null(end);
	/* the words between the braces, one space between them */
	for (p += strlen("KIND := {"); p < end && n < sizeof(got) - 1; p++) {
		bool sep = *p == '|' || *p == ' ' || *p == '\n';

		if (!sep)
			got[n++] = *p;
		else if (n && got[n - 1] != ' ')
			got[n++] = ' ';
	}
	while (n && got[n - 1] == ' ')
		n--;
	got[n] = '\0';
	assert_string_equal(got, want);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, mock_setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_agent_text),
		T(test_agent_old_daemon),
		T(test_agent_json),
		T(test_agent_errors),
		T(test_agent_usage_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
