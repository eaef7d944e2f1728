/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidctl - look inside a running ioasidd: its clients, their contexts, objects, IOVA
 * maps and page tables.
 *
 *   ioasidctl [-j [-p]] [-s PATH] status
 *   ioasidctl [-j [-p]] [-s PATH] objects [--pid P]
 *   ioasidctl [-j [-p]] [-s PATH] ioas ID [--pid P] [--svg FILE]
 *   ioasidctl [-j [-p]] [-s PATH] pt HWPT [--pid P] [--iova X]
 *   ioasidctl [-j [-p]] [-s PATH] dump [--pid P]
 *   ioasidctl [-j [-p]] [-s PATH] iotlb
 *   ioasidctl [-j [-p]] [-s PATH] faults [--pid P]
 *   ioasidctl [-s PATH] devices
 *
 * In the style of ip and bpftool: a command word (any unique prefix of it), options before
 * or after it, text for people, -j for programs. It talks to the daemon's control channel,
 * "<socket>.ctl" beside the daemon's socket (src/daemon/control.c): one JSON request, one
 * JSON reply. The daemon's socket is --socket, else the one ioasidd and the shim use
 * ($IOASID_SOCKET, $XDG_RUNTIME_DIR/ioasid/ioasidd.sock, ...).
 *
 * Exit statuses (ioasidctl.h): 0, 1 the daemon said no (with its reason), 2 bad arguments,
 * 3 no daemon running, 4 the object kind does not exist in this build. Every error is one
 * line on stderr: "ioasidctl: <what>: <why>".
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ioasidctl.h"
#include "proto/proto.h"

#define REPLY_MAX	 (256u << 20)
#define REPLY_TIMEOUT_MS 30000
#define CTL_SUFFIX	 ".ctl"

/* ---- json helpers -------------------------------------------------------------------------- */

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : "-";
}

uint64_t jnum(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 0);
	return json_object_get_uint64(v);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static __attribute__((format(printf, 2, 3), noreturn)) void die(int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	/* one write: the line arrives whole even when stderr is a pipe read in pieces */
	n = snprintf(line, sizeof(line), "ioasidctl: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fflush(stdout);
	if (write(2, line, strlen(line)) < 0)
		status = status ? status : CTL_EXIT_ERROR;
	exit(status);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ioasidctl [OPTIONS] COMMAND [ARGS]\n"
		   "commands:\n"
		   "  status                        the daemon, its limits, clients and contexts\n"
		   "  objects [--pid P]             every object: ID, type, users, links\n"
		   "  ioas ID [--pid P] [--svg F]   areas, allowed/reserved ranges, IOVA_RANGES;\n"
		   "                                --svg writes a picture of the IOVA space to F\n"
		   "  pt HWPT [--pid P] [--iova X]  the page table level by level, or one IOVA's "
		   "walk\n"
		   "  dump [--pid P]                objects, every IOAS and every page table\n"
		   "  iotlb                         the daemon's IOTLB: hits, misses, fills ...\n"
		   "  faults [--pid P]              fault queues and vEVENTQs of each context\n"
		   "  devices                       platform IOMMUs and devices (not yet)\n"
		   "options:\n"
		   "  -j, --json          JSON output (for programs)\n"
		   "  -p, --pretty        indented JSON (implies -j)\n"
		   "  -s, --socket PATH   the daemon's socket (default: $IOASID_SOCKET, then\n"
		   "                      $XDG_RUNTIME_DIR/ioasid/ioasidd.sock, /run/ioasid/...)\n"
		   "  -P, --pid P         only the contexts of client process P\n"
		   "  -i, --iova X        pt: walk this IOVA (hex with 0x, or decimal)\n"
		   "  -o, --svg FILE      ioas: write an SVG map of the IOVA space\n"
		   "  -h, --help          this text\n"
		   "exit status: 0 ok, 1 error from the daemon, 2 bad arguments, 3 no daemon "
		   "running,\n"
		   "             4 object kind not in this build\n");
}

/* ---- arguments --------------------------------------------------------------------------------
 */

enum cmd_id {
	CMD_STATUS,
	CMD_OBJECTS,
	CMD_IOAS,
	CMD_PT,
	CMD_DUMP,
	CMD_IOTLB,
	CMD_FAULTS,
	CMD_DEVICES
};

struct cmd_desc {
	const char *name;
	unsigned int nargs; /* positional arguments after the command word */
	const char *argname;
	bool pid, iova, svg; /* options it takes */
};

static const struct cmd_desc cmd_table[] = {
	[CMD_STATUS] = { "status", 0, NULL, false, false, false },
	[CMD_OBJECTS] = { "objects", 0, NULL, true, false, false },
	[CMD_IOAS] = { "ioas", 1, "IOAS ID", true, false, true },
	[CMD_PT] = { "pt", 1, "HWPT ID", true, true, false },
	[CMD_DUMP] = { "dump", 0, NULL, true, false, false },
	[CMD_IOTLB] = { "iotlb", 0, NULL, false, false, false },
	[CMD_FAULTS] = { "faults", 0, NULL, true, false, false },
	[CMD_DEVICES] = { "devices", 0, NULL, false, false, false },
};
#define NCMDS (sizeof(cmd_table) / sizeof(cmd_table[0]))

struct args {
	bool json, pretty;
	const char *socket;
	bool has_pid, has_iova;
	long pid;
	uint64_t iova;
	const char *svg;
	enum cmd_id cmd;
	uint64_t id;
};

static int find_cmd(const char *word)
{
	int found = -1;

	for (size_t i = 0; i < NCMDS; i++) {
		if (!strcmp(cmd_table[i].name, word))
			return (int)i;
		if (!strncmp(cmd_table[i].name, word, strlen(word))) {
			if (found >= 0)
				die(CTL_EXIT_USAGE, "'%s' is ambiguous (%s, %s ...)", word,
				    cmd_table[found].name, cmd_table[i].name);
			found = (int)i;
		}
	}
	if (found < 0)
		die(CTL_EXIT_USAGE, "unknown command '%s' (try ioasidctl --help)", word);
	return found;
}

static uint64_t parse_u64(const char *what, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		die(CTL_EXIT_USAGE, "%s '%s': not a number", what, s);
	v = strtoull(s, &end, 0);
	if (errno || *end)
		die(CTL_EXIT_USAGE, "%s '%s': not a number", what, s);
	if (v > max)
		die(CTL_EXIT_USAGE, "%s '%s': out of range (at most %llu)", what, s,
		    (unsigned long long)max);
	return v;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },	    { "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' }, { "pid", required_argument, NULL, 'P' },
		{ "iova", required_argument, NULL, 'i' },   { "svg", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },	    { 0 },
	};
	const struct cmd_desc *cd;
	int opt, npos;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jps:P:i:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			a->json = true;
			break;
		case 'p':
			a->pretty = a->json = true; /* as bpftool: -p implies -j */
			break;
		case 's':
			if (!*optarg)
				die(CTL_EXIT_USAGE, "--socket: empty path");
			a->socket = optarg;
			break;
		case 'P':
			a->has_pid = true;
			a->pid = (long)parse_u64("--pid", optarg, INT32_MAX);
			if (!a->pid)
				die(CTL_EXIT_USAGE, "--pid '%s': out of range", optarg);
			break;
		case 'i':
			a->has_iova = true;
			a->iova = parse_u64("--iova", optarg, UINT64_MAX);
			break;
		case 'o':
			if (!*optarg)
				die(CTL_EXIT_USAGE, "--svg: empty file name");
			a->svg = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			die(CTL_EXIT_USAGE, "option '%s' needs an argument", argv[optind - 1]);
		default:
			die(CTL_EXIT_USAGE, "unknown option '%s' (try ioasidctl --help)",
			    argv[optind - 1]);
		}
	}
	npos = argc - optind;
	if (npos < 1)
		die(CTL_EXIT_USAGE, "no command (try ioasidctl --help)");
	a->cmd = (enum cmd_id)find_cmd(argv[optind]);
	cd = &cmd_table[a->cmd];
	if ((unsigned int)(npos - 1) < cd->nargs)
		die(CTL_EXIT_USAGE, "%s: missing the %s", cd->name, cd->argname);
	if ((unsigned int)(npos - 1) > cd->nargs)
		die(CTL_EXIT_USAGE, "%s: unexpected argument '%s'", cd->name,
		    argv[optind + 1 + cd->nargs]);
	if (cd->nargs) {
		a->id = parse_u64(cd->argname, argv[optind + 1], UINT32_MAX);
		if (!a->id)
			die(CTL_EXIT_USAGE, "%s '0': IDs start at 1", cd->argname);
	}
	if (a->has_pid && !cd->pid)
		die(CTL_EXIT_USAGE, "%s: takes no --pid", cd->name);
	if (a->has_iova && !cd->iova)
		die(CTL_EXIT_USAGE, "%s: takes no --iova", cd->name);
	if (a->svg && !cd->svg)
		die(CTL_EXIT_USAGE, "%s: takes no --svg", cd->name);
}

/* ---- the control channel ----------------------------------------------------------------- */

static void ctl_path(const struct args *a, char *buf, size_t len, char *daemon_sock)
{
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n;

	if (a->socket) {
		if (strlen(a->socket) >= sizeof(sock))
			die(CTL_EXIT_USAGE, "--socket: path too long");
		strcpy(sock, a->socket);
	} else if (ioasid_socket_path(sock, sizeof(sock))) {
		die(CTL_EXIT_USAGE, "the daemon's socket path is too long");
	}
	/* --socket may name the daemon's socket or its control socket */
	n = (int)strlen(sock);
	if (n > 4 && !strcmp(sock + n - 4, CTL_SUFFIX))
		sock[n - 4] = 0;
	strcpy(daemon_sock, sock);
	n = snprintf(buf, len, "%s" CTL_SUFFIX, sock);
	if (n < 0 || (size_t)n >= len)
		die(CTL_EXIT_USAGE, "--socket: path too long");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct json_object *ctl_call(const struct args *a, struct json_object *req)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], dsock[sizeof(path)];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
	struct json_tokener *tok;
	struct json_object *rep;
	size_t len = 0, cap = 1 << 16;
	char *buf;
	int fd;

	ctl_path(a, path, sizeof(path), dsock);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(CTL_EXIT_ERROR, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		struct stat st;
		int err = errno;

		if (err == ENOENT || err == ECONNREFUSED) {
			if (stat(dsock, &st))
				die(CTL_EXIT_NO_DAEMON, "no daemon is running at %s", dsock);
			die(CTL_EXIT_NO_DAEMON,
			    "the daemon at %s does not answer on %s (not running, or too old)",
			    dsock, path);
		}
		if (err == EACCES || err == EPERM)
			die(CTL_EXIT_ERROR,
			    "%s: permission denied (only the daemon's user or root)", path);
		die(CTL_EXIT_ERROR, "%s: %s", path, strerror(err));
	}
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		/* a refusing daemon may have closed already: its reason is still readable */
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	if (!buf)
		die(CTL_EXIT_ERROR, "out of memory");
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			die(CTL_EXIT_ERROR, "%s: no answer in %d s", path, REPLY_TIMEOUT_MS / 1000);
		if (len == cap) {
			char *nb;

			if (cap >= REPLY_MAX)
				die(CTL_EXIT_ERROR, "%s: answer larger than %u MiB", path,
				    REPLY_MAX >> 20);
			nb = realloc(buf, cap * 2);
			if (!nb)
				die(CTL_EXIT_ERROR, "out of memory");
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(CTL_EXIT_ERROR, "%s: %s", path, strerror(errno));
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!len)
		die(CTL_EXIT_ERROR, "%s: the daemon closed without an answer", path);
	tok = json_tokener_new();
	if (!tok)
		die(CTL_EXIT_ERROR, "out of memory");
	rep = json_tokener_parse_ex(tok, buf, (int)len);
	if (!rep || !json_object_is_type(rep, json_type_object))
		die(CTL_EXIT_ERROR, "%s: the answer is not a JSON object", path);
	json_tokener_free(tok);
	free(buf);
	return rep;
}

/* ---- main ------------------------------------------------------------------------------------ */

static struct json_object *make_request(const struct args *a)
{
	struct json_object *req = json_object_new_object();
	char hex[24];

	json_object_object_add(req, "cmd", json_object_new_string(cmd_table[a->cmd].name));
	if (a->has_pid)
		json_object_object_add(req, "pid", json_object_new_int64(a->pid));
	if (cmd_table[a->cmd].nargs)
		json_object_object_add(req, "id", json_object_new_int64((int64_t)a->id));
	if (a->has_iova) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)a->iova);
		json_object_object_add(req, "iova", json_object_new_string(hex));
	}
	return req;
}

/* The daemon's error: one line, and the exit status its errno calls for. */
static void check_error(const struct args *a, struct json_object *rep)
{
	struct json_object *e = jget(rep, "error"), *ctxs;
	const char *what = cmd_table[a->cmd].name;
	uint64_t err;

	if (!e && (ctxs = jget(rep, "contexts")) && json_object_array_length(ctxs) == 0 &&
	    a->has_pid)
		die(CTL_EXIT_ERROR, "%s: no context of pid %ld", what, a->pid);
	if (!e)
		return;
	err = jnum(rep, "errno");
	if (a->cmd == CMD_IOAS || a->cmd == CMD_PT) {
		if (err == ENOENT)
			die(CTL_EXIT_ERROR, "%s %llu: %s", what, (unsigned long long)a->id,
			    json_object_get_string(e));
		if (err == ENODEV)
			die(CTL_EXIT_ERROR, "%s %llu: not %s", what, (unsigned long long)a->id,
			    a->cmd == CMD_IOAS ? "an IOAS" : "a paging HWPT");
	}
	die(err == EOPNOTSUPP ? CTL_EXIT_UNSUPPORTED : CTL_EXIT_ERROR, "%s: %s", what,
	    json_object_get_string(e));
}

int main(int argc, char **argv)
{
	struct json_object *req, *rep;
	struct args a;

	parse_args(argc, argv, &a);
	req = make_request(&a);
	rep = ctl_call(&a, req);
	json_object_put(req);
	check_error(&a, rep);
	if (a.svg) {
		FILE *f = fopen(a.svg, "we");

		if (!f)
			die(CTL_EXIT_ERROR, "%s: %s", a.svg, strerror(errno));
		if (svg_write_ioas(f, jget(rep, "context")) | fclose(f))
			die(CTL_EXIT_ERROR, "%s: could not write the picture", a.svg);
	}
	if (a.json) {
		puts(json_object_to_json_string_ext(
			rep, a.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
					JSON_C_TO_STRING_PLAIN));
	} else {
		switch (a.cmd) {
		case CMD_STATUS:
			text_status(stdout, rep);
			break;
		case CMD_OBJECTS:
			text_objects(stdout, rep);
			break;
		case CMD_IOAS:
			text_ioas(stdout, rep);
			break;
		case CMD_PT:
			text_pt(stdout, rep);
			break;
		case CMD_IOTLB:
			text_iotlb(stdout, rep);
			break;
		case CMD_FAULTS:
			text_faults(stdout, rep);
			break;
		default:
			/* dump, and kinds added later: their JSON is their text */
			puts(json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY));
			break;
		}
	}
	json_object_put(rep);
	if (fflush(stdout) || ferror(stdout))
		die(CTL_EXIT_ERROR, "writing the output: %s", strerror(errno));
	return 0;
}
