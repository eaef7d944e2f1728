/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_int.h - the PCI module's own: the rule table (config_rules.c) that config.c applies.
 *
 * A rule set is the registers of the header or of one capability, at offsets relative to
 * where the layout puts it. Flags say which rows depend on the function (an I/O BAR makes
 * the command register's I/O bit writable; BAR rows are sized by config.c).
 */
#ifndef IOASID_PCI_PCI_INT_H
#define IOASID_PCI_PCI_INT_H

#include "pci/pci.h"

enum pci_rule_flags {
	PCI_RULE_IO_BIT = 1 << 0, /* the rw/own bit 0 only when the function has an I/O BAR */
};

struct pci_rule {
	uint16_t off; /* relative to the rule set's base */
	uint8_t size;
	uint32_t rw, w1c, own, strobe;
	uint32_t flags; /* enum pci_rule_flags */
	const char *name;
};

struct pci_rule_set {
	const char *name;
	const struct pci_rule *rules;
	size_t nr;
};

extern const struct pci_rule_set pci_rules_header; /* type 0 header, BARs aside */
extern const struct pci_rule_set pci_rules_exp;	   /* PCI Express capability (v2 endpoint) */
extern const struct pci_rule_set pci_rules_msix;   /* MSI-X capability */
extern const struct pci_rule_set pci_rules_pasid;  /* PASID extended capability */

#endif
