// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_pci_config.c - config space by the rule table (src/pci): the header of the default
 * platform's devices, the command register (writable bits, the model told of decode and
 * bus-master changes), write-1-to-clear status bits, BAR size probing (32-bit, 64-bit,
 * prefetchable, I/O, absent), the capability lists (PCI Express, MSI-X, PASID), FLR as a
 * strobe, range errors, and a random-write sweep of all 4 KiB against a shadow of the
 * rules.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "pci/pci.h"
#include "platform/platform.h"

struct seen {
	unsigned int calls;
	unsigned int off, size;
	uint32_t old, val;
};

static void notify(void *opaque, unsigned int off, unsigned int size, uint32_t old, uint32_t val)
{
	struct seen *s = opaque;

	s->calls++;
	s->off = off;
	s->size = size;
	s->old = old;
	s->val = val;
}

static const struct platform_device *dev(const char *bdf)
{
	struct platform_bdf b;

	assert_int_equal(platform_bdf_parse(bdf, &b), 0);
	return platform_device_find(platform_default(), &b);
}

static struct pci_cfg *cfg_new(const char *bdf, struct seen *s)
{
	struct pci_cfg *c = malloc(sizeof(*c));

	assert_non_null(c);
	memset(s, 0, sizeof(*s));
	assert_int_equal(pci_cfg_init(c, dev(bdf), notify, s), 0);
	return c;
}

static uint32_t rd(struct pci_cfg *c, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	assert_int_equal(pci_cfg_read(c, off, &v, size), 0);
	return v;
}

static void wr(struct pci_cfg *c, unsigned int off, unsigned int size, uint32_t v)
{
	assert_int_equal(pci_cfg_write(c, off, &v, size), 0);
}

static void test_header(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);

	(void)state;
	assert_int_equal(rd(c, PCI_VENDOR_ID, 4), 0x20218086);
	assert_int_equal(rd(c, PCI_CLASS_REVISION, 4), 0x08800004);
	assert_int_equal(rd(c, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(rd(c, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x8086);
	assert_int_equal(rd(c, PCI_CAPABILITY_LIST, 1), PCI_CFG_EXP_OFF);
	assert_int_equal(rd(c, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(rd(c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* IDs, class, header type, capability pointer, pin: read-only */
	wr(c, PCI_VENDOR_ID, 4, 0);
	wr(c, PCI_CLASS_REVISION, 4, 0);
	wr(c, PCI_HEADER_TYPE, 1, 0x80);
	wr(c, PCI_CAPABILITY_LIST, 1, 0);
	wr(c, PCI_INTERRUPT_PIN, 1, 3);
	assert_int_equal(rd(c, PCI_VENDOR_ID, 4), 0x20218086);
	assert_int_equal(rd(c, PCI_CLASS_REVISION, 4), 0x08800004);
	assert_int_equal(rd(c, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(rd(c, PCI_CAPABILITY_LIST, 1), PCI_CFG_EXP_OFF);
	assert_int_equal(rd(c, PCI_INTERRUPT_PIN, 1), 1);
	/* scratch registers */
	wr(c, PCI_INTERRUPT_LINE, 1, 0x2b);
	wr(c, PCI_CACHE_LINE_SIZE, 1, 0x10);
	assert_int_equal(rd(c, PCI_INTERRUPT_LINE, 1), 0x2b);
	assert_int_equal(rd(c, PCI_CACHE_LINE_SIZE, 1), 0x10);
	assert_int_equal(s.calls, 0);
	/* a reset gives the power-on image back */
	pci_cfg_reset(c);
	assert_int_equal(rd(c, PCI_INTERRUPT_LINE, 1), 0);
	free(c);
}

static void test_command(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);

	(void)state;
	assert_int_equal(rd(c, PCI_COMMAND, 2), 0);
	assert_false(pci_cfg_memory_enabled(c));
	wr(c, PCI_COMMAND, 2, 0xffff);
	/* no I/O BAR: I/O space stays 0; the rest of the unlisted bits are read-only */
	assert_int_equal(rd(c, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
							PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
							PCI_COMMAND_INTX_DISABLE);
	assert_true(pci_cfg_memory_enabled(c));
	assert_true(pci_cfg_bus_master(c));
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.off, PCI_COMMAND);
	assert_int_equal(s.size, 2);
	assert_int_equal(s.old, 0);
	assert_int_equal(s.val, rd(c, PCI_COMMAND, 2));
	/* a byte write that changes only a bit the model does not own: no call */
	wr(c, PCI_COMMAND, 1, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(s.calls, 1);
	assert_int_equal(rd(c, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
							PCI_COMMAND_SERR |
							PCI_COMMAND_INTX_DISABLE);
	/* bus master off: told */
	wr(c, PCI_COMMAND, 1, PCI_COMMAND_MEMORY);
	assert_int_equal(s.calls, 2);
	assert_false(pci_cfg_bus_master(c));
	assert_int_equal(s.old & PCI_COMMAND_MASTER, PCI_COMMAND_MASTER);
	assert_int_equal(s.val & PCI_COMMAND_MASTER, 0);
	free(c);

	/* a device with an I/O BAR may enable I/O decode */
	c = cfg_new("0001:00:01.0", &s);
	wr(c, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_int_equal(rd(c, PCI_COMMAND, 2), PCI_COMMAND_IO);
	assert_int_equal(s.calls, 1);
	free(c);
}

static void test_status_w1c(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);
	uint32_t err = PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR;

	(void)state;
	/* the model reports two errors */
	pci_cfg_set(c, PCI_STATUS, 2, PCI_STATUS_CAP_LIST | err);
	/* writing 0 clears nothing, writing 1 to a read-only bit changes nothing */
	wr(c, PCI_STATUS, 2, 0);
	wr(c, PCI_STATUS, 2, PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);
	assert_int_equal(rd(c, PCI_STATUS, 2), PCI_STATUS_CAP_LIST | err);
	/* 1 clears exactly that bit */
	wr(c, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(rd(c, PCI_STATUS, 2), PCI_STATUS_CAP_LIST | PCI_STATUS_SIG_SYSTEM_ERROR);
	/* a dword write at 0x04 sets the command and clears status in one go */
	wr(c, PCI_COMMAND, 4, (uint32_t)PCI_STATUS_SIG_SYSTEM_ERROR << 16 | PCI_COMMAND_MEMORY);
	assert_int_equal(rd(c, PCI_COMMAND, 4),
			 (uint32_t)PCI_STATUS_CAP_LIST << 16 | PCI_COMMAND_MEMORY);
	/* PCIe device status: error bits are write-1-to-clear too */
	pci_cfg_set(c, PCI_CFG_EXP_OFF + PCI_EXP_DEVSTA, 2,
		    PCI_EXP_DEVSTA_URD | PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_TRPND);
	wr(c, PCI_CFG_EXP_OFF + PCI_EXP_DEVSTA, 2, 0xffff);
	assert_int_equal(rd(c, PCI_CFG_EXP_OFF + PCI_EXP_DEVSTA, 2), PCI_EXP_DEVSTA_TRPND);
	free(c);
}

static void test_bars(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);

	(void)state;
	/* 16 KiB, 64-bit, non-prefetchable */
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_0, 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	wr(c, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	wr(c, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_0, 4), 0xffffc004);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	/* the size a driver computes */
	assert_int_equal(~(rd(c, PCI_BASE_ADDRESS_0, 4) & ~0xfu) + 1, 16384);
	/* absent BARs and the ROM read 0 whatever is written */
	for (unsigned int b = 2; b < 6; b++) {
		wr(c, PCI_BASE_ADDRESS_0 + 4 * b, 4, 0xffffffff);
		assert_int_equal(rd(c, PCI_BASE_ADDRESS_0 + 4 * b, 4), 0);
	}
	wr(c, PCI_ROM_ADDRESS, 4, 0xffffffff);
	assert_int_equal(rd(c, PCI_ROM_ADDRESS, 4), 0);
	/* program an address: low bits below the size are dropped */
	wr(c, PCI_BASE_ADDRESS_0, 4, 0xfe001234);
	wr(c, PCI_BASE_ADDRESS_1, 4, 0x00000038);
	assert_int_equal(pci_cfg_bar_addr(c, 0), UINT64_C(0x38fe000000));
	assert_int_equal(pci_cfg_bar_addr(c, 2), 0);
	assert_int_equal(s.calls, 0);
	free(c);

	/* I/O (256 bytes) and 32-bit BARs; 64-bit prefetchable */
	c = cfg_new("0001:00:01.0", &s);
	wr(c, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_1, 4), 0xffffff01);
	wr(c, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	free(c);
	c = cfg_new("0003:00:01.0", &s);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_4, 4),
			 PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	wr(c, PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	assert_int_equal(rd(c, PCI_BASE_ADDRESS_4, 4), 0xffffc00c);
	free(c);
}

static void test_caps(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0002:00:01.0", &s);
	unsigned int pos, ids[4], n = 0;

	(void)state;
	/* the list, as a driver walks it */
	for (pos = rd(c, PCI_CAPABILITY_LIST, 1); pos && n < 4; pos = rd(c, pos + 1, 1))
		ids[n++] = rd(c, pos, 1);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], PCI_CAP_ID_EXP);
	assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
	/* PCI Express v2 endpoint with FLR */
	assert_int_equal(rd(c, PCI_CFG_EXP_OFF + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_VERS, 2);
	assert_int_equal(rd(c, PCI_CFG_EXP_OFF + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_TYPE, 0);
	assert_true(rd(c, PCI_CFG_EXP_OFF + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
	/* MSI-X: 65 vectors, table and PBA in BAR 0; size read-only; enable, mask owned */
	assert_int_equal(rd(c, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2), 64);
	assert_int_equal(rd(c, PCI_CFG_MSIX_OFF + PCI_MSIX_TABLE, 4), 0x2000);
	assert_int_equal(rd(c, PCI_CFG_MSIX_OFF + PCI_MSIX_PBA, 4), 0x3000);
	wr(c, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2, 0xffff);
	assert_int_equal(rd(c, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2),
			 64 | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_true(pci_cfg_msix_enabled(c));
	assert_true(pci_cfg_msix_masked(c));
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.off, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS);
	wr(c, PCI_CFG_MSIX_OFF + PCI_MSIX_TABLE, 4, 0);
	assert_int_equal(rd(c, PCI_CFG_MSIX_OFF + PCI_MSIX_TABLE, 4), 0x2000);
	/* PASID extended capability: width 20; only enable is writable */
	assert_int_equal(rd(c, PCI_CFG_PASID_OFF, 4), PCI_EXT_CAP_ID_PASID | 1u << 16);
	assert_int_equal(rd(c, PCI_CFG_PASID_OFF + PCI_PASID_CAP, 2), 20 << 8);
	wr(c, PCI_CFG_PASID_OFF + PCI_PASID_CTRL, 2, 0xffff);
	assert_int_equal(rd(c, PCI_CFG_PASID_OFF + PCI_PASID_CTRL, 2), PCI_PASID_CTRL_ENABLE);
	assert_true(pci_cfg_pasid_enabled(c));
	assert_int_equal(s.calls, 2);
	free(c);

	/* no PASID: the extended header is 0; no MSI-X: the list ends after PCIe */
	c = cfg_new("0001:00:01.0", &s);
	assert_int_equal(rd(c, PCI_CFG_PASID_OFF, 4), 0);
	assert_int_equal(rd(c, PCI_CFG_EXP_OFF + PCI_CAP_LIST_NEXT, 1), 0);
	assert_false(pci_cfg_msix_enabled(c));
	assert_false(pci_cfg_pasid_enabled(c));
	free(c);
}

static void test_flr(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);
	unsigned int devctl = PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL;
	uint32_t v0 = rd(c, devctl, 2);

	(void)state;
	/* plain device-control bits: writable, not the model's; phantom functions read-only */
	wr(c, devctl, 2, v0 | PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_PHANTOM);
	assert_int_equal(rd(c, devctl, 2), v0 | PCI_EXP_DEVCTL_URRE);
	assert_int_equal(s.calls, 0);
	/* FLR: the model is told with the bit set; it reads back 0 */
	wr(c, devctl, 2, v0 | PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.off, devctl);
	assert_true(s.val & PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(rd(c, devctl, 2), v0);
	assert_non_null(pci_cfg_reg_at(c, devctl + 1));
	assert_string_equal(pci_cfg_reg_at(c, devctl)->name, "PCIe device control");
	assert_null(pci_cfg_reg_at(c, PCI_VENDOR_ID));
	free(c);
}

static void test_range(void **state)
{
	struct seen s;
	struct pci_cfg *c = cfg_new("0000:00:04.0", &s);
	uint8_t buf[8] = { 0 };

	(void)state;
	assert_int_equal(pci_cfg_read(c, 4096, buf, 1), -EINVAL);
	assert_int_equal(pci_cfg_read(c, 4095, buf, 2), -EINVAL);
	assert_int_equal(pci_cfg_read(c, 0, buf, 0), -EINVAL);
	assert_int_equal(pci_cfg_read(c, 1, buf, SIZE_MAX), -EINVAL);
	assert_int_equal(pci_cfg_write(c, UINT32_MAX, buf, 2), -EINVAL);
	assert_int_equal(pci_cfg_write(c, 4094, buf, 4), -EINVAL);
	assert_int_equal(pci_cfg_read(c, 4095, buf, 1), 0);
	assert_int_equal(pci_cfg_write(c, 4095, buf, 1), 0);
	free(c);
}

/* Random writes over every byte of every device's space, against the rules as a shadow. */
static void test_sweep(void **state)
{
	const struct platform *p = platform_default();

	(void)state;
	srand(12);
	for (size_t d = 0; d < p->nr_devs; d++) {
		struct seen s;
		struct pci_cfg *c = malloc(sizeof(*c));
		uint8_t shadow[PCI_CFG_SPACE];

		assert_non_null(c);
		assert_int_equal(pci_cfg_init(c, &p->devs[d], notify, &s), 0);
		memcpy(shadow, c->data, sizeof(shadow));
		for (unsigned int round = 0; round < 2000; round++) {
			unsigned int off = (unsigned int)rand() % PCI_CFG_SPACE;
			size_t len = 1 + (size_t)rand() % 8;
			uint8_t v[8], now[8];

			if (off + len > PCI_CFG_SPACE)
				len = PCI_CFG_SPACE - off;
			if (round % 4 == 0) /* the registers that have rules, often */
				off = c->regs[(unsigned int)rand() % c->nr_regs].off;
			for (size_t i = 0; i < len; i++)
				v[i] = (uint8_t)rand();
			/* the model sets some write-1-to-clear bits first */
			for (size_t i = 0; i < len && off + i < PCI_CFG_SPACE; i++) {
				uint8_t set = c->w1c[off + i] & (uint8_t)rand();

				c->data[off + i] |= set;
				shadow[off + i] |= set;
			}
			assert_int_equal(pci_cfg_write(c, off, v, len), 0);
			for (size_t i = 0; i < len; i++) {
				unsigned int o = off + (unsigned int)i;
				uint8_t b = shadow[o];

				b = (uint8_t)((b & ~c->rw[o]) | (v[i] & c->rw[o]));
				b = (uint8_t)(b & ~(v[i] & c->w1c[o]) & ~c->strobe[o]);
				shadow[o] = b;
			}
			assert_int_equal(pci_cfg_read(c, off, now, len), 0);
			assert_memory_equal(now, shadow + off, len);
		}
		assert_memory_equal(c->data, shadow, sizeof(shadow));
		/* read-only everywhere outside the rules: the IDs survived */
		assert_int_equal(pci_cfg_get(c, PCI_VENDOR_ID, 2), p->devs[d].vendor);
		assert_int_equal(pci_cfg_get(c, PCI_DEVICE_ID, 2), p->devs[d].device);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),	   cmocka_unit_test(test_command),
		cmocka_unit_test(test_status_w1c), cmocka_unit_test(test_bars),
		cmocka_unit_test(test_caps),	   cmocka_unit_test(test_flr),
		cmocka_unit_test(test_range),	   cmocka_unit_test(test_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
