/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidctl_text.c - the daemon's replies as text for people: one screen per command,
 * columns where there are rows, addresses in hex, sizes with a unit.
 *
 * Shapes of the replies (docs/ioasidctl.md): status {daemon, clients, users}; objects
 * {contexts: [{pid, uid, command, context: {objects}}]}; ioas and pt {pid, uid, command,
 * context: {...}}. The printers walk what is there and print "-" for what is not.
 */
#include <inttypes.h>
#include <string.h>

#include "ioasidctl.h"

static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "K", "M", "G", "T", "P", "E" };
	unsigned int u = 0;

	while (u < 6 && bytes >= 1024 && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 "%s", bytes, unit[u]);
	return buf;
}

/* ["read","write"] -> "rw" style */
static const char *prot_str(struct json_object *arr, char *buf, size_t len)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	snprintf(buf, len, "--");
	if (!arr)
		return buf;
	buf[0] = buf[1] = '-';
	buf[2] = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));

		if (!strcmp(s, "read"))
			buf[0] = 'r';
		else if (!strcmp(s, "write"))
			buf[1] = 'w';
		else if (!strcmp(s, "cache") && strlen(buf) + 2 < len)
			strcat(buf, "c");
		else if (!strcmp(s, "noexec") && strlen(buf) + 2 < len)
			strcat(buf, "x");
	}
	return buf;
}

static void join_strings(FILE *f, struct json_object *arr, const char *sep)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? sep : "",
			json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void client_line(FILE *f, struct json_object *c)
{
	fprintf(f, "context of pid %s (%s), uid %s\n", jstr(c, "pid"), jstr(c, "command"),
		jstr(c, "uid"));
}

/* ---- status ------------------------------------------------------------------------------ */

void text_status(FILE *f, struct json_object *r)
{
	struct json_object *d = jget(r, "daemon"), *lim = jget(d, "limits");
	struct json_object *cnt = jget(d, "counters"), *clients = jget(r, "clients");
	struct json_object *users = jget(r, "users");
	size_t n = clients ? json_object_array_length(clients) : 0;

	fprintf(f, "daemon    pid %s  uid %s  up %ss  control %s\n", jstr(d, "pid"), jstr(d, "uid"),
		jstr(d, "uptime_s"), jstr(d, "control_socket"));
	fprintf(f, "limits    idle-exit %ss  message %s B  memlock %s  nofile %s  pt-entries %s\n",
		jstr(lim, "idle_exit_s"), jstr(lim, "max_message_bytes"),
		jstr(lim, "rlimit_memlock"), jstr(lim, "rlimit_nofile"),
		jstr(lim, "max_pt_entries_listed"));
	fprintf(f,
		"counters  clients %s  contexts %s  requests %s  bad messages %s  pinned %s "
		"pages\n",
		jstr(cnt, "clients"), jstr(cnt, "contexts"), jstr(cnt, "requests_total"),
		jstr(cnt, "bad_messages_total"), jstr(cnt, "pinned_pages"));
	fprintf(f, "clients   %zu\n", n);
	if (n)
		fprintf(f, "  %-8s %-6s %-16s %-8s %-8s %s\n", "PID", "UID", "COMMAND", "PINNED",
			"MEMLOCK", "CONTEXT");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(clients, i);
		struct json_object *ctx = jget(c, "context");

		fprintf(f, "  %-8s %-6s %-16s %-8s %-8s ", jstr(c, "pid"), jstr(c, "uid"),
			jstr(c, "command"), jstr(c, "proc_pinned_pages"), jstr(c, "memlock_limit"));
		if (!ctx) {
			fprintf(f, "none yet\n");
		} else if (jget(ctx, "error")) {
			fprintf(f, "%s\n", jstr(ctx, "error"));
		} else {
			bool first = true;

			fprintf(f, "%s objects", jstr(ctx, "objects"));
			json_object_object_foreach(ctx, key, val)
			{
				if (!strcmp(key, "objects"))
					continue;
				fprintf(f, "%s %s %s", first ? ":" : ",", key,
					json_object_get_string(val));
				first = false;
			}
			fputc('\n', f);
		}
	}
	n = users ? json_object_array_length(users) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(users, i);

		fprintf(f,
			"user      uid %s: %s pages locked (pinned memory charged to the user)\n",
			jstr(u, "uid"), jstr(u, "locked_pages"));
	}
}

/* ---- objects ------------------------------------------------------------------------------- */

static void links_str(struct json_object *links, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	if (!links)
		return;
	json_object_object_foreach(links, key, val)
	{
		int n = snprintf(buf + used, len - used, "%s%s %s", used ? ", " : "", key,
				 val ? json_object_get_string(val) : "none");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void object_details(FILE *f, struct json_object *o)
{
	const char *type = jstr(o, "type");
	char b[32];

	if (!strcmp(type, "ioas")) {
		fprintf(f, "%s areas, %s mapped, %s domains, %s accesses, hwpts [",
			jstr(o, "areas"), human(jnum(o, "mapped_bytes"), b, sizeof(b)),
			jstr(o, "domains"), jstr(o, "accesses"));
		join_strings(f, jget(o, "hwpts"), " ");
		fputc(']', f);
	} else if (!strcmp(type, "hwpt_paging")) {
		fprintf(f, "%s, %s levels, root %s, %s devices%s", jstr(o, "format"),
			jstr(o, "levels"), jstr(o, "root"), jstr(o, "devices"),
			jget(o, "auto_domain") && json_object_get_boolean(jget(o, "auto_domain")) ?
				", auto" :
				"");
	} else if (!strcmp(type, "device")) {
		fprintf(f, "model %s, caps [", jstr(o, "model"));
		join_strings(f, jget(o, "caps"), " ");
		fprintf(f, "], bound by %s", jstr(o, "bound_by"));
	} else if (!strcmp(type, "access")) {
		fprintf(f, "%s",
			json_object_get_boolean(jget(o, "pins_pages")) ? "pins pages" : "");
	} else if (!strcmp(type, "hwpt_nested")) {
		fprintf(f, "data type %s, %s devices, %s invalidations", jstr(o, "data_type"),
			jstr(o, "devices"), jstr(o, "invalidations"));
	} else if (!strcmp(type, "fault")) {
		fprintf(f, "fd %s, %s groups pending, %s records queued",
			json_object_get_boolean(jget(o, "fd_open")) ? "open" : "closed",
			jstr(o, "pending_groups"), jstr(o, "queued_records"));
	} else if (!strcmp(type, "viommu")) {
		fprintf(f, "type %s, %s vdevices, %s veventqs, %s hw queues",
			jstr(o, "viommu_type"), jstr(o, "vdevices"), jstr(o, "veventqs"),
			jstr(o, "hw_queues"));
	} else if (!strcmp(type, "vdevice")) {
		fprintf(f, "virt_id %s", jstr(o, "virt_id"));
	} else if (!strcmp(type, "veventq")) {
		fprintf(f, "type %s, %s of %s queued, fd %s%s", jstr(o, "veventq_type"),
			jstr(o, "queued"), jstr(o, "depth"),
			json_object_get_boolean(jget(o, "fd_open")) ? "open" : "closed",
			json_object_get_boolean(jget(o, "lost")) ? ", events lost" : "");
	} else if (!strcmp(type, "hw_queue")) {
		fprintf(f, "type %s, index %s, %s bytes at %s", jstr(o, "queue_type"),
			jstr(o, "index"), jstr(o, "length"), jstr(o, "base_iova"));
	}
}

/* ---- iotlb --------------------------------------------------------------------------------- */

void text_iotlb(FILE *f, struct json_object *r)
{
	static const char *const keys[] = { "hits", "misses", "fills", "invalidations",
					    "entries_dropped" };
	struct json_object *st = jget(r, "stats");

	fprintf(f, "IOTLB of the daemon (%s-wide, every context)\n", jstr(r, "scope"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		fprintf(f, "  %-16s %s\n", keys[i], jstr(st, keys[i]));
}

static void text_queue_list(FILE *f, struct json_object *arr, const char *what)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t j = 0; j < n; j++) {
		struct json_object *o = json_object_array_get_idx(arr, j);

		fprintf(f, "  %-5s %-8s %s\n", jstr(o, "id"), what,
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
}

/* faults: per context, its fault queues and vEVENTQs, one line each */
void text_faults(FILE *f, struct json_object *r)
{
	struct json_object *ctxs = jget(r, "contexts");
	size_t n = ctxs ? json_object_array_length(ctxs) : 0;

	if (!n)
		fprintf(f, "no contexts\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(ctxs, i);
		struct json_object *x = jget(c, "context");
		struct json_object *fq = jget(x, "faults"), *vq = jget(x, "veventqs");

		if (i)
			fputc('\n', f);
		client_line(f, c);
		if (jget(c, "error")) {
			fprintf(f, "  %s\n", jstr(jget(c, "error"), "error"));
			continue;
		}
		fprintf(f, "  fault queues %zu, vEVENTQs %zu\n",
			fq ? json_object_array_length(fq) : 0,
			vq ? json_object_array_length(vq) : 0);
		text_queue_list(f, fq, "fault");
		text_queue_list(f, vq, "veventq");
	}
}

void text_objects(FILE *f, struct json_object *r)
{
	struct json_object *ctxs = jget(r, "contexts");
	size_t n = ctxs ? json_object_array_length(ctxs) : 0;

	if (!n)
		fprintf(f, "no contexts\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(ctxs, i);
		struct json_object *objs = jget(jget(c, "context"), "objects");
		size_t m = objs ? json_object_array_length(objs) : 0;

		if (i)
			fputc('\n', f);
		client_line(f, c);
		if (jget(c, "error")) {
			fprintf(f, "  %s\n", jstr(jget(c, "error"), "error"));
			continue;
		}
		if (!m) {
			fprintf(f, "  no objects\n");
			continue;
		}
		fprintf(f, "  %-5s %-12s %-5s %-18s %s\n", "ID", "TYPE", "USERS", "LINKS",
			"DETAILS");
		for (size_t j = 0; j < m; j++) {
			struct json_object *o = json_object_array_get_idx(objs, j);
			char links[128];

			links_str(jget(o, "links"), links, sizeof(links));
			fprintf(f, "  %-5s %-12s %-5s %-18s ", jstr(o, "id"), jstr(o, "type"),
				jstr(o, "users"), *links ? links : "-");
			object_details(f, o);
			fputc('\n', f);
		}
	}
}

/* ---- ioas ---------------------------------------------------------------------------------- */

static void ranges(FILE *f, const char *title, struct json_object *arr, const char *empty)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	fprintf(f, "%s:%s\n", title, n ? "" : empty);
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);

		fprintf(f, "  [%18s, %18s]", jstr(r, "start"), jstr(r, "last"));
		if (jget(r, "owner"))
			fprintf(f, "  %s", jstr(r, "owner"));
		fputc('\n', f);
	}
}

void text_ioas(FILE *f, struct json_object *r)
{
	struct json_object *io = jget(r, "context"), *areas = jget(io, "areas");
	size_t n = areas ? json_object_array_length(areas) : 0;

	fprintf(f, "IOAS %s of pid %s (%s): alignment %s, large pages %s, hwpts [", jstr(io, "id"),
		jstr(r, "pid"), jstr(r, "command"), jstr(io, "iova_alignment"),
		jstr(io, "large_pages"));
	join_strings(f, jget(io, "hwpts"), " ");
	fprintf(f, "]\nareas: %zu\n", n);
	if (n)
		fprintf(f, "  %-18s %-18s %-7s %-5s %-6s %-18s %s\n", "START", "LAST", "SIZE",
			"PROT", "BACK", "AT", "PINNED");
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(areas, i);
		const char *back = jstr(a, "backing");
		char sz[32], prot[8];

		fprintf(f, "  %-18s %-18s %-7s %-5s %-6s %-18s %s/%s%s\n", jstr(a, "start"),
			jstr(a, "last"), human(jnum(a, "length"), sz, sizeof(sz)),
			prot_str(jget(a, "prot"), prot, sizeof(prot)), back,
			!strcmp(back, "file") ? jstr(a, "file_offset") : jstr(a, "user_va"),
			jstr(a, "pinned_pages"), jstr(a, "pages"),
			jnum(a, "access_pins") ? " (access pins)" : "");
	}
	ranges(f, "allowed", jget(io, "allowed"), " all (no IOMMU_IOAS_ALLOW_IOVAS)");
	ranges(f, "reserved", jget(io, "reserved"), " none");
	ranges(f, "iova_ranges (IOMMU_IOAS_IOVA_RANGES)", jget(io, "iova_ranges"), " none");
}

/* ---- pt ------------------------------------------------------------------------------------- */

static void entry_text(FILE *f, struct json_object *e)
{
	const char *kind = jstr(e, "kind");
	struct json_object *fields = jget(e, "fields");
	char prot[8], sz[32];

	fprintf(f, "%-18s %-6s", jstr(e, "value"), kind);
	if (!strcmp(kind, "table"))
		fprintf(f, " -> %s", jstr(e, "next_table"));
	else if (!strcmp(kind, "leaf"))
		fprintf(f, " %s %s %s%s", jstr(e, "oa"),
			human(jnum(e, "leaf_size"), sz, sizeof(sz)),
			prot_str(jget(e, "prot"), prot, sizeof(prot)),
			json_object_get_boolean(jget(e, "dirty")) ? " dirty" : "");
	fprintf(f, "  [");
	join_strings(f, jget(e, "flags"), " ");
	fputc(']', f);
	if (fields) {
		json_object_object_foreach(fields, key, val)
		{
			fprintf(f, " %s=%s", key, json_object_get_string(val));
		}
	}
	fputc('\n', f);
}

void text_pt(FILE *f, struct json_object *r)
{
	struct json_object *pt = jget(r, "context"), *tables = jget(pt, "tables");
	struct json_object *steps = jget(pt, "steps");

	fprintf(f, "HWPT %s of pid %s (%s) on IOAS %s: %s, %s levels, root %s, hw word %s\n",
		jstr(pt, "id"), jstr(r, "pid"), jstr(r, "command"), jstr(pt, "ioas"),
		jstr(pt, "format"), jstr(pt, "levels"), jstr(pt, "root"), jstr(pt, "hw_word"));
	if (steps) {
		struct json_object *res = jget(pt, "result");
		size_t n = json_object_array_length(steps);

		fprintf(f, "walk of IOVA %s\n", jstr(pt, "iova"));
		for (size_t i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(steps, i);

			fprintf(f, "  level %s  table %s [%4s] @%s  ", jstr(s, "level"),
				jstr(s, "table"), jstr(s, "index"), jstr(s, "entry_pa"));
			entry_text(f, s);
		}
		if (json_object_get_boolean(jget(res, "mapped"))) {
			char sz[32], prot[8];

			fprintf(f, "  => pa %s (leaf %s at level %s, %s)\n", jstr(res, "pa"),
				human(jnum(res, "leaf_size"), sz, sizeof(sz)),
				jstr(res, "leaf_level"),
				prot_str(jget(res, "prot"), prot, sizeof(prot)));
		} else {
			fprintf(f, "  => %s\n", jstr(res, "status"));
		}
		return;
	}
	for (size_t i = 0, n = tables ? json_object_array_length(tables) : 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(tables, i);
		struct json_object *ents = jget(t, "entries");
		size_t m = ents ? json_object_array_length(ents) : 0;

		fprintf(f, "level %s table @%s: %zu entries in use\n", jstr(t, "level"),
			jstr(t, "pa"), m);
		for (size_t j = 0; j < m; j++) {
			struct json_object *e = json_object_array_get_idx(ents, j);

			fprintf(f, "  [%4s] %18s..%-18s ", jstr(e, "index"), jstr(e, "iova"),
				jstr(e, "iova_last"));
			entry_text(f, e);
		}
	}
	fprintf(f, "%s entries%s\n", jstr(pt, "entries"),
		json_object_get_boolean(jget(pt, "truncated")) ? " (truncated)" : "");
}
