/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * platform.h - the machine the emulated devices live in, for other modules: IOMMU instances
 * and the PCI devices behind them, grouped into IOMMU groups.
 *
 * What it owns: the description only (no state of a running device). A platform is either
 * the embedded default (platform_default(): every IOMMU kind the translation module models,
 * each with at least one device, the I/OAT DMA engine among them) or a file in the INI
 * format of docs/devices.md (platform_load(), parsed with libinih).
 *
 * Words: BDF = segment:bus:device.function, written "ssss:bb:dd.f". Requester ID (RID) =
 * the 16-bit bus/devfn the device's DMA carries; equal to the BDF's bus<<8 | devfn unless
 * the file says otherwise (an alias, as behind a PCIe-to-PCI bridge). An IOMMU group = the
 * devices that the IOMMU cannot tell apart or isolate from each other: same IOMMU, and every
 * pair sharing a RID is in one group. "format" = the page-table format variant (src/pt) the
 * IOMMU's paging domains use, the `format` of struct ioasid_device_desc.
 *
 * A platform is immutable once made; free it with platform_free() (never the default).
 */
#ifndef IOASID_PLATFORM_PLATFORM_H
#define IOASID_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum platform_iommu_kind {
	PLATFORM_IOMMU_MOCK = 0, /* the kernel selftest's mock IOMMU */
	PLATFORM_IOMMU_VTD,	 /* Intel VT-d */
	PLATFORM_IOMMU_SMMUV3,	 /* Arm SMMUv3 */
	PLATFORM_IOMMU_AMD,	 /* AMD-Vi */
	PLATFORM_IOMMU_RISCV,	 /* RISC-V IOMMU */
	PLATFORM_IOMMU_TCE,	 /* POWER TCE */
	PLATFORM_IOMMU_NR,
};

#define PLATFORM_NAME_MAX    32
#define PLATFORM_NR_BARS     6
#define PLATFORM_MAX_IOMMUS  64
#define PLATFORM_MAX_DEVICES 256

struct platform_iommu {
	char name[PLATFORM_NAME_MAX]; /* [iommu NAME] */
	enum platform_iommu_kind kind;
	char format[PLATFORM_NAME_MAX]; /* page-table format variant of its paging domains */
};

enum platform_bar_flags {
	PLATFORM_BAR_MEM64 = 1 << 0,	/* 64-bit memory BAR (takes the next BAR slot too) */
	PLATFORM_BAR_PREFETCH = 1 << 1, /* prefetchable */
	PLATFORM_BAR_IO = 1 << 2,	/* I/O space */
	/*
	 * plain memory (a controller memory buffer): reads return what was written, no side
	 * effects; a P2P target through a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF). At least 4 KiB.
	 */
	PLATFORM_BAR_RAM = 1 << 3,
};

struct platform_bar {
	uint64_t size; /* 0: not implemented; else a power of two (>= 16 memory, >= 4 I/O) */
	uint32_t flags;
};

struct platform_bdf {
	uint16_t segment;
	uint8_t bus, dev, fn;
};

struct platform_device {
	struct platform_bdf bdf;       /* [device ssss:bb:dd.f] */
	char model[PLATFORM_NAME_MAX]; /* the device model: "ioat", or "none" (config only) */
	unsigned int iommu;	       /* index in platform.iommus */
	unsigned int group;	       /* IOMMU group number */
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class_code; /* 24 bits: base class, subclass, programming interface */
	uint8_t revision;
	struct platform_bar bars[PLATFORM_NR_BARS];
	unsigned int msix_vectors; /* 0: no MSI-X capability; else 1 .. 2048 */
	unsigned int msix_bar;	   /* the BAR holding the table and the PBA */
	uint32_t msix_table_off, msix_pba_off;
	unsigned int pasid_bits; /* PASID capability's max width (0: none; 1 .. 20) */
	uint16_t rid;		 /* requester ID */
};

struct platform {
	struct platform_iommu *iommus;
	size_t nr_iommus;
	struct platform_device *devs;
	size_t nr_devs;
};

/* The embedded default platform (never freed; the same pointer every call). */
const struct platform *platform_default(void);
/* The INI text the default platform is parsed from (docs/devices.md shows it). */
const char *platform_default_text(void);

/*
 * Parse a platform from INI text / a file. 0, or -EINVAL (with a one-line message naming
 * the line in err, "line N: ...") / -ENOENT etc. for a file that cannot be read / -ENOMEM.
 * err may be NULL; errlen includes the NUL.
 */
int platform_parse(const char *text, struct platform **out, char *err, size_t errlen);
int platform_load(const char *path, struct platform **out, char *err, size_t errlen);
void platform_free(struct platform *p);

/* Write p in the file format; platform_parse of the result gives an equal platform. */
int platform_write(const struct platform *p, FILE *f);
/* Equal descriptions (every field of every IOMMU and device, in order). */
bool platform_equal(const struct platform *a, const struct platform *b);

/* "ssss:bb:dd.f" (or "bb:dd.f", segment 0) to bdf; -EINVAL if malformed. */
int platform_bdf_parse(const char *s, struct platform_bdf *out);
/* "ssss:bb:dd.f" into buf (at least 13 bytes). */
void platform_bdf_format(const struct platform_bdf *bdf, char *buf, size_t len);
/* bus << 8 | dev << 3 | fn */
uint16_t platform_bdf_rid(const struct platform_bdf *bdf);

const struct platform_device *platform_device_find(const struct platform *p,
						   const struct platform_bdf *bdf);
/* The kind's name in the file format ("vtd" ...), or NULL; and back (-EINVAL if unknown). */
const char *platform_iommu_kind_name(enum platform_iommu_kind kind);
int platform_iommu_kind_parse(const char *s, enum platform_iommu_kind *out);
/* The format a kind's IOMMU uses when the file names none. */
const char *platform_iommu_default_format(enum platform_iommu_kind kind);

#endif
