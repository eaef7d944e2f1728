/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasid-run - run an unmodified program against ioasid's /dev/iommu.
 *
 *   ioasid-run [--socket PATH] [--daemon PATH] [--no-daemon] [--inproc] [--shim PATH]
 *              -- command [args]
 *
 * Puts libioasid-preload.so first in LD_PRELOAD and executes the command in place (same
 * pid, so a harness that waits for us waits for the program). Unless --no-daemon is given,
 * a daemon is made sure of first: if nobody answers on the socket one is started, detached,
 * exactly as the shim would start it on the program's first open (client.c in src/proto:
 * under a lock, double fork, its own session, --idle-exit so it goes away when unused).
 * With --no-daemon nothing is started, now or by the shim (IOASID_NO_AUTOSTART=1): the
 * program's open of /dev/iommu fails if no daemon listens. With --inproc the shim serves
 * /dev/iommu from the library inside the program itself (IOASID_BACKEND=inproc; the shim's
 * in-process back end, src/shim/inproc.c): no daemon, no transport, and the limits of one
 * process (a forked child's context is a copy; docs/daemon.md).
 *
 * What it passes on in the environment: IOASID_SOCKET (absolute), IOASID_DAEMON (absolute)
 * for the shim's own on-demand start, LD_PRELOAD. The shim is found as: --shim, then
 * $IOASID_PRELOAD, then the build tree's copy, then the installed one.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform/platform.h"
#include "util/kver.h"
#include "proto/proto.h"
#include "proto/vfio_proto.h"

#ifndef IOASID_SHIM_BUILD_PATH
#define IOASID_SHIM_BUILD_PATH ""
#endif
#ifndef IOASID_SHIM_INSTALL_PATH
#define IOASID_SHIM_INSTALL_PATH "/usr/local/lib/libioasid-preload.so"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ioasid-run [options] -- command [args...]\n"
		"  --socket PATH   the daemon's socket (default: $IOASID_SOCKET, then\n"
		"                  $XDG_RUNTIME_DIR/ioasid/ioasidd.sock, /run/ioasid/...,\n"
		"                  /run/user/$UID/ioasid/..., or $HOME/.ioasid/...); its\n"
		"                  directory must be private (ours or root's, not writable by\n"
		"                  others): never /tmp itself\n"
		"  --daemon PATH   the ioasidd executable to start when none is running\n"
		"  --no-daemon     start no daemon; one must already be listening\n"
		"  --inproc        serve /dev/iommu inside the program (no daemon)\n"
		"  --shim PATH     the preload library (default: the built or installed one)\n"
		"  --platform FILE the emulated IOMMUs and PCI devices the program sees (checked\n"
		"                  first; default: the embedded platform). Without --inproc the\n"
		"                  daemon serves them: one it starts takes FILE; one already\n"
		"                  running with another platform is refused (exit 1)\n"
		"  --kernel-abi X.Y where Linux releases answer a call differently, give the\n"
		"                  answers of Linux X.Y (default: $IOASID_KERNEL_ABI, else the\n"
		"                  newest); sets $IOASID_KERNEL_ABI for the command\n");
}

/* An absolute version of path (the command may change directory); NULL if too long. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static const char *find_shim(const char *opt)
{
	const char *env = getenv("IOASID_PRELOAD");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	if (*IOASID_SHIM_BUILD_PATH && !access(IOASID_SHIM_BUILD_PATH, R_OK))
		return IOASID_SHIM_BUILD_PATH;
	return IOASID_SHIM_INSTALL_PATH;
}

/*
 * Does the daemon on connection fd (its pid dpid) serve the platform of file? 0 if so, -1 if
 * it serves another one or cannot say. The daemon writes the text into our memory, so it
 * is named our ptracer first (Yama), as the shim does.
 */
static int same_platform(int fd, pid_t dpid, const char *file)
{
	struct ioasid_platform_get g = { .size = sizeof(g) };
	struct platform *mine = NULL, *theirs = NULL;
	char err[256], *text = NULL;
	long n = 0;
	int rc = -1;

	prctl(PR_SET_PTRACER, dpid, 0, 0, 0);
	if (ioasid_client_ioctl(fd, IOASID_PLATFORM_GET, (uint64_t)(uintptr_t)&g, -1,
				IOASID_IN_FD_NONE, &n) ||
	    n <= 0 || n > (64 << 20))
		return -1;
	text = calloc(1, (size_t)n + 1);
	g.buf = (uint64_t)(uintptr_t)text;
	g.len = (uint64_t)n;
	if (text &&
	    !ioasid_client_ioctl(fd, IOASID_PLATFORM_GET, (uint64_t)(uintptr_t)&g, -1,
				 IOASID_IN_FD_NONE, &n) &&
	    !platform_parse(text, &theirs, err, sizeof(err)) &&
	    !platform_load(file, &mine, err, sizeof(err)))
		rc = platform_equal(mine, theirs) ? 0 : -1;
	platform_free(mine);
	platform_free(theirs);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "no-daemon", no_argument, NULL, 'n' },
		{ "inproc", no_argument, NULL, 'i' },
		{ "shim", required_argument, NULL, 'p' },
		{ "platform", required_argument, NULL, 'P' },
		{ "kernel-abi", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *shim_opt = NULL, *platform_opt = NULL, *old;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *shim, *preload, *p;
	bool no_daemon = false, inproc = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+s:d:nip:P:k:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			p = absolute(optarg);
			if (!p || setenv("IOASID_SOCKET", p, 1))
				goto err_env;
			free(p);
			break;
		case 'd':
			p = absolute(optarg);
			if (!p || setenv("IOASID_DAEMON", p, 1))
				goto err_env;
			free(p);
			break;
		case 'n':
			no_daemon = true;
			break;
		case 'i':
			inproc = true;
			break;
		case 'p':
			shim_opt = optarg;
			break;
		case 'P':
			platform_opt = optarg;
			break;
		case 'k': {
			uint32_t v;

			if (kver_parse(optarg, &v)) {
				fprintf(stderr, "ioasid-run: --kernel-abi %s: not MAJOR.MINOR\n",
					optarg);
				return 2;
			}
			if (setenv("IOASID_KERNEL_ABI", optarg, 1))
				goto err_env;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (platform_opt) {
		/* refused here, with the line that is wrong, rather than silently in the program */
		struct platform *pf;
		char err[256] = "";

		rc = platform_load(platform_opt, &pf, err, sizeof(err));
		if (rc) {
			if (err[0])
				fprintf(stderr, "ioasid-run: %s\n", err);
			else
				fprintf(stderr, "ioasid-run: %s: %s\n", platform_opt,
					strerror(-rc));
			return 2;
		}
		platform_free(pf);
		/* the shim (--inproc) or the daemon we start (its $IOASID_PLATFORM) reads it */
		p = absolute(platform_opt);
		if (!p || setenv("IOASID_PLATFORM", p, 1))
			goto err_env;
		free(p);
	}
	if (inproc) {
		if (setenv("IOASID_BACKEND", "inproc", 1))
			goto err_env;
		no_daemon = true;
	} else if (getenv("IOASID_BACKEND")) {
		unsetenv("IOASID_BACKEND");
	}
	rc = inproc ? 0 : ioasid_socket_path(path, sizeof(path));
	if (rc) {
		fprintf(stderr, "ioasid-run: no socket path: %s\n",
			rc == -ENOENT ? "no private directory ($XDG_RUNTIME_DIR, $HOME)" :
					"too long");
		return 2;
	}
	if (inproc) {
		/* nothing to reach */
	} else if (no_daemon) {
		setenv("IOASID_NO_AUTOSTART", "1", 1);
	} else {
		pid_t dpid = 0;
		int fd = ioasid_client_connect(
			path, IOASID_CONNECT_CLOEXEC | IOASID_CONNECT_AUTOSTART, NULL, &dpid);

		if (fd == -EPERM) {
			fprintf(stderr,
				"ioasid-run: %s: refused: the socket's directory must be ours (or "
				"root's) and writable by nobody else, the daemon of our uid or "
				"root\n",
				path);
			return 1;
		}
		if (fd < 0) {
			fprintf(stderr, "ioasid-run: no daemon at %s and cannot start %s: %s\n",
				path, ioasid_daemon_exe(), strerror(-fd));
			return 1;
		}
		rc = platform_opt ? same_platform(fd, dpid, platform_opt) : 0;
		close(fd);
		if (rc) {
			fprintf(stderr,
				"ioasid-run: the daemon at %s serves another platform than %s (it "
				"was started before, with another one); stop it, or give a socket "
				"of its own (--socket) for this platform\n",
				path, platform_opt);
			return 1;
		}
	}
	shim = absolute(find_shim(shim_opt));
	if (!shim || access(shim, R_OK)) {
		fprintf(stderr, "ioasid-run: preload library %s: %s\n", shim ? shim : "?",
			strerror(shim ? errno : ENOMEM));
		return 1;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		if (asprintf(&preload, "%s %s", shim, old) < 0)
			goto err_env;
	} else {
		preload = shim;
	}
	if (setenv("LD_PRELOAD", preload, 1))
		goto err_env;
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "ioasid-run: %s: %s\n", argv[optind], strerror(errno));
	return 127;

err_env:
	fprintf(stderr, "ioasid-run: cannot set up the environment\n");
	return 1;
}
