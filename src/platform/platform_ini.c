// SPDX-License-Identifier: BSD-3-Clause
/*
 * platform_ini.c - the platform file parser (docs/devices.md has the grammar), on libinih.
 *
 * What it owns: turning INI text into a struct platform and every error message. libinih
 * splits lines into sections and key = value pairs and calls us per pair; everything else
 * (which sections and keys exist, values, cross-section rules) is here. The first error
 * wins and is reported as one line, "line N: ...".
 *
 * Line numbers: Debian's libinih is built without passing line numbers to the handler, so
 * the text is fed through our own reader (one call per line) that counts lines and notes
 * each section header's line. A rule about a whole section (a required key missing, a BAR
 * clash) is checked when the section ends (the next section's first key, or the end) and
 * names the section's header line. A header libinih never calls us for (a section with no
 * keys) is caught from the reader's notes after the parse.
 *
 * Traps: libinih keeps parsing after an error and returns the first line it saw fail,
 * which may be a syntax error before our first error: both are compared by the line at
 * which they were detected. A line longer than the reader's buffer would be split in two
 * by libinih; the text is checked for long lines first.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "platform/platform_int.h"

#define MAX_HEADERS (PLATFORM_MAX_IOMMUS + PLATFORM_MAX_DEVICES + 16)

enum sect_kind { SECT_NONE, SECT_IOMMU, SECT_DEVICE };

/* keys of a [device] section, as bits of struct parser.seen */
enum dev_key {
	DK_IOMMU,
	DK_MODEL,
	DK_VENDOR,
	DK_DEVICE,
	DK_CLASS,
	DK_REVISION,
	DK_SUBSYS_VENDOR,
	DK_SUBSYS_DEVICE,
	DK_BAR0, /* .. DK_BAR0 + 5 */
	DK_MSIX = DK_BAR0 + PLATFORM_NR_BARS,
	DK_MSIX_BAR,
	DK_MSIX_TABLE,
	DK_MSIX_PBA,
	DK_PASID,
	DK_RID,
	DK_GROUP,
	DK_NR,
};

static const char *const dev_keys[DK_NR] = {
	[DK_IOMMU] = "iommu",
	[DK_MODEL] = "model",
	[DK_VENDOR] = "vendor",
	[DK_DEVICE] = "device",
	[DK_CLASS] = "class",
	[DK_REVISION] = "revision",
	[DK_SUBSYS_VENDOR] = "subsystem-vendor",
	[DK_SUBSYS_DEVICE] = "subsystem-device",
	[DK_BAR0] = "bar0",
	[DK_BAR0 + 1] = "bar1",
	[DK_BAR0 + 2] = "bar2",
	[DK_BAR0 + 3] = "bar3",
	[DK_BAR0 + 4] = "bar4",
	[DK_BAR0 + 5] = "bar5",
	[DK_MSIX] = "msix",
	[DK_MSIX_BAR] = "msix-bar",
	[DK_MSIX_TABLE] = "msix-table",
	[DK_MSIX_PBA] = "msix-pba",
	[DK_PASID] = "pasid",
	[DK_RID] = "rid",
	[DK_GROUP] = "group",
};

struct header {
	int line;
	char name[PLATFORM_LINE_MAX + 1];
	bool used; /* libinih called us for a key of it */
};

struct parser {
	struct platform *p;
	/* the reader */
	const char *pos;
	int line;
	struct header *headers;
	unsigned int nr_headers;
	/* the section being read */
	enum sect_kind kind;
	char sect[PLATFORM_LINE_MAX + 1];
	int sect_line;
	uint32_t seen; /* keys given (bit per enum dev_key, or 1: kind 2: format) */
	char iommu_ref[PLATFORM_NAME_MAX];
	/* per device: its header line and iommu name, resolved at the end */
	int dev_line[PLATFORM_MAX_DEVICES];
	char dev_iommu[PLATFORM_MAX_DEVICES][PLATFORM_NAME_MAX];
	uint32_t dev_seen[PLATFORM_MAX_DEVICES];
	int iommu_line[PLATFORM_MAX_IOMMUS];
	/* the first error */
	int err_line; /* the line the message names */
	int err_at;   /* the reader's line when it was found */
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (ps->err_line)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err_line = line;
	ps->err_at = ps->line;
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "line %d: %s", line, msg);
	return 0;
}

/* ---- the reader: one line per call, counting lines and noting headers ------------------- */

static char *reader(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	const char *s = ps->pos, *nl, *t;
	size_t len;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	len = nl ? (size_t)(nl - s) + 1 : strlen(s);
	if (len > (size_t)num - 1) /* checked before the parse; never split a line */
		len = (size_t)num - 1;
	memcpy(str, s, len);
	str[len] = '\0';
	ps->pos = s + len;
	ps->line++;
	for (t = str; *t == ' ' || *t == '\t'; t++)
		;
	if (*t == '[' && ps->nr_headers < MAX_HEADERS) {
		struct header *h = &ps->headers[ps->nr_headers++];
		const char *end = strchr(t, ']');

		h->line = ps->line;
		h->used = false;
		if (end) {
			/* libinih takes the name between the brackets as it is */
			size_t n = (size_t)(end - t - 1);

			memcpy(h->name, t + 1, n);
			h->name[n] = '\0';
		} else {
			h->name[0] = '\0';
		}
	}
	return str;
}

/* ---- values ------------------------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "16K", "4096", "1M", "2G" */
static int parse_size(const char *s, size_t n, uint64_t *out)
{
	char buf[32];
	uint64_t v, mult = 1;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	switch (buf[n - 1]) {
	case 'K':
		mult = UINT64_C(1) << 10;
		break;
	case 'M':
		mult = UINT64_C(1) << 20;
		break;
	case 'G':
		mult = UINT64_C(1) << 30;
		break;
	default:
		break;
	}
	if (mult != 1)
		buf[n - 1] = '\0';
	if (parse_u64(buf, (UINT64_C(1) << 40) / mult, &v))
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* "SIZE [io|mem32|mem64] [prefetch] [ram]" */
static int parse_bar(const char *s, struct platform_bar *out)
{
	const char *w = s;
	bool got_space = false;

	memset(out, 0, sizeof(*out));
	while (*w && !isspace((unsigned char)*w))
		w++;
	if (parse_size(s, (size_t)(w - s), &out->size))
		return -EINVAL;
	while (*w) {
		const char *a;
		size_t n;

		while (isspace((unsigned char)*w))
			w++;
		a = w;
		while (*w && !isspace((unsigned char)*w))
			w++;
		n = (size_t)(w - a);
		if (!n)
			break;
		if (n == 2 && !strncmp(a, "io", 2) && !got_space)
			out->flags |= PLATFORM_BAR_IO;
		else if (n == 5 && !strncmp(a, "mem64", 5) && !got_space)
			out->flags |= PLATFORM_BAR_MEM64;
		else if (n == 5 && !strncmp(a, "mem32", 5) && !got_space)
			;
		else if (n == 8 && !strncmp(a, "prefetch", 8) &&
			 !(out->flags & PLATFORM_BAR_PREFETCH))
			out->flags |= PLATFORM_BAR_PREFETCH;
		else if (n == 3 && !strncmp(a, "ram", 3) && !(out->flags & PLATFORM_BAR_RAM))
			out->flags |= PLATFORM_BAR_RAM;
		else
			return -EINVAL;
		if (n != 8 && n != 3)
			got_space = true;
	}
	if ((out->flags & PLATFORM_BAR_IO) && (out->flags & PLATFORM_BAR_PREFETCH))
		return -EINVAL;
	/* a RAM BAR is memory of at least a page: it is mapped and exported whole pages */
	if ((out->flags & PLATFORM_BAR_RAM) && ((out->flags & PLATFORM_BAR_IO) || out->size < 4096))
		return -EINVAL;
	if (out->size & (out->size - 1))
		return -EINVAL;
	if (out->flags & PLATFORM_BAR_IO)
		return out->size >= 4 && out->size <= 256 ? 0 : -EINVAL;
	if (out->size < 16)
		return -EINVAL;
	if (!(out->flags & PLATFORM_BAR_MEM64) && out->size > (UINT64_C(1) << 31))
		return -EINVAL;
	return 0;
}

/* ---- sections ---------------------------------------------------------------------------- */

static bool end_iommu(struct parser *ps)
{
	struct platform_iommu *m = &ps->p->iommus[ps->p->nr_iommus - 1];

	if (!(ps->seen & 1))
		return fail(ps, ps->sect_line, "[%s] has no 'kind'", ps->sect);
	if (!(ps->seen & 2))
		snprintf(m->format, sizeof(m->format), "%s",
			 platform_iommu_default_format(m->kind));
	if (!platform_kind_takes_format(m->kind, m->format))
		return fail(ps, ps->sect_line, "[%s]: format '%s' is not one a %s IOMMU uses",
			    ps->sect, m->format, platform_iommu_kind_name(m->kind));
	return true;
}

static bool end_device(struct parser *ps)
{
	size_t idx = ps->p->nr_devs - 1;
	struct platform_device *d = &ps->p->devs[idx];
	static const enum dev_key required[] = { DK_IOMMU, DK_VENDOR, DK_DEVICE, DK_CLASS };
	uint64_t msix_end, pba_end, barsz;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(ps->seen & (UINT32_C(1) << required[i])))
			return fail(ps, ps->sect_line, "[%s] has no '%s'", ps->sect,
				    dev_keys[required[i]]);
	for (unsigned int b = 0; b + 1 < PLATFORM_NR_BARS; b++)
		if ((d->bars[b].flags & PLATFORM_BAR_MEM64) && d->bars[b].size &&
		    d->bars[b + 1].size)
			return fail(ps, ps->sect_line,
				    "[%s]: bar%u is the upper half of 64-bit bar%u", ps->sect,
				    b + 1, b);
	if (d->bars[5].flags & PLATFORM_BAR_MEM64)
		return fail(ps, ps->sect_line, "[%s]: bar5 cannot be 64-bit", ps->sect);
	if (ps->seen & ((UINT32_C(1) << DK_MSIX_BAR) | (UINT32_C(1) << DK_MSIX_TABLE) |
			(UINT32_C(1) << DK_MSIX_PBA)))
		if (!(ps->seen & (UINT32_C(1) << DK_MSIX)))
			return fail(ps, ps->sect_line, "[%s]: msix-bar/table/pba without 'msix'",
				    ps->sect);
	if (d->msix_vectors) {
		if (!(ps->seen & (UINT32_C(1) << DK_MSIX_PBA)))
			d->msix_pba_off = (d->msix_table_off + d->msix_vectors * 16 + 7) & ~7u;
		barsz = d->bars[d->msix_bar].size;
		if (!barsz || (d->bars[d->msix_bar].flags & PLATFORM_BAR_IO))
			return fail(ps, ps->sect_line, "[%s]: msix-bar %u is not a memory BAR",
				    ps->sect, d->msix_bar);
		if (d->bars[d->msix_bar].flags & PLATFORM_BAR_RAM)
			return fail(ps, ps->sect_line, "[%s]: msix-bar %u is a RAM BAR", ps->sect,
				    d->msix_bar);
		msix_end = (uint64_t)d->msix_table_off + d->msix_vectors * 16;
		pba_end = (uint64_t)d->msix_pba_off + (d->msix_vectors + 63) / 64 * 8;
		if ((d->msix_table_off & 7) || (d->msix_pba_off & 7) || msix_end > barsz ||
		    pba_end > barsz || (d->msix_pba_off < msix_end && d->msix_table_off < pba_end))
			return fail(ps, ps->sect_line,
				    "[%s]: the MSI-X table and PBA must be 8-byte aligned, "
				    "inside bar%u and apart",
				    ps->sect, d->msix_bar);
	}
	if (!(ps->seen & (UINT32_C(1) << DK_RID)))
		d->rid = platform_bdf_rid(&d->bdf);
	if (!(ps->seen & (UINT32_C(1) << DK_MODEL)))
		snprintf(d->model, sizeof(d->model), "none");
	ps->dev_seen[idx] = ps->seen;
	return true;
}

static bool end_section(struct parser *ps)
{
	switch (ps->kind) {
	case SECT_IOMMU:
		return end_iommu(ps);
	case SECT_DEVICE:
		return end_device(ps);
	default:
		return true;
	}
}

static bool begin_section(struct parser *ps, const char *section)
{
	struct platform *p = ps->p;
	struct platform_bdf bdf;

	snprintf(ps->sect, sizeof(ps->sect), "%s", section);
	ps->sect_line = ps->nr_headers ? ps->headers[ps->nr_headers - 1].line : ps->line;
	if (ps->nr_headers)
		ps->headers[ps->nr_headers - 1].used = true;
	ps->seen = 0;
	ps->kind = SECT_NONE;
	if (!strncmp(section, "iommu ", 6)) {
		const char *name = section + 6;
		size_t n = strlen(name);

		if (!n || n >= PLATFORM_NAME_MAX || strchr(name, ' '))
			return fail(ps, ps->sect_line, "bad IOMMU name in [%s]", section);
		for (size_t i = 0; i < p->nr_iommus; i++)
			if (!strcmp(p->iommus[i].name, name))
				return fail(ps, ps->sect_line, "duplicate section [%s]", section);
		if (p->nr_iommus == PLATFORM_MAX_IOMMUS)
			return fail(ps, ps->sect_line, "more than %d IOMMUs", PLATFORM_MAX_IOMMUS);
		ps->iommu_line[p->nr_iommus] = ps->sect_line;
		memset(&p->iommus[p->nr_iommus], 0, sizeof(p->iommus[0]));
		memcpy(p->iommus[p->nr_iommus].name, name, n + 1);
		p->nr_iommus++;
		ps->kind = SECT_IOMMU;
		return true;
	}
	if (!strncmp(section, "device ", 7)) {
		if (platform_bdf_parse(section + 7, &bdf))
			return fail(ps, ps->sect_line, "bad BDF in [%s] (expected ssss:bb:dd.f)",
				    section);
		if (platform_device_find(p, &bdf))
			return fail(ps, ps->sect_line, "duplicate section [%s]", section);
		if (p->nr_devs == PLATFORM_MAX_DEVICES)
			return fail(ps, ps->sect_line, "more than %d devices",
				    PLATFORM_MAX_DEVICES);
		memset(&p->devs[p->nr_devs], 0, sizeof(p->devs[0]));
		p->devs[p->nr_devs].bdf = bdf;
		ps->dev_line[p->nr_devs] = ps->sect_line;
		p->nr_devs++;
		ps->kind = SECT_DEVICE;
		return true;
	}
	return fail(ps, ps->sect_line,
		    "unknown section [%s] (expected [iommu NAME] or "
		    "[device BDF])",
		    section);
}

/* ---- keys -------------------------------------------------------------------------------- */

static int iommu_key(struct parser *ps, const char *name, const char *value)
{
	struct platform_iommu *m = &ps->p->iommus[ps->p->nr_iommus - 1];
	uint32_t bit;

	if (!strcmp(name, "kind"))
		bit = 1;
	else if (!strcmp(name, "format"))
		bit = 2;
	else
		return fail(ps, ps->line, "unknown key '%s' in [%s]", name, ps->sect);
	if (ps->seen & bit)
		return fail(ps, ps->line, "duplicate key '%s' in [%s]", name, ps->sect);
	ps->seen |= bit;
	if (bit == 1) {
		if (platform_iommu_kind_parse(value, &m->kind))
			return fail(ps, ps->line,
				    "unknown IOMMU kind '%s' (mock, vtd, smmuv3, amd, riscv, tce)",
				    value);
		return 1;
	}
	if (strlen(value) >= sizeof(m->format))
		return fail(ps, ps->line, "format name '%s' too long", value);
	snprintf(m->format, sizeof(m->format), "%s", value);
	return 1;
}

static int bad_value(struct parser *ps, const char *name, const char *value, const char *what)
{
	return fail(ps, ps->line, "bad value '%s' for '%s' (expected %s)", value, name, what);
}

static int device_key(struct parser *ps, const char *name, const char *value)
{
	size_t idx = ps->p->nr_devs - 1;
	struct platform_device *d = &ps->p->devs[idx];
	unsigned int k;
	uint64_t v = 0;

	for (k = 0; k < DK_NR; k++)
		if (!strcmp(name, dev_keys[k]))
			break;
	if (k == DK_NR)
		return fail(ps, ps->line, "unknown key '%s' in [%s]", name, ps->sect);
	if (ps->seen & (UINT32_C(1) << k))
		return fail(ps, ps->line, "duplicate key '%s' in [%s]", name, ps->sect);
	ps->seen |= UINT32_C(1) << k;
	if (k >= DK_BAR0 && k < DK_BAR0 + PLATFORM_NR_BARS) {
		if (parse_bar(value, &d->bars[k - DK_BAR0]))
			return bad_value(ps, name, value,
					 "a power-of-two size, 16 .. 2G (mem32), 16 .. 1T "
					 "(mem64), 4 .. 256 (io); then io, mem32 or mem64, "
					 "and prefetch, and ram (memory, 4K or more)");
		return 1;
	}
	switch (k) {
	case DK_IOMMU:
	case DK_MODEL:
		if (!*value || strlen(value) >= PLATFORM_NAME_MAX)
			return bad_value(ps, name, value, "a name");
		if (k == DK_IOMMU) {
			snprintf(ps->dev_iommu[idx], PLATFORM_NAME_MAX, "%s", value);
		} else {
			if (!platform_model_known(value))
				return bad_value(ps, name, value, "none or ioat");
			snprintf(d->model, sizeof(d->model), "%s", value);
		}
		return 1;
	case DK_VENDOR:
	case DK_DEVICE:
	case DK_SUBSYS_VENDOR:
	case DK_SUBSYS_DEVICE:
	case DK_RID:
		if (parse_u64(value, 0xffff, &v))
			return bad_value(ps, name, value, "a 16-bit number");
		if (k == DK_VENDOR && (v == 0xffff || v == 0))
			return bad_value(ps, name, value, "a vendor ID other than 0 and 0xffff");
		if (k == DK_VENDOR)
			d->vendor = (uint16_t)v;
		else if (k == DK_DEVICE)
			d->device = (uint16_t)v;
		else if (k == DK_SUBSYS_VENDOR)
			d->subsys_vendor = (uint16_t)v;
		else if (k == DK_SUBSYS_DEVICE)
			d->subsys_device = (uint16_t)v;
		else
			d->rid = (uint16_t)v;
		return 1;
	case DK_CLASS:
		if (parse_u64(value, 0xffffff, &v))
			return bad_value(ps, name, value, "a 24-bit class code");
		d->class_code = (uint32_t)v;
		return 1;
	case DK_REVISION:
		if (parse_u64(value, 0xff, &v))
			return bad_value(ps, name, value, "an 8-bit number");
		d->revision = (uint8_t)v;
		return 1;
	case DK_MSIX:
		if (parse_u64(value, 2048, &v) || !v)
			return bad_value(ps, name, value, "1 .. 2048 vectors");
		d->msix_vectors = (unsigned int)v;
		return 1;
	case DK_MSIX_BAR:
		if (parse_u64(value, PLATFORM_NR_BARS - 1, &v))
			return bad_value(ps, name, value, "a BAR number 0 .. 5");
		d->msix_bar = (unsigned int)v;
		return 1;
	case DK_MSIX_TABLE:
	case DK_MSIX_PBA:
		if (parse_u64(value, UINT32_MAX, &v))
			return bad_value(ps, name, value, "a 32-bit offset in the BAR");
		if (k == DK_MSIX_TABLE)
			d->msix_table_off = (uint32_t)v;
		else
			d->msix_pba_off = (uint32_t)v;
		return 1;
	case DK_PASID:
		if (parse_u64(value, 20, &v))
			return bad_value(ps, name, value, "a PASID width 0 .. 20");
		d->pasid_bits = (unsigned int)v;
		return 1;
	case DK_GROUP:
		if (parse_u64(value, 65535, &v))
			return bad_value(ps, name, value, "a group number 0 .. 65535");
		d->group = (unsigned int)v;
		return 1;
	default:
		return fail(ps, ps->line, "unknown key '%s' in [%s]", name, ps->sect);
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;

	if (ps->err_line)
		return 1; /* keep the first error only */
	if (!*section)
		return fail(ps, ps->line, "key '%s' outside a section", name);
	if (ps->kind == SECT_NONE || strcmp(section, ps->sect)) {
		if (ps->kind != SECT_NONE && !end_section(ps))
			return 0;
		if (!begin_section(ps, section))
			return 0;
	} else if (ps->nr_headers && ps->headers[ps->nr_headers - 1].line > ps->sect_line) {
		/* the same header again right after itself: libinih does not tell us apart */
		return fail(ps, ps->headers[ps->nr_headers - 1].line, "duplicate section [%s]",
			    section);
	}
	if (ps->kind == SECT_IOMMU)
		return iommu_key(ps, name, value);
	return device_key(ps, name, value);
}

/* ---- the whole platform ------------------------------------------------------------------ */

static bool check_platform(struct parser *ps)
{
	struct platform *p = ps->p;
	unsigned int next_group = 0;
	char a[16], b[16];

	for (unsigned int i = 0; i < ps->nr_headers; i++)
		if (!ps->headers[i].used)
			return fail(ps, ps->headers[i].line, "section [%s] has no keys",
				    ps->headers[i].name);
	for (size_t i = 0; i < p->nr_devs; i++) {
		size_t m;

		for (m = 0; m < p->nr_iommus; m++)
			if (!strcmp(p->iommus[m].name, ps->dev_iommu[i]))
				break;
		platform_bdf_format(&p->devs[i].bdf, a, sizeof(a));
		if (m == p->nr_iommus)
			return fail(ps, ps->dev_line[i], "[device %s]: no [iommu %s]", a,
				    ps->dev_iommu[i]);
		p->devs[i].iommu = (unsigned int)m;
		if ((ps->dev_seen[i] & (UINT32_C(1) << DK_GROUP)) &&
		    p->devs[i].group + 1 > next_group)
			next_group = p->devs[i].group + 1;
	}
	/* devices without a group get one of their own, numbered after the given ones */
	for (size_t i = 0; i < p->nr_devs; i++)
		if (!(ps->dev_seen[i] & (UINT32_C(1) << DK_GROUP)))
			p->devs[i].group = next_group++;
	for (size_t i = 0; i < p->nr_devs; i++) {
		const struct platform_device *d = &p->devs[i];

		for (size_t j = 0; j < i; j++) {
			const struct platform_device *e = &p->devs[j];

			platform_bdf_format(&d->bdf, a, sizeof(a));
			platform_bdf_format(&e->bdf, b, sizeof(b));
			if (d->group == e->group && d->iommu != e->iommu)
				return fail(ps, ps->dev_line[i],
					    "[device %s]: group %u is behind [iommu %s], not "
					    "[iommu %s]",
					    a, d->group, p->iommus[e->iommu].name,
					    p->iommus[d->iommu].name);
			if (d->iommu == e->iommu && d->bdf.segment == e->bdf.segment &&
			    d->rid == e->rid && d->group != e->group)
				return fail(ps, ps->dev_line[i],
					    "[device %s]: requester ID 0x%04x is also [device "
					    "%s]'s, so they must share a group",
					    a, d->rid, b);
		}
	}
	return true;
}

static bool check_lines(struct parser *ps, const char *text)
{
	int line = 1;
	size_t n = 0;

	for (const char *s = text; *s; s++) {
		if (*s == '\n') {
			line++;
			n = 0;
			continue;
		}
		if (++n > PLATFORM_LINE_MAX) {
			ps->line = line;
			return fail(ps, line, "longer than %d characters", PLATFORM_LINE_MAX);
		}
	}
	return true;
}

int platform_parse(const char *text, struct platform **out, char *err, size_t errlen)
{
	struct parser *ps = calloc(1, sizeof(*ps));
	int rc = 0, ret;

	if (err && errlen)
		err[0] = '\0';
	if (!ps)
		return -ENOMEM;
	ps->headers = calloc(MAX_HEADERS, sizeof(*ps->headers));
	ps->p = platform_alloc();
	if (!ps->headers || !ps->p) {
		rc = -ENOMEM;
		goto out_free;
	}
	ps->err = err;
	ps->errlen = errlen;
	ps->pos = text;
	if (!check_lines(ps, text))
		goto out_fail;
	ret = ini_parse_stream(reader, ps, handler, ps);
	if (ret == -2) {
		rc = -ENOMEM;
		goto out_free;
	}
	if (ret > 0 && (!ps->err_line || ret < ps->err_at)) {
		ps->err_line = 0;
		fail(ps, ret, "syntax error (expected [section], key = value or a comment)");
		goto out_fail;
	}
	if (ps->err_line)
		goto out_fail;
	if (ps->kind != SECT_NONE && !end_section(ps))
		goto out_fail;
	if (!check_platform(ps))
		goto out_fail;
	*out = ps->p;
	ps->p = NULL;
	goto out_free;

out_fail:
	rc = -EINVAL;
out_free:
	platform_free(ps->p);
	free(ps->headers);
	free(ps);
	return rc;
}

int platform_load(const char *path, struct platform **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	{
		FILE *m = open_memstream(&text, &len);
		char buf[4096];
		size_t n;

		if (!m) {
			fclose(f);
			return -ENOMEM;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m);
		rc = ferror(f) ? -EIO : 0;
		if (fclose(m) && !rc)
			rc = -ENOMEM;
	}
	fclose(f);
	if (!rc && memchr(text, '\0', len)) {
		rc = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: a NUL byte in the file", path);
	} else if (!rc) {
		char msg[224];

		rc = platform_parse(text, out, msg, sizeof(msg));
		if (rc && err && errlen)
			snprintf(err, errlen, "%s: %s", path, msg);
	} else if (err && errlen) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	}
	free(text);
	return rc;
}
