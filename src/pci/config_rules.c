// SPDX-License-Identifier: BSD-3-Clause
/*
 * config_rules.c - the one table of config-space behaviour: for each register of the type 0
 * header and of each capability we emulate, which bits a driver may write, which a 1
 * clears, which the device model owns (is told about), which are strobes (act, read 0).
 * Every bit not listed as writable or write-1-to-clear is read-only, including whole
 * registers that have no row (IDs, class, header type, capability pointers, capability
 * registers).
 *
 * What the rows encode (the PCI Local Bus 3.0 and PCI Express 4.0 register definitions,
 * the same split Linux's vfio-pci makes between virtualized and read-only bits):
 *   - command: I/O (only with an I/O BAR), memory, bus master, parity and SERR response,
 *     INTx disable; the model owns decode, bus mastering and INTx disable;
 *   - status: the five error bits and master data parity error are write-1-to-clear;
 *   - cache line size and interrupt line are plain scratch registers;
 *   - PCIe device control (FLR is a strobe the model acts on; phantom functions are not
 *     supported, so read-only), device status error bits (write-1-to-clear), link control
 *     ASPM and clock bits, device control 2 completion timeout;
 *   - MSI-X enable and function mask (model-owned);
 *   - PASID enable (model-owned); execute and privileged modes are not offered.
 * BARs are rows config.c sizes from the platform description (pci_cfg_init).
 */
#include <linux/pci_regs.h>

#include "pci/pci_int.h"

static const struct pci_rule header_rules[] = {
	{ PCI_COMMAND, 2,
	  .rw = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE,
	  .own = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		 PCI_COMMAND_INTX_DISABLE,
	  .flags = PCI_RULE_IO_BIT, .name = "command" },
	{ PCI_STATUS, 2,
	  .w1c = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
		 PCI_STATUS_DETECTED_PARITY,
	  .name = "status" },
	{ PCI_CACHE_LINE_SIZE, 1, .rw = 0xff, .name = "cache line size" },
	{ PCI_INTERRUPT_LINE, 1, .rw = 0xff, .name = "interrupt line" },
};

static const struct pci_rule exp_rules[] = {
	{ PCI_EXP_DEVCTL, 2,
	  .rw = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |
		PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_PAYLOAD |
		PCI_EXP_DEVCTL_EXT_TAG | PCI_EXP_DEVCTL_AUX_PME | PCI_EXP_DEVCTL_NOSNOOP_EN |
		PCI_EXP_DEVCTL_READRQ,
	  .own = PCI_EXP_DEVCTL_BCR_FLR, .strobe = PCI_EXP_DEVCTL_BCR_FLR,
	  .name = "PCIe device control" },
	{ PCI_EXP_DEVSTA, 2,
	  .w1c = PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD,
	  .name = "PCIe device status" },
	{ PCI_EXP_LNKCTL, 2, .rw = PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES,
	  .name = "PCIe link control" },
	{ PCI_EXP_DEVCTL2, 2, .rw = PCI_EXP_DEVCTL2_COMP_TIMEOUT | PCI_EXP_DEVCTL2_COMP_TMOUT_DIS,
	  .name = "PCIe device control 2" },
};

static const struct pci_rule msix_rules[] = {
	{ PCI_MSIX_FLAGS, 2, .rw = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL,
	  .own = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, .name = "MSI-X message control" },
};

static const struct pci_rule pasid_rules[] = {
	{ PCI_PASID_CTRL, 2, .rw = PCI_PASID_CTRL_ENABLE, .own = PCI_PASID_CTRL_ENABLE,
	  .name = "PASID control" },
};

#define RULE_SET(n, r)                         \
	{                                      \
		n, r, sizeof(r) / sizeof(r[0]) \
	}

const struct pci_rule_set pci_rules_header = RULE_SET("header", header_rules);
const struct pci_rule_set pci_rules_exp = RULE_SET("PCI Express", exp_rules);
const struct pci_rule_set pci_rules_msix = RULE_SET("MSI-X", msix_rules);
const struct pci_rule_set pci_rules_pasid = RULE_SET("PASID", pasid_rules);
