// SPDX-License-Identifier: BSD-3-Clause
/*
 * model.c - what every emulated device shares: the model registry, the instance and its
 * lock, config space (src/pci) with the model told of changes it owns, the MSI-X table and
 * PBA in the BAR the platform names, function-level reset, and DMA through the IOMMU.
 *
 * MSI-X: each entry is 16 bytes (address low, high, data, vector control); every vector
 * starts masked (vector control bit 0), as the PCI specification has it. A raised vector
 * whose delivery is blocked (MSI-X disabled, function masked, entry masked) sets its PBA
 * bit; unmasking delivers it and clears the bit. The PBA is read-only to a driver. The
 * "message" is the irq callback with the vector number: the address and data a driver
 * wrote are kept for it to read back, and for the VFIO layer to route to an eventfd later.
 *
 * FLR (PCI Express device control, a strobe bit) resets the function: config space to its
 * power-on image, the MSI-X table masked, the model's reset.
 *
 * Traps: BAR offsets come from a driver: off + size is checked without overflow before
 * any table is indexed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "devices/devices_int.h"
#include "ioasid/ioasid.h"

static const struct dev_model_type dev_model_none = {
	.name = "none",
};

static const struct dev_model_type *const dev_model_types[] = {
	&dev_model_none,
	&dev_model_ioat,
};

/*
 * Every model of the process, so that fork can take each device's lock first: a child
 * must not inherit a lock that a thread of the parent (a worker) held at the fork.
 */
static pthread_mutex_t models_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dev_model *models;
static pthread_once_t models_once = PTHREAD_ONCE_INIT;

static void models_fork_prepare(void)
{
	pthread_mutex_lock(&models_lock);
	for (struct dev_model *m = models; m; m = m->next)
		pthread_mutex_lock(&m->lock);
}

static void models_fork_done(void)
{
	for (struct dev_model *m = models; m; m = m->next)
		pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&models_lock);
}

static void models_init(void)
{
	pthread_atfork(models_fork_prepare, models_fork_done, models_fork_done);
}

#define MSIX_ENTRY 16u
#define MSIX_CTRL  12u

static bool msix_entry_masked(const struct dev_model *m, unsigned int v)
{
	return m->msix[v * MSIX_ENTRY + MSIX_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static bool msix_blocked(const struct dev_model *m, unsigned int v)
{
	return !pci_cfg_msix_enabled(&m->cfg) || pci_cfg_msix_masked(&m->cfg) ||
	       msix_entry_masked(m, v);
}

/* The PBA word of vector v into the BAR's read pages. */
static void pba_shadow(struct dev_model *m, unsigned int v)
{
	dev_model_shadow_put(m, m->pdev.msix_bar, m->pdev.msix_pba_off + v / 64 * 8, 8,
			     m->msix_pba[v / 64]);
}

void dev_model_msix_raise(struct dev_model *m, unsigned int vector)
{
	if (vector >= m->pdev.msix_vectors)
		return;
	if (msix_blocked(m, vector)) {
		m->msix_pba[vector / 64] |= UINT64_C(1) << (vector % 64);
		pba_shadow(m, vector);
		return;
	}
	if (m->irq)
		m->irq(m->opaque, vector);
}

/* Deliver every pending vector that is no longer blocked. */
static void msix_flush(struct dev_model *m)
{
	for (unsigned int v = 0; v < m->pdev.msix_vectors; v++) {
		uint64_t bit = UINT64_C(1) << (v % 64);

		if (!(m->msix_pba[v / 64] & bit) || msix_blocked(m, v))
			continue;
		m->msix_pba[v / 64] &= ~bit;
		pba_shadow(m, v);
		if (m->irq)
			m->irq(m->opaque, v);
	}
}

static void msix_reset(struct dev_model *m)
{
	unsigned int n = m->pdev.msix_vectors;

	if (!n)
		return;
	memset(m->msix, 0, (size_t)n * MSIX_ENTRY);
	for (unsigned int v = 0; v < n; v++)
		m->msix[v * MSIX_ENTRY + MSIX_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	memset(m->msix_pba, 0, (size_t)(n + 63) / 64 * 8);
}

static void reset_locked(struct dev_model *m)
{
	pci_cfg_reset(&m->cfg);
	msix_reset(m);
	if (m->type->reset)
		m->type->reset(m);
}

static void cfg_notify(void *opaque, unsigned int off, unsigned int size, uint32_t old,
		       uint32_t val)
{
	struct dev_model *m = opaque;

	(void)size;
	if (off == m->cfg.exp_off + PCI_EXP_DEVCTL && (val & PCI_EXP_DEVCTL_BCR_FLR)) {
		reset_locked(m);
		return;
	}
	if (m->type->cfg_changed)
		m->type->cfg_changed(m, off, old, val);
	if (m->cfg.msix_off && off == m->cfg.msix_off + PCI_MSIX_FLAGS)
		msix_flush(m);
}

/*
 * RAM BARs: a memfd of the BAR's size, mapped shared for the model's accesses. The memfd is
 * what a window of the BAR maps for its loads (mmio.c) and what a dma-buf of the BAR names
 * (dev_model_bar_ram_fd): an importer keeps its own duplicate and mapping, so the memory
 * outlives the model while it is mapped. Its contents survive a reset (as a CMB's may).
 */
static int ram_init(struct dev_model *m)
{
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
		const struct platform_bar *bar = &m->pdev.bars[b];
		void *p;

		if (!bar->size || !(bar->flags & PLATFORM_BAR_RAM) ||
		    (bar->flags & PLATFORM_BAR_IO))
			continue;
		m->ram_fd[b] = memfd_create("ioasid-bar-ram", MFD_CLOEXEC);
		if (m->ram_fd[b] < 0)
			return -ENOMEM;
		if (ftruncate(m->ram_fd[b], (off_t)bar->size))
			return -ENOMEM;
		p = mmap(NULL, bar->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->ram_fd[b], 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		m->ram[b] = p;
	}
	return 0;
}

static void ram_fini(struct dev_model *m)
{
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
		if (m->ram[b])
			munmap(m->ram[b], m->pdev.bars[b].size);
		if (m->ram_fd[b] >= 0)
			close(m->ram_fd[b]);
		m->ram[b] = NULL;
		m->ram_fd[b] = -1;
	}
}

int dev_model_bar_ram_fd(const struct dev_model *m, unsigned int bar)
{
	return m && bar < PLATFORM_NR_BARS ? m->ram_fd[bar] : -1;
}

int dev_model_new(const struct dev_model_params *params, struct dev_model **out)
{
	const struct dev_model_type *type = NULL;
	struct dev_model *m;
	unsigned int n = params->pdev->msix_vectors;
	int rc;

	for (size_t i = 0; i < sizeof(dev_model_types) / sizeof(dev_model_types[0]); i++)
		if (!strcmp(dev_model_types[i]->name, params->pdev->model))
			type = dev_model_types[i];
	if (!type)
		return -EOPNOTSUPP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->type = type;
	m->pdev = *params->pdev;
	m->ctx = params->ctx;
	m->dev_id = params->dev_id;
	m->irq = params->irq;
	m->opaque = params->opaque;
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
		m->shadow_fd[b] = -1;
		m->ram_fd[b] = -1;
	}
	rc = ram_init(m);
	if (rc)
		goto out_free;
	rc = pci_cfg_init(&m->cfg, &m->pdev, cfg_notify, m);
	if (rc)
		goto out_free;
	if (n) {
		m->msix = calloc(n, MSIX_ENTRY);
		m->msix_pba = calloc((n + 63) / 64, 8);
		if (!m->msix || !m->msix_pba) {
			rc = -ENOMEM;
			goto out_free;
		}
		msix_reset(m);
	}
	if (type->init) {
		rc = type->init(m);
		if (rc)
			goto out_free;
	}
	rc = pthread_mutex_init(&m->lock, NULL);
	if (rc) {
		rc = -rc;
		goto out_fini;
	}
	pthread_once(&models_once, models_init);
	pthread_mutex_lock(&models_lock);
	m->next = models;
	models = m;
	pthread_mutex_unlock(&models_lock);
	*out = m;
	return 0;

out_fini:
	if (type->fini)
		type->fini(m);
out_free:
	ram_fini(m);
	free(m->msix);
	free(m->msix_pba);
	free(m);
	return rc;
}

void dev_model_free(struct dev_model *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&models_lock);
	for (struct dev_model **pp = &models; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&models_lock);
	dev_model_bar_unmap_all(m); /* waits out accesses in progress through them */
	if (m->type->fini)
		m->type->fini(m); /* stops the model's worker */
	dev_model_shadow_free(m);
	ram_fini(m);
	pthread_mutex_destroy(&m->lock);
	free(m->msix);
	free(m->msix_pba);
	free(m);
}

const char *dev_model_name(const struct dev_model *m)
{
	return m->type->name;
}

int dev_model_cfg_read(struct dev_model *m, unsigned int off, void *buf, size_t len)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = pci_cfg_read(&m->cfg, off, buf, len);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int dev_model_cfg_write(struct dev_model *m, unsigned int off, const void *buf, size_t len)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = pci_cfg_write(&m->cfg, off, buf, len);
	dev_model_shadow_sync(m); /* memory decode, FLR, MSI-X enable */
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void dev_model_reset(struct dev_model *m)
{
	pthread_mutex_lock(&m->lock);
	reset_locked(m);
	dev_model_shadow_sync(m);
	pthread_mutex_unlock(&m->lock);
}

static int mmio_check(const struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size)
{
	const struct platform_bar *b;

	if (bar >= PLATFORM_NR_BARS)
		return -EINVAL;
	b = &m->pdev.bars[bar];
	if (!b->size || (b->flags & PLATFORM_BAR_IO))
		return -EINVAL;
	if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & (size - 1)))
		return -EINVAL;
	if (off >= b->size || size > b->size - off)
		return -EINVAL;
	return 0;
}

/* Whether [off, off + size) is in the MSI-X table (*out_table) or PBA of bar. */
static bool msix_region(const struct dev_model *m, unsigned int bar, uint64_t off, bool *out_table)
{
	const struct platform_device *d = &m->pdev;
	uint64_t tbl_end = (uint64_t)d->msix_table_off + d->msix_vectors * MSIX_ENTRY;
	uint64_t pba_end = (uint64_t)d->msix_pba_off + (d->msix_vectors + 63) / 64 * 8;

	if (!d->msix_vectors || bar != d->msix_bar)
		return false;
	if (off >= d->msix_table_off && off < tbl_end) {
		*out_table = true;
		return true;
	}
	if (off >= d->msix_pba_off && off < pba_end) {
		*out_table = false;
		return true;
	}
	return false;
}

static uint64_t bytes_get(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* RAM BAR bytes: the device's DMA (a P2P write) may store them meanwhile */
static uint64_t ram_get(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)__atomic_load_n(p + i, __ATOMIC_RELAXED) << (8 * i);
	return v;
}

static int mmio_access(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
		       uint64_t *out, uint64_t val, bool write, bool trapped)
{
	int rc = mmio_check(m, bar, off, size);
	bool table;

	if (rc)
		return rc;
	pthread_mutex_lock(&m->lock);
	m->trapped = trapped;
	if (!pci_cfg_memory_enabled(&m->cfg)) {
		/* reads all ones, writes dropped: a function that does not decode memory */
		if (!write)
			*out = size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
	} else if (m->ram[bar]) {
		/* plain memory: little-endian, what was written */
		uint8_t *p = m->ram[bar] + off;

		if (write)
			for (unsigned int i = 0; i < size; i++)
				__atomic_store_n(p + i, (uint8_t)(val >> (8 * i)),
						 __ATOMIC_RELAXED);
		else
			*out = ram_get(p, size);
	} else if (msix_region(m, bar, off, &table)) {
		if (!write && table) {
			*out = bytes_get(m->msix + (off - m->pdev.msix_table_off), size);
		} else if (!write) {
			*out = bytes_get(
				(const uint8_t *)m->msix_pba + (off - m->pdev.msix_pba_off), size);
		} else if (table) {
			uint64_t rel = off - m->pdev.msix_table_off;

			for (unsigned int i = 0; i < size; i++)
				m->msix[rel + i] = (uint8_t)(val >> (8 * i));
			msix_flush(m);
		}
		/* the PBA is read-only */
	} else if (write) {
		if (m->type->mmio_write)
			m->type->mmio_write(m, bar, off, size, val);
	} else {
		*out = m->type->mmio_read ? m->type->mmio_read(m, bar, off, size) : 0;
	}
	m->trapped = false;
	if (write)
		dev_model_shadow_sync(m);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int dev_model_mmio_read(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			uint64_t *out)
{
	return mmio_access(m, bar, off, size, out, 0, false, false);
}

int dev_model_mmio_write(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t val)
{
	return mmio_access(m, bar, off, size, NULL, val, true, false);
}

int dev_model_mmio_access(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			  uint64_t *out, uint64_t val, bool write)
{
	return mmio_access(m, bar, off, size, out, val, write, true);
}

int dev_model_start_async(struct dev_model *m)
{
	return m->type->start_async ? m->type->start_async(m) : 0;
}

int dev_model_dma(struct dev_model *m, uint64_t iova, void *buf, size_t len, bool write)
{
	struct ioasid_dma_fault fault;

	if (!len)
		return 0;
	if (ioasid_device_dma_pasid(m->ctx, m->dev_id, 0, iova, buf, len,
				    write ? IOASID_DMA_WRITE : 0, &fault))
		return -errno;
	return 0;
}
