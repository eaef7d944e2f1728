/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidctl_svg.c - a picture of one IOAS's IOVA space, as an SVG file.
 *
 * The space is 2^64 bytes and an area may be one page of it, so a linear scale would show
 * nothing. The picture is gap-compressed instead: every start and end of an area, a
 * reserved, an allowed or a usable range cuts the axis into segments, and each segment gets
 * a width that grows with the logarithm of its length (a page is narrow but visible, 2^63
 * bytes is only a few times wider). Lanes, top to bottom: areas (by backing, holes in grey),
 * the ranges IOMMU_IOAS_IOVA_RANGES reports, reserved ranges, allowed ranges. Each box
 * carries a <title> with its exact range, which viewers show on hover; every cut is
 * labelled with its address.
 *
 * Words: ranges are [start, last]; the end of the axis is 2^64, kept in an unsigned
 * __int128 so that nothing wraps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"

typedef unsigned __int128 u128;

#define SVG_WIDTH 1200.0
#define LANE_H	  34.0
#define LANE_GAP  14.0
#define LEFT	  150.0
#define TOP	  60.0

struct cuts {
	u128 *v;
	size_t n, cap;
};

static int cut_add(struct cuts *c, u128 x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		u128 *nv = realloc(c->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = x;
	return 0;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

static int add_ranges(struct cuts *c, struct json_object *arr)
{
	for (size_t i = 0, n = arr ? json_object_array_length(arr) : 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);

		if (cut_add(c, jnum(r, "start")) || cut_add(c, (u128)jnum(r, "last") + 1))
			return -1;
	}
	return 0;
}

/* Segment widths: proportional to 4 + log2(length), scaled to the drawing's width. */
struct axis {
	const struct cuts *c;
	double *x; /* x of each cut */
};

static double axis_x(const struct axis *ax, u128 v)
{
	size_t lo = 0, hi = ax->c->n - 1;

	while (lo < hi) { /* the cut equal to v: every drawn edge is one */
		size_t mid = (lo + hi) / 2;

		if (ax->c->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ax->x[lo];
}

static double log2_u128(u128 v)
{
	return v >> 64 ? 64.0 : log2((double)(uint64_t)v);
}

static void hex_of(u128 v, char *buf, size_t len)
{
	if (v >> 64)
		snprintf(buf, len, "2^64");
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)(uint64_t)v);
}

static void box(FILE *f, const struct axis *ax, double y, struct json_object *r, const char *fill,
		const char *label)
{
	u128 s = jnum(r, "start"), e = (u128)jnum(r, "last") + 1;
	double x0 = axis_x(ax, s), x1 = axis_x(ax, e);

	fprintf(f,
		"<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' stroke='#333' "
		"stroke-width='0.6'><title>%s [%s, %s]</title></rect>\n",
		x0, y, x1 - x0 > 1 ? x1 - x0 : 1, LANE_H, fill, label, jstr(r, "start"),
		jstr(r, "last"));
}

static void lane(FILE *f, const struct axis *ax, double y, const char *name,
		 struct json_object *arr, const char *fill, const char *label, bool by_backing)
{
	double x_end = axis_x(ax, ax->c->v[ax->c->n - 1]);

	fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='end' font-size='13'>%s</text>\n", LEFT - 8,
		y + LANE_H / 2 + 4, name);
	/* the lane's background is the hole */
	fprintf(f,
		"<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#eeeeee' "
		"stroke='#bbb'/>\n",
		LEFT, y, x_end - LEFT, LANE_H);
	for (size_t i = 0, n = arr ? json_object_array_length(arr) : 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);
		const char *fl = fill, *lb = label;

		if (by_backing && !strcmp(jstr(r, "backing"), "file")) {
			fl = "#4a90d9";
			lb = "area (file)";
		} else if (by_backing) {
			fl = "#e07b39";
			lb = "area (user memory)";
		}
		box(f, ax, y, r, fl, lb);
	}
}

int svg_write_ioas(FILE *f, struct json_object *io)
{
	struct json_object *areas = jget(io, "areas"), *res = jget(io, "reserved");
	struct json_object *allowed = jget(io, "allowed"), *usable = jget(io, "iova_ranges");
	struct cuts c = { 0 };
	struct axis ax = { &c, NULL };
	double total = 0, scale, height;
	size_t k = 0;

	if (!io || cut_add(&c, 0) || cut_add(&c, (u128)1 << 64) || add_ranges(&c, areas) ||
	    add_ranges(&c, res) || add_ranges(&c, allowed) || add_ranges(&c, usable))
		goto err;
	qsort(c.v, c.n, sizeof(*c.v), cmp_u128);
	for (size_t i = 1; i < c.n; i++) /* unique */
		if (c.v[i] != c.v[k])
			c.v[++k] = c.v[i];
	c.n = k + 1;
	ax.x = calloc(c.n, sizeof(*ax.x));
	if (!ax.x)
		goto err;
	for (size_t i = 0; i + 1 < c.n; i++)
		total += 4.0 + log2_u128(c.v[i + 1] - c.v[i]);
	scale = (SVG_WIDTH - LEFT - 20) / total;
	ax.x[0] = LEFT;
	for (size_t i = 0; i + 1 < c.n; i++)
		ax.x[i + 1] = ax.x[i] + scale * (4.0 + log2_u128(c.v[i + 1] - c.v[i]));

	height = TOP + 4 * (LANE_H + LANE_GAP) + 140;
	fprintf(f,
		"<?xml version='1.0' encoding='UTF-8'?>\n"
		"<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
		"font-family='sans-serif'>\n"
		"<rect width='100%%' height='100%%' fill='white'/>\n"
		"<text x='10' y='24' font-size='16'>IOAS %s: IOVA space (alignment %s)</text>\n"
		"<text x='10' y='44' font-size='11' fill='#555'>gap-compressed scale: each "
		"segment between two marked addresses is as wide as 4 + log2 of its length; "
		"hover a box for its range</text>\n",
		SVG_WIDTH, height, jstr(io, "id"), jstr(io, "iova_alignment"));
	lane(f, &ax, TOP, "areas", areas, NULL, NULL, true);
	lane(f, &ax, TOP + (LANE_H + LANE_GAP), "IOVA_RANGES", usable, "#6abf69", "usable", false);
	lane(f, &ax, TOP + 2 * (LANE_H + LANE_GAP), "reserved", res, "#d9534f", "reserved", false);
	if (allowed && json_object_array_length(allowed))
		lane(f, &ax, TOP + 3 * (LANE_H + LANE_GAP), "allowed", allowed, "#9b7fd1",
		     "allowed", false);
	else
		fprintf(f,
			"<text x='%.1f' y='%.1f' font-size='12' fill='#555'>allowed: everything "
			"not reserved (no IOMMU_IOAS_ALLOW_IOVAS)</text>\n",
			LEFT, TOP + 3 * (LANE_H + LANE_GAP) + LANE_H / 2 + 4);
	for (size_t i = 0; i < c.n; i++) {
		double y = TOP + 4 * (LANE_H + LANE_GAP) - LANE_GAP + 4;
		char hex[24];

		hex_of(c.v[i], hex, sizeof(hex));
		fprintf(f,
			"<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#999' "
			"stroke-dasharray='2,2'/>\n"
			"<text transform='translate(%.1f,%.1f) rotate(60)' "
			"font-size='9'>%s</text>\n",
			ax.x[i], TOP - 4, ax.x[i], y, ax.x[i] + 2, y + 4, hex);
	}
	fprintf(f,
		"<g font-size='11'><rect x='10' y='%.0f' width='12' height='12' fill='#4a90d9'/>"
		"<text x='26' y='%.0f'>area: file</text>"
		"<rect x='110' y='%.0f' width='12' height='12' fill='#e07b39'/>"
		"<text x='126' y='%.0f'>area: user memory</text>"
		"<rect x='250' y='%.0f' width='12' height='12' fill='#eeeeee' stroke='#bbb'/>"
		"<text x='266' y='%.0f'>hole</text></g>\n</svg>\n",
		height - 20, height - 10, height - 20, height - 10, height - 20, height - 10);
	free(ax.x);
	free(c.v);
	return ferror(f) ? -1 : 0;

err:
	free(ax.x);
	free(c.v);
	return -1;
}
