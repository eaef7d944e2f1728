// SPDX-License-Identifier: BSD-3-Clause
/*
 * config.c - one function's config space: the layout built from its platform description,
 * and the engine that applies the rule table (config_rules.c) to a driver's accesses.
 *
 * Layout: type 0 header; capability list at 0x40 (PCI Express v2 endpoint), then 0x80
 * (MSI-X, when the device has vectors); extended capabilities at 0x100 (PASID, when the
 * device has a PASID width; otherwise the header there is zero, "no extended capability").
 * Interrupt pin INTA. Header type 0 without the multi-function bit.
 *
 * The engine: pci_cfg_init expands every rule into per-byte masks (rw, w1c, own, strobe)
 * and keeps the applied rules (regs[]) for notifications. A write goes byte by byte:
 *     new = (old & ~rw) | (val & rw);  new &= ~(val & w1c)
 * then each register whose model-owned bits changed, or whose strobe bits were written as
 * 1, is reported to the model (old, new) and the strobe bits are cleared. Reads return the
 * bytes as they are: no register has a read side effect.
 *
 * Traps: offsets and lengths come from a driver (a pread of the region later): off + len is
 * checked without overflow. A 64-bit BAR's upper dword is its own row (a driver sizes the
 * halves separately).
 */
#include <errno.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "pci/pci_int.h"

static const char *const bar_names[PLATFORM_NR_BARS] = { "BAR0", "BAR1", "BAR2",
							 "BAR3", "BAR4", "BAR5" };

static void put(uint8_t *buf, unsigned int off, unsigned int size, uint32_t val)
{
	for (unsigned int i = 0; i < size; i++)
		buf[off + i] = (uint8_t)(val >> (8 * i));
}

static uint32_t get(const uint8_t *buf, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)buf[off + i] << (8 * i);
	return v;
}

static int add_reg(struct pci_cfg *c, unsigned int off, unsigned int size, uint32_t rw,
		   uint32_t w1c, uint32_t own, uint32_t strobe, const char *name)
{
	struct pci_cfg_reg *r;

	if (c->nr_regs == PCI_CFG_MAX_REGS)
		return -EINVAL;
	r = &c->regs[c->nr_regs++];
	r->off = (uint16_t)off;
	r->size = (uint8_t)size;
	r->rw = rw | strobe;
	r->w1c = w1c;
	r->own = own;
	r->strobe = strobe;
	r->name = name;
	put(c->rw, off, size, r->rw);
	put(c->w1c, off, size, w1c);
	put(c->own, off, size, own);
	put(c->strobe, off, size, strobe);
	return 0;
}

static int apply_rules(struct pci_cfg *c, const struct pci_rule_set *set, unsigned int base,
		       bool has_io)
{
	for (size_t i = 0; i < set->nr; i++) {
		const struct pci_rule *r = &set->rules[i];
		uint32_t rw = r->rw, own = r->own;
		int rc;

		if ((r->flags & PCI_RULE_IO_BIT) && !has_io) {
			rw &= ~1u;
			own &= ~1u;
		}
		rc = add_reg(c, base + r->off, r->size, rw, r->w1c, own, r->strobe, r->name);
		if (rc)
			return rc;
	}
	return 0;
}

static int layout_bars(struct pci_cfg *c, bool *out_io)
{
	*out_io = false;
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
		const struct platform_bar *bar = &c->bars[b];
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * b;
		uint64_t mask = ~(bar->size - 1);
		uint32_t type;
		int rc;

		if (!bar->size)
			continue;
		if (bar->flags & PLATFORM_BAR_IO) {
			*out_io = true;
			put(c->data, off, 4, PCI_BASE_ADDRESS_SPACE_IO);
			rc = add_reg(c, off, 4, (uint32_t)mask & PCI_BASE_ADDRESS_IO_MASK, 0, 0, 0,
				     bar_names[b]);
			if (rc)
				return rc;
			continue;
		}
		type = bar->flags & PLATFORM_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 :
							 PCI_BASE_ADDRESS_MEM_TYPE_32;
		if (bar->flags & PLATFORM_BAR_PREFETCH)
			type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		put(c->data, off, 4, type);
		rc = add_reg(c, off, 4, (uint32_t)mask & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK, 0, 0,
			     0, bar_names[b]);
		if (rc)
			return rc;
		if (bar->flags & PLATFORM_BAR_MEM64) {
			if (b + 1 >= PLATFORM_NR_BARS)
				return -EINVAL;
			rc = add_reg(c, off + 4, 4, (uint32_t)(mask >> 32), 0, 0, 0,
				     bar_names[b + 1]);
			if (rc)
				return rc;
			b++;
		}
	}
	return 0;
}

int pci_cfg_init(struct pci_cfg *c, const struct platform_device *d, pci_cfg_notify_fn notify,
		 void *opaque)
{
	unsigned int next = 0;
	bool has_io;
	int rc;

	memset(c, 0, sizeof(*c));
	c->notify = notify;
	c->opaque = opaque;
	memcpy(c->bars, d->bars, sizeof(c->bars));

	/* header */
	put(c->data, PCI_VENDOR_ID, 2, d->vendor);
	put(c->data, PCI_DEVICE_ID, 2, d->device);
	put(c->data, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	put(c->data, PCI_CLASS_REVISION, 4, d->class_code << 8 | d->revision);
	put(c->data, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	put(c->data, PCI_SUBSYSTEM_VENDOR_ID, 2, d->subsys_vendor);
	put(c->data, PCI_SUBSYSTEM_ID, 2, d->subsys_device);
	put(c->data, PCI_CAPABILITY_LIST, 1, PCI_CFG_EXP_OFF);
	put(c->data, PCI_INTERRUPT_PIN, 1, 1);
	rc = layout_bars(c, &has_io);
	if (!rc)
		rc = apply_rules(c, &pci_rules_header, 0, has_io);
	if (rc)
		return rc;

	/* PCI Express v2 endpoint: MPS 256 supported, FLR; 8 GT/s x4 */
	if (d->msix_vectors)
		next = PCI_CFG_MSIX_OFF;
	c->exp_off = PCI_CFG_EXP_OFF;
	put(c->data, c->exp_off + PCI_CAP_LIST_ID, 1, PCI_CAP_ID_EXP);
	put(c->data, c->exp_off + PCI_CAP_LIST_NEXT, 1, next);
	put(c->data, c->exp_off + PCI_EXP_FLAGS, 2, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	put(c->data, c->exp_off + PCI_EXP_DEVCAP, 4, 1 | PCI_EXP_DEVCAP_FLR);
	put(c->data, c->exp_off + PCI_EXP_DEVCTL, 2,
	    PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ_512B);
	put(c->data, c->exp_off + PCI_EXP_LNKCAP, 4, 3 | 4 << 4);
	put(c->data, c->exp_off + PCI_EXP_LNKSTA, 2, 3 | 4 << 4);
	put(c->data, c->exp_off + PCI_EXP_DEVCAP2, 4,
	    PCI_EXP_DEVCAP2_COMP_TMOUT_DIS | 0xf /* completion timeout ranges A-D */);
	rc = apply_rules(c, &pci_rules_exp, c->exp_off, has_io);
	if (rc)
		return rc;

	if (d->msix_vectors) {
		c->msix_off = PCI_CFG_MSIX_OFF;
		put(c->data, c->msix_off + PCI_CAP_LIST_ID, 1, PCI_CAP_ID_MSIX);
		put(c->data, c->msix_off + PCI_CAP_LIST_NEXT, 1, 0);
		put(c->data, c->msix_off + PCI_MSIX_FLAGS, 2, d->msix_vectors - 1);
		put(c->data, c->msix_off + PCI_MSIX_TABLE, 4, d->msix_table_off | d->msix_bar);
		put(c->data, c->msix_off + PCI_MSIX_PBA, 4, d->msix_pba_off | d->msix_bar);
		rc = apply_rules(c, &pci_rules_msix, c->msix_off, has_io);
		if (rc)
			return rc;
	}
	if (d->pasid_bits) {
		c->pasid_off = PCI_CFG_PASID_OFF;
		put(c->data, c->pasid_off, 4, PCI_EXT_CAP_ID_PASID | 1u << 16);
		put(c->data, c->pasid_off + PCI_PASID_CAP, 2, d->pasid_bits << 8);
		rc = apply_rules(c, &pci_rules_pasid, c->pasid_off, has_io);
		if (rc)
			return rc;
	}
	memcpy(c->reset, c->data, sizeof(c->data));
	return 0;
}

void pci_cfg_reset(struct pci_cfg *c)
{
	memcpy(c->data, c->reset, sizeof(c->data));
}

static int check_range(unsigned int off, size_t len)
{
	if (!len || off >= PCI_CFG_SPACE || len > PCI_CFG_SPACE - off)
		return -EINVAL;
	return 0;
}

int pci_cfg_read(const struct pci_cfg *c, unsigned int off, void *buf, size_t len)
{
	int rc = check_range(off, len);

	if (rc)
		return rc;
	memcpy(buf, c->data + off, len);
	return 0;
}

int pci_cfg_write(struct pci_cfg *c, unsigned int off, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	uint32_t old[PCI_CFG_MAX_REGS];
	bool hit[PCI_CFG_MAX_REGS];
	int rc = check_range(off, len);

	if (rc)
		return rc;
	for (unsigned int i = 0; i < c->nr_regs; i++) {
		const struct pci_cfg_reg *r = &c->regs[i];

		hit[i] = r->off < off + len && off < (unsigned int)r->off + r->size;
		if (hit[i])
			old[i] = get(c->data, r->off, r->size);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int o = off + (unsigned int)i;
		uint8_t v = src[i], b = c->data[o];

		b = (uint8_t)((b & ~c->rw[o]) | (v & c->rw[o]));
		b = (uint8_t)(b & ~(v & c->w1c[o]));
		c->data[o] = b;
	}
	for (unsigned int i = 0; i < c->nr_regs; i++) {
		const struct pci_cfg_reg *r = &c->regs[i];
		uint32_t now;

		if (!hit[i])
			continue;
		now = get(c->data, r->off, r->size);
		if (((old[i] ^ now) & r->own) || (now & r->strobe)) {
			if (c->notify)
				c->notify(c->opaque, r->off, r->size, old[i], now);
			/* the model may have reset the function meanwhile: clear only strobes */
			put(c->data, r->off, r->size, get(c->data, r->off, r->size) & ~r->strobe);
		}
	}
	return 0;
}

uint32_t pci_cfg_get(const struct pci_cfg *c, unsigned int off, unsigned int size)
{
	if (check_range(off, size) || size > 4)
		return 0;
	return get(c->data, off, size);
}

void pci_cfg_set(struct pci_cfg *c, unsigned int off, unsigned int size, uint32_t val)
{
	if (check_range(off, size) || size > 4)
		return;
	put(c->data, off, size, val);
}

bool pci_cfg_memory_enabled(const struct pci_cfg *c)
{
	return get(c->data, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
}

bool pci_cfg_bus_master(const struct pci_cfg *c)
{
	return get(c->data, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

bool pci_cfg_msix_enabled(const struct pci_cfg *c)
{
	return c->msix_off &&
	       (get(c->data, c->msix_off + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
}

bool pci_cfg_msix_masked(const struct pci_cfg *c)
{
	return c->msix_off &&
	       (get(c->data, c->msix_off + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_MASKALL);
}

bool pci_cfg_pasid_enabled(const struct pci_cfg *c)
{
	return c->pasid_off &&
	       (get(c->data, c->pasid_off + PCI_PASID_CTRL, 2) & PCI_PASID_CTRL_ENABLE);
}

uint64_t pci_cfg_bar_addr(const struct pci_cfg *c, unsigned int bar)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t a;

	if (bar >= PLATFORM_NR_BARS || !c->bars[bar].size)
		return 0;
	if (c->bars[bar].flags & PLATFORM_BAR_IO)
		return get(c->data, off, 4) & PCI_BASE_ADDRESS_IO_MASK;
	a = get(c->data, off, 4) & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK;
	if (c->bars[bar].flags & PLATFORM_BAR_MEM64)
		a |= (uint64_t)get(c->data, off + 4, 4) << 32;
	return a;
}

const struct pci_cfg_reg *pci_cfg_reg_at(const struct pci_cfg *c, unsigned int off)
{
	for (unsigned int i = 0; i < c->nr_regs; i++)
		if (off >= c->regs[i].off && off < (unsigned int)c->regs[i].off + c->regs[i].size)
			return &c->regs[i];
	return NULL;
}
