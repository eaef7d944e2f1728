// SPDX-License-Identifier: BSD-3-Clause
/*
 * platform.c - the embedded default platform, and everything about a platform that is not
 * parsing: names of IOMMU kinds and their default formats, BDFs, writing a platform back
 * in the file format, comparing two.
 *
 * The default platform is INI text parsed by the same parser as a file (platform_ini.c), so
 * the file format can describe everything the default has and the tests check both with one
 * round trip. It gives each IOMMU kind the translation module models (src/iommu: the mock
 * and the page-table models, src/pt) at least one device, on a PCI segment of its own:
 *
 *   segment 0  VT-d    two I/OAT DMA channels (8086:2021, Skylake-SP CBDMA), one group each
 *   segment 1  mock    a QEMU PCI test device (1b36:0005)
 *   segment 2  SMMUv3  an NVMe controller (1b36:0010) with a 20-bit PASID capability and a
 *                     controller memory buffer (BAR 2, 1 MiB of RAM: a P2P target)
 *   segment 3  AMD-Vi  a two-function virtio-net (1af4:1041): one group (no ACS)
 *   segment 4  RISC-V  an xHCI controller (1b36:000d)
 *   segment 5  TCE     a virtio-blk (1af4:1042)
 *
 * Traps: the default is parsed once (pthread_once) and never freed; a broken default text
 * is a bug caught by the tests, so it aborts rather than returning NULL.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_int.h"
#include "pt/pt.h"

static const char platform_default_ini[] =
	"# The default platform of ioasid (src/platform/platform.c)\n"
	"[iommu dmar0]\n"
	"kind = vtd\n"
	"format = vtd-ss-4\n"
	"\n"
	"[iommu mock0]\n"
	"kind = mock\n"
	"format = mock\n"
	"\n"
	"[iommu smmu0]\n"
	"kind = smmuv3\n"
	"format = arm-s1-4k-48\n"
	"\n"
	"[iommu amdvi0]\n"
	"kind = amd\n"
	"format = amd-v1-4\n"
	"\n"
	"[iommu riscv0]\n"
	"kind = riscv\n"
	"format = riscv-sv48\n"
	"\n"
	"[iommu tce0]\n"
	"kind = tce\n"
	"format = tce-4k-64\n"
	"\n"
	"# Crystal Beach DMA (I/OAT 3.3), Skylake-SP: one channel per function\n"
	"[device 0000:00:04.0]\n"
	"iommu = dmar0\n"
	"model = ioat\n"
	"vendor = 0x8086\n"
	"device = 0x2021\n"
	"class = 0x088000\n"
	"revision = 0x04\n"
	"subsystem-vendor = 0x8086\n"
	"subsystem-device = 0x0000\n"
	"bar0 = 16K mem64\n"
	"msix = 1\n"
	"msix-bar = 0\n"
	"msix-table = 0x2000\n"
	"msix-pba = 0x3000\n"
	"group = 0\n"
	"\n"
	"[device 0000:00:04.1]\n"
	"iommu = dmar0\n"
	"model = ioat\n"
	"vendor = 0x8086\n"
	"device = 0x2021\n"
	"class = 0x088000\n"
	"revision = 0x04\n"
	"subsystem-vendor = 0x8086\n"
	"subsystem-device = 0x0000\n"
	"bar0 = 16K mem64\n"
	"msix = 1\n"
	"msix-bar = 0\n"
	"msix-table = 0x2000\n"
	"msix-pba = 0x3000\n"
	"group = 1\n"
	"\n"
	"[device 0001:00:01.0]\n"
	"iommu = mock0\n"
	"vendor = 0x1b36\n"
	"device = 0x0005\n"
	"class = 0x00ff00\n"
	"bar0 = 4K\n"
	"bar1 = 256 io\n"
	"group = 2\n"
	"\n"
	"[device 0002:00:01.0]\n"
	"iommu = smmu0\n"
	"vendor = 0x1b36\n"
	"device = 0x0010\n"
	"class = 0x010802\n"
	"revision = 0x02\n"
	"bar0 = 16K mem64\n"
	"bar2 = 1M mem64 prefetch ram ; a controller memory buffer, as QEMU's CMB\n"
	"msix = 65\n"
	"msix-bar = 0\n"
	"msix-table = 0x2000\n"
	"msix-pba = 0x3000\n"
	"pasid = 20\n"
	"group = 3\n"
	"\n"
	"[device 0003:00:01.0]\n"
	"iommu = amdvi0\n"
	"vendor = 0x1af4\n"
	"device = 0x1041\n"
	"class = 0x020000\n"
	"revision = 0x01\n"
	"subsystem-vendor = 0x1af4\n"
	"subsystem-device = 0x1100\n"
	"bar1 = 4K\n"
	"bar4 = 16K mem64 prefetch\n"
	"msix = 3\n"
	"msix-bar = 1\n"
	"msix-table = 0\n"
	"msix-pba = 0x800\n"
	"group = 4\n"
	"\n"
	"[device 0003:00:01.1]\n"
	"iommu = amdvi0\n"
	"vendor = 0x1af4\n"
	"device = 0x1041\n"
	"class = 0x020000\n"
	"revision = 0x01\n"
	"subsystem-vendor = 0x1af4\n"
	"subsystem-device = 0x1100\n"
	"bar1 = 4K\n"
	"bar4 = 16K mem64 prefetch\n"
	"msix = 3\n"
	"msix-bar = 1\n"
	"msix-table = 0\n"
	"msix-pba = 0x800\n"
	"group = 4\n"
	"\n"
	"[device 0004:00:01.0]\n"
	"iommu = riscv0\n"
	"vendor = 0x1b36\n"
	"device = 0x000d\n"
	"class = 0x0c0330\n"
	"revision = 0x01\n"
	"bar0 = 16K mem64\n"
	"msix = 16\n"
	"msix-bar = 0\n"
	"msix-table = 0x3000\n"
	"msix-pba = 0x3800\n"
	"group = 5\n"
	"\n"
	"[device 0005:00:01.0]\n"
	"iommu = tce0\n"
	"vendor = 0x1af4\n"
	"device = 0x1042\n"
	"class = 0x010000\n"
	"revision = 0x01\n"
	"bar1 = 4K\n"
	"bar4 = 16K mem64 prefetch\n"
	"msix = 2\n"
	"msix-bar = 1\n"
	"msix-table = 0\n"
	"msix-pba = 0x800\n"
	"group = 6\n";

static struct platform *platform_dflt;
static pthread_once_t platform_dflt_once = PTHREAD_ONCE_INIT;

static void platform_default_init(void)
{
	char err[160];

	if (platform_parse(platform_default_ini, &platform_dflt, err, sizeof(err))) {
		fprintf(stderr, "ioasid: the default platform does not parse: %s\n", err);
		abort();
	}
}

const struct platform *platform_default(void)
{
	pthread_once(&platform_dflt_once, platform_default_init);
	return platform_dflt;
}

const char *platform_default_text(void)
{
	return platform_default_ini;
}

struct platform *platform_alloc(void)
{
	struct platform *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->iommus = calloc(PLATFORM_MAX_IOMMUS, sizeof(*p->iommus));
	p->devs = calloc(PLATFORM_MAX_DEVICES, sizeof(*p->devs));
	if (!p->iommus || !p->devs) {
		platform_free(p);
		return NULL;
	}
	return p;
}

void platform_free(struct platform *p)
{
	if (!p || p == platform_dflt)
		return;
	free(p->iommus);
	free(p->devs);
	free(p);
}

/* ---- names ------------------------------------------------------------------------------ */

static const struct {
	const char *name;
	const char *dflt_format;
	const char *const prefixes[3]; /* format variants the kind may use */
} platform_kinds[PLATFORM_IOMMU_NR] = {
	[PLATFORM_IOMMU_MOCK] = { "mock", "mock", { "mock" } },
	[PLATFORM_IOMMU_VTD] = { "vtd", "vtd-ss-4", { "vtd-ss-", "x86_64-" } },
	[PLATFORM_IOMMU_SMMUV3] = { "smmuv3", "arm-s1-4k-48", { "arm-" } },
	[PLATFORM_IOMMU_AMD] = { "amd", "amd-v1-4", { "amd-v1-", "x86_64-" } },
	[PLATFORM_IOMMU_RISCV] = { "riscv", "riscv-sv48", { "riscv-" } },
	[PLATFORM_IOMMU_TCE] = { "tce", "tce-4k-64", { "tce-" } },
};

const char *platform_iommu_kind_name(enum platform_iommu_kind kind)
{
	return (unsigned int)kind < PLATFORM_IOMMU_NR ? platform_kinds[kind].name : NULL;
}

int platform_iommu_kind_parse(const char *s, enum platform_iommu_kind *out)
{
	for (unsigned int k = 0; k < PLATFORM_IOMMU_NR; k++) {
		if (!strcmp(s, platform_kinds[k].name)) {
			*out = (enum platform_iommu_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

const char *platform_iommu_default_format(enum platform_iommu_kind kind)
{
	return (unsigned int)kind < PLATFORM_IOMMU_NR ? platform_kinds[kind].dflt_format : NULL;
}

bool platform_kind_takes_format(enum platform_iommu_kind kind, const char *format)
{
	bool family = false;

	if ((unsigned int)kind >= PLATFORM_IOMMU_NR)
		return false;
	for (unsigned int i = 0; i < 3 && platform_kinds[kind].prefixes[i]; i++) {
		const char *pre = platform_kinds[kind].prefixes[i];

		if (!strncmp(format, pre, strlen(pre)))
			family = true;
	}
	if (!family)
		return false;
	/* the mock model also serves "mock" without the page-table formats */
	return !strcmp(format, "mock") || pt_variant_find(format) != NULL;
}

bool platform_model_known(const char *model)
{
	return !strcmp(model, "none") || !strcmp(model, "ioat");
}

/* ---- BDFs ------------------------------------------------------------------------------- */

static int hexfield(const char *s, size_t len, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v * 16 + d;
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int platform_bdf_parse(const char *s, struct platform_bdf *out)
{
	const char *c1 = strchr(s, ':'), *c2, *dot;
	unsigned int seg = 0, bus, dev, fn;

	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {
		if (c1 - s != 4 || hexfield(s, 4, 0xffff, &seg))
			return -EINVAL;
		s = c1 + 1;
		c1 = c2;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot || c1 - s != 2 || dot - (c1 + 1) != 2 || strlen(dot + 1) != 1)
		return -EINVAL;
	if (hexfield(s, 2, 0xff, &bus) || hexfield(c1 + 1, 2, 0x1f, &dev) ||
	    hexfield(dot + 1, 1, 7, &fn))
		return -EINVAL;
	out->segment = (uint16_t)seg;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
}

void platform_bdf_format(const struct platform_bdf *bdf, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf->segment, bdf->bus, bdf->dev, bdf->fn);
}

uint16_t platform_bdf_rid(const struct platform_bdf *bdf)
{
	return (uint16_t)(bdf->bus << 8 | bdf->dev << 3 | bdf->fn);
}

const struct platform_device *platform_device_find(const struct platform *p,
						   const struct platform_bdf *bdf)
{
	for (size_t i = 0; i < p->nr_devs; i++) {
		const struct platform_bdf *b = &p->devs[i].bdf;

		if (b->segment == bdf->segment && b->bus == bdf->bus && b->dev == bdf->dev &&
		    b->fn == bdf->fn)
			return &p->devs[i];
	}
	return NULL;
}

/* ---- writing and comparing ------------------------------------------------------------- */

static void write_size(FILE *f, uint64_t size)
{
	if (size >= (UINT64_C(1) << 30) && !(size & ((UINT64_C(1) << 30) - 1)))
		fprintf(f, "%" PRIu64 "G", size >> 30);
	else if (size >= (UINT64_C(1) << 20) && !(size & ((UINT64_C(1) << 20) - 1)))
		fprintf(f, "%" PRIu64 "M", size >> 20);
	else if (size >= 1024 && !(size & 1023))
		fprintf(f, "%" PRIu64 "K", size >> 10);
	else
		fprintf(f, "%" PRIu64, size);
}

int platform_write(const struct platform *p, FILE *f)
{
	char bdf[16];

	for (size_t i = 0; i < p->nr_iommus; i++) {
		const struct platform_iommu *m = &p->iommus[i];

		fprintf(f, "[iommu %s]\nkind = %s\nformat = %s\n\n", m->name,
			platform_iommu_kind_name(m->kind), m->format);
	}
	for (size_t i = 0; i < p->nr_devs; i++) {
		const struct platform_device *d = &p->devs[i];

		platform_bdf_format(&d->bdf, bdf, sizeof(bdf));
		fprintf(f, "[device %s]\niommu = %s\nmodel = %s\n", bdf, p->iommus[d->iommu].name,
			d->model);
		fprintf(f, "vendor = 0x%04x\ndevice = 0x%04x\nclass = 0x%06x\nrevision = 0x%02x\n",
			d->vendor, d->device, d->class_code, d->revision);
		fprintf(f, "subsystem-vendor = 0x%04x\nsubsystem-device = 0x%04x\n",
			d->subsys_vendor, d->subsys_device);
		for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
			const struct platform_bar *bar = &d->bars[b];

			if (!bar->size)
				continue;
			fprintf(f, "bar%u = ", b);
			write_size(f, bar->size);
			if (bar->flags & PLATFORM_BAR_IO)
				fputs(" io", f);
			else if (bar->flags & PLATFORM_BAR_MEM64)
				fputs(" mem64", f);
			if (bar->flags & PLATFORM_BAR_PREFETCH)
				fputs(" prefetch", f);
			if (bar->flags & PLATFORM_BAR_RAM)
				fputs(" ram", f);
			fputc('\n', f);
		}
		if (d->msix_vectors)
			fprintf(f, "msix = %u\nmsix-bar = %u\nmsix-table = 0x%x\nmsix-pba = 0x%x\n",
				d->msix_vectors, d->msix_bar, d->msix_table_off, d->msix_pba_off);
		if (d->pasid_bits)
			fprintf(f, "pasid = %u\n", d->pasid_bits);
		fprintf(f, "rid = 0x%04x\ngroup = %u\n\n", d->rid, d->group);
	}
	return ferror(f) ? -EIO : 0;
}

bool platform_equal(const struct platform *a, const struct platform *b)
{
	if (a->nr_iommus != b->nr_iommus || a->nr_devs != b->nr_devs)
		return false;
	for (size_t i = 0; i < a->nr_iommus; i++) {
		const struct platform_iommu *x = &a->iommus[i], *y = &b->iommus[i];

		if (strcmp(x->name, y->name) || x->kind != y->kind || strcmp(x->format, y->format))
			return false;
	}
	for (size_t i = 0; i < a->nr_devs; i++) {
		const struct platform_device *x = &a->devs[i], *y = &b->devs[i];

		if (x->bdf.segment != y->bdf.segment || x->bdf.bus != y->bdf.bus ||
		    x->bdf.dev != y->bdf.dev || x->bdf.fn != y->bdf.fn ||
		    strcmp(x->model, y->model) || x->iommu != y->iommu || x->group != y->group ||
		    x->vendor != y->vendor || x->device != y->device ||
		    x->subsys_vendor != y->subsys_vendor || x->subsys_device != y->subsys_device ||
		    x->class_code != y->class_code || x->revision != y->revision ||
		    x->msix_vectors != y->msix_vectors || x->pasid_bits != y->pasid_bits ||
		    x->rid != y->rid)
			return false;
		if (x->msix_vectors &&
		    (x->msix_bar != y->msix_bar || x->msix_table_off != y->msix_table_off ||
		     x->msix_pba_off != y->msix_pba_off))
			return false;
		for (unsigned int b2 = 0; b2 < PLATFORM_NR_BARS; b2++)
			if (x->bars[b2].size != y->bars[b2].size ||
			    x->bars[b2].flags != y->bars[b2].flags)
				return false;
	}
	return true;
}
