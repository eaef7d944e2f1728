/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.h - PCI configuration space of an emulated device, for other modules (device
 * models, later the VFIO region of config space).
 *
 * What it owns: the 4 KiB config space of one function, built from its platform
 * description (src/platform): a type 0 header, the capability list (PCI Express, MSI-X)
 * and the extended list (PASID), and what a write may change. Every register's behaviour
 * comes from one table of rules (src/pci/config_rules.c): per register, the bits the
 * driver may write (the rest are read-only), the bits a 1 clears (status bits), the bits
 * the device model owns (it is told when they change: memory decode, bus mastering, MSI-X
 * enable, FLR) and strobe bits (act when written as 1, always read 0).
 *
 * BAR sizing works as on hardware, from the rules: a BAR's writable bits are its address
 * bits, so writing all-ones and reading back gives ~(size - 1) with the type bits.
 *
 * Words: "off" is a byte offset in config space (0 .. 4095); values are little-endian.
 * Locking: none; the owner serializes calls (a device model's lock).
 */
#ifndef IOASID_PCI_PCI_H
#define IOASID_PCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"

#define PCI_CFG_SPACE 4096u
/* where the layout puts the capabilities (pci_cfg_init) */
#define PCI_CFG_EXP_OFF	  0x40u
#define PCI_CFG_MSIX_OFF  0x80u
#define PCI_CFG_PASID_OFF 0x100u

struct pci_cfg;

/*
 * Told after a write changed bits the model owns in the register at off (size 1, 2 or 4):
 * its value before and after (strobe bits as written; they read 0 once this returns).
 */
typedef void (*pci_cfg_notify_fn)(void *opaque, unsigned int off, unsigned int size, uint32_t old,
				  uint32_t val);

/* A rule applied at an offset (what the table gave this function's layout). */
struct pci_cfg_reg {
	uint16_t off;
	uint8_t size;
	uint32_t rw, w1c, own, strobe;
	const char *name;
};

#define PCI_CFG_MAX_REGS 48

struct pci_cfg {
	uint8_t data[PCI_CFG_SPACE];
	uint8_t reset[PCI_CFG_SPACE]; /* the power-on image (pci_cfg_reset) */
	/* per byte, expanded from regs[] */
	uint8_t rw[PCI_CFG_SPACE], w1c[PCI_CFG_SPACE], own[PCI_CFG_SPACE], strobe[PCI_CFG_SPACE];
	struct pci_cfg_reg regs[PCI_CFG_MAX_REGS];
	unsigned int nr_regs;
	struct platform_bar bars[PLATFORM_NR_BARS];
	unsigned int msix_off, exp_off, pasid_off; /* 0: capability absent */
	pci_cfg_notify_fn notify;
	void *opaque;
};

/* Build the config space of d (its IDs, BARs, capabilities). 0 or -EINVAL. */
int pci_cfg_init(struct pci_cfg *c, const struct platform_device *d, pci_cfg_notify_fn notify,
		 void *opaque);
/* Back to the power-on image (an FLR or a device reset); no notification. */
void pci_cfg_reset(struct pci_cfg *c);

/*
 * A driver's access: any offset and length inside config space (-EINVAL beyond it, or for
 * len 0). Reads have no side effect; a write applies the rules byte by byte.
 */
int pci_cfg_read(const struct pci_cfg *c, unsigned int off, void *buf, size_t len);
int pci_cfg_write(struct pci_cfg *c, unsigned int off, const void *buf, size_t len);

/* The model's view (no rules): the current value of size bytes at off. */
uint32_t pci_cfg_get(const struct pci_cfg *c, unsigned int off, unsigned int size);
/* The model sets bits the driver cannot (a status bit it reports); no notification. */
void pci_cfg_set(struct pci_cfg *c, unsigned int off, unsigned int size, uint32_t val);

bool pci_cfg_memory_enabled(const struct pci_cfg *c);
bool pci_cfg_bus_master(const struct pci_cfg *c);
bool pci_cfg_msix_enabled(const struct pci_cfg *c);
bool pci_cfg_msix_masked(const struct pci_cfg *c);
bool pci_cfg_pasid_enabled(const struct pci_cfg *c);
/* The address a BAR is programmed to (64-bit BARs: both halves); 0 if not implemented. */
uint64_t pci_cfg_bar_addr(const struct pci_cfg *c, unsigned int bar);
/* The rule covering off, or NULL (read-only, model-owned nothing). */
const struct pci_cfg_reg *pci_cfg_reg_at(const struct pci_cfg *c, unsigned int off);

#endif
