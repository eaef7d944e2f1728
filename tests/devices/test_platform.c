// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_platform.c - the platform (src/platform): the embedded default's contents, a round
 * trip through the file format (write, parse, compare; and through a file on disk), BDFs,
 * and every error the parser reports, each naming its line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "iommu/iommu.h"
#include "platform/platform.h"

static const struct platform_device *dev_at(const struct platform *p, const char *bdf)
{
	struct platform_bdf b;

	assert_int_equal(platform_bdf_parse(bdf, &b), 0);
	return platform_device_find(p, &b);
}

static void test_default(void **state)
{
	const struct platform *p = platform_default();
	unsigned int per_kind[PLATFORM_IOMMU_NR] = { 0 };
	const struct platform_device *d;

	(void)state;
	assert_non_null(p);
	assert_ptr_equal(p, platform_default());
	assert_int_equal(p->nr_iommus, PLATFORM_IOMMU_NR);
	for (size_t i = 0; i < p->nr_devs; i++) {
		d = &p->devs[i];
		assert_true(d->iommu < p->nr_iommus);
		per_kind[p->iommus[d->iommu].kind]++;
		/* every device's IOMMU is one the translation module can bind a device to */
		assert_non_null(iommu_model_find(p->iommus[d->iommu].format));
		/* a device's group is behind one IOMMU */
		for (size_t j = 0; j < p->nr_devs; j++)
			if (p->devs[j].group == d->group)
				assert_int_equal(p->devs[j].iommu, d->iommu);
	}
	for (unsigned int k = 0; k < PLATFORM_IOMMU_NR; k++)
		assert_true(per_kind[k] >= 1);

	/* the I/OAT engine: Skylake-SP CBDMA behind VT-d */
	d = dev_at(p, "0000:00:04.0");
	assert_non_null(d);
	assert_string_equal(d->model, "ioat");
	assert_int_equal(p->iommus[d->iommu].kind, PLATFORM_IOMMU_VTD);
	assert_int_equal(d->vendor, 0x8086);
	assert_int_equal(d->device, 0x2021);
	assert_int_equal(d->class_code, 0x088000);
	assert_int_equal(d->bars[0].size, 16384);
	assert_int_equal(d->bars[0].flags, PLATFORM_BAR_MEM64);
	assert_int_equal(d->bars[1].size, 0);
	assert_int_equal(d->msix_vectors, 1);
	assert_int_equal(d->msix_table_off, 0x2000);
	assert_int_equal(d->rid, 0x0020);
	assert_int_equal(dev_at(p, "0000:00:04.1")->rid, 0x0021);
	assert_int_not_equal(dev_at(p, "0000:00:04.1")->group, d->group);
	/* the two-function virtio-net shares one group; the SMMUv3 device has PASIDs */
	assert_int_equal(dev_at(p, "0003:00:01.0")->group, dev_at(p, "0003:00:01.1")->group);
	assert_int_equal(dev_at(p, "0002:00:01.0")->pasid_bits, 20);
	assert_int_equal(dev_at(p, "0001:00:01.0")->bars[1].flags, PLATFORM_BAR_IO);
	assert_null(dev_at(p, "0000:00:05.0"));
}

static char *write_text(const struct platform *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(platform_write(p, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void test_round_trip(void **state)
{
	const struct platform *dflt = platform_default();
	struct platform *p, *q;
	char err[256], path[] = "/tmp/ioasid-platform-XXXXXX";
	char *text = write_text(dflt);
	int fd;

	(void)state;
	assert_int_equal(platform_parse(text, &p, err, sizeof(err)), 0);
	assert_true(platform_equal(p, dflt));
	/* through a file on disk */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(platform_load(path, &q, err, sizeof(err)), 0);
	assert_true(platform_equal(q, p));
	/* a changed field is seen */
	q->devs[3].rid ^= 1;
	assert_false(platform_equal(q, p));
	platform_free(q);
	unlink(path);
	assert_int_equal(platform_load(path, &q, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	platform_free(p);
	free(text);

	/* defaults: format by kind, model none, RID from the BDF, groups after the given */
	assert_int_equal(platform_parse("[iommu a]\nkind = amd\n"
					"[device 02:03.1]\niommu = a\nvendor = 0x10de\n"
					"device = 1\nclass = 0x030000\nbar2 = 1M mem64 prefetch\n"
					"[device 02:03.2]\niommu = a\nvendor = 0x10de\ndevice = 2\n"
					"class = 0x040300\ngroup = 7\nmsix = 4\n"
					"bar0 = 4K ; comment\n",
					&p, err, sizeof(err)),
			 0);
	assert_string_equal(p->iommus[0].format, "amd-v1-4");
	assert_string_equal(p->devs[0].model, "none");
	assert_int_equal(p->devs[0].bdf.segment, 0);
	assert_int_equal(p->devs[0].rid, 0x0219);
	assert_int_equal(p->devs[0].group, 8);
	assert_int_equal(p->devs[1].group, 7);
	assert_int_equal(p->devs[0].bars[2].size, 1 << 20);
	assert_int_equal(p->devs[0].bars[2].flags, PLATFORM_BAR_MEM64 | PLATFORM_BAR_PREFETCH);
	assert_int_equal(p->devs[1].msix_table_off, 0);
	assert_int_equal(p->devs[1].msix_pba_off, 64);
	text = write_text(p);
	assert_int_equal(platform_parse(text, &q, err, sizeof(err)), 0);
	assert_true(platform_equal(p, q));
	free(text);
	platform_free(p);
	platform_free(q);
}

static void test_bdf(void **state)
{
	struct platform_bdf b;
	char buf[16];

	(void)state;
	assert_int_equal(platform_bdf_parse("abcd:ef:1f.7", &b), 0);
	assert_int_equal(b.segment, 0xabcd);
	assert_int_equal(b.bus, 0xef);
	assert_int_equal(b.dev, 0x1f);
	assert_int_equal(b.fn, 7);
	platform_bdf_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "abcd:ef:1f.7");
	assert_int_equal(platform_bdf_rid(&b), 0xefff);
	static const char *const bad[] = {
		"",	    "00:00",   "00:20.0",	"00:00.8", "0:00:00.0",
		"00:00.0x", "g0:00.0", "00000:00:00.0", "00:0.0",  "0000:00:00:00.0"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(platform_bdf_parse(bad[i], &b), -EINVAL);
}

#define DEV	  "[iommu m]\nkind = mock\n[device 00:01.0]\niommu = m\nvendor = 1\ndevice = 2\n"
#define DEV_CLASS DEV "class = 3\n"

static const struct {
	const char *text;
	const char *msg; /* the whole message */
} errors[] = {
	{ "a = 1\n", "line 1: key 'a' outside a section" },
	{ "# c\n[iommu m\nkind = mock\n", "line 2: syntax error (expected [section], key = value "
					  "or a comment)" },
	{ "[iommu m]\nkind\n", "line 2: syntax error (expected [section], key = value or a "
			       "comment)" },
	{ "[bus 0]\nx = 1\n",
	  "line 1: unknown section [bus 0] (expected [iommu NAME] or [device BDF])" },
	{ "[iommu m]\n", "line 1: section [iommu m] has no keys" },
	{ "[iommu m]\nkind = mock\n[iommu n]\n[iommu o]\nkind = vtd\n",
	  "line 3: section [iommu n] has no keys" },
	{ "[iommu ]\nkind = mock\n", "line 1: bad IOMMU name in [iommu ]" },
	{ "[iommu a b]\nkind = mock\n", "line 1: bad IOMMU name in [iommu a b]" },
	{ "[iommu m]\nkind = mock\n[iommu m]\nkind = vtd\n",
	  "line 3: duplicate section [iommu m]" },
	{ "[iommu m]\nkind = mock\n[iommu m]\nformat = mock\n",
	  "line 3: duplicate section [iommu m]" },
	{ "[iommu m]\nkind = mock\ncolour = red\n", "line 3: unknown key 'colour' in [iommu m]" },
	{ "[iommu m]\nkind = mock\nkind = vtd\n", "line 3: duplicate key 'kind' in [iommu m]" },
	{ "[iommu m]\nkind = sparc\n",
	  "line 2: unknown IOMMU kind 'sparc' (mock, vtd, smmuv3, amd, riscv, tce)" },
	{ "[iommu m]\nformat = mock\n", "line 1: [iommu m] has no 'kind'" },
	{ "[iommu m]\nkind = vtd\nformat = arm-s1-4k-48\n",
	  "line 1: [iommu m]: format 'arm-s1-4k-48' is not one a vtd IOMMU uses" },
	{ "[iommu m]\nkind = tce\nformat = tce-9k\n",
	  "line 1: [iommu m]: format 'tce-9k' is not one a tce IOMMU uses" },
	{ "[iommu m]\nkind = mock\nformat = mock-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	  "line 3: format name 'mock-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' too long" },
	{ "[device 00:01]\nvendor = 1\n",
	  "line 1: bad BDF in [device 00:01] (expected ssss:bb:dd.f)" },
	{ DEV_CLASS "[device 0000:00:01.0]\niommu = m\n",
	  "line 8: duplicate section [device 0000:00:01.0]" },
	{ DEV_CLASS "speed = 5\n", "line 8: unknown key 'speed' in [device 00:01.0]" },
	{ DEV_CLASS "vendor = 4\n", "line 8: duplicate key 'vendor' in [device 00:01.0]" },
	{ DEV, "line 3: [device 00:01.0] has no 'class'" },
	{ "[iommu m]\nkind = mock\n[device 00:01.0]\nvendor = 1\ndevice = 2\nclass = 3\n",
	  "line 3: [device 00:01.0] has no 'iommu'" },
	{ DEV_CLASS "[iommu z]\nkind = mock\n", NULL }, /* fine: checked below */
	{ "[device 00:01.0]\niommu = q\nvendor = 1\ndevice = 2\nclass = 3\n",
	  "line 1: [device 0000:00:01.0]: no [iommu q]" },
	{ DEV_CLASS "model = nvme\n", "line 8: bad value 'nvme' for 'model' (expected none or "
				      "ioat)" },
	{ DEV_CLASS "iommu2 = x\n", "line 8: unknown key 'iommu2' in [device 00:01.0]" },
	{ "[iommu m]\nkind = mock\n[device 00:01.0]\nvendor = 0xffff\n",
	  "line 4: bad value '0xffff' for 'vendor' (expected a vendor ID other than 0 and "
	  "0xffff)" },
	{ DEV_CLASS "subsystem-device = 0x10000\n",
	  "line 8: bad value '0x10000' for 'subsystem-device' (expected a 16-bit number)" },
	{ DEV_CLASS "rid = -1\n", "line 8: bad value '-1' for 'rid' (expected a 16-bit number)" },
	{ DEV "class = 0x1000000\n",
	  "line 7: bad value '0x1000000' for 'class' (expected a 24-bit class code)" },
	{ DEV_CLASS "revision = 12x\n",
	  "line 8: bad value '12x' for 'revision' (expected an 8-bit number)" },
	{ DEV_CLASS "msix = 0\n", "line 8: bad value '0' for 'msix' (expected 1 .. 2048 vectors)" },
	{ DEV_CLASS "msix = 2049\n",
	  "line 8: bad value '2049' for 'msix' (expected 1 .. 2048 vectors)" },
	{ DEV_CLASS "msix-bar = 6\n",
	  "line 8: bad value '6' for 'msix-bar' (expected a BAR number 0 .. 5)" },
	{ DEV_CLASS "msix-table = 0x100000000\n",
	  "line 8: bad value '0x100000000' for 'msix-table' (expected a 32-bit offset in the "
	  "BAR)" },
	{ DEV_CLASS "pasid = 21\n",
	  "line 8: bad value '21' for 'pasid' (expected a PASID width 0 .. 20)" },
	{ DEV_CLASS "group = 65536\n",
	  "line 8: bad value '65536' for 'group' (expected a group number 0 .. 65535)" },
	{ DEV_CLASS "bar0 = 3K\n", NULL },
	{ DEV_CLASS "bar0 = 8\n", NULL },
	{ DEV_CLASS "bar0 = 512 io\n", NULL },
	{ DEV_CLASS "bar0 = 16 io prefetch\n", NULL },
	{ DEV_CLASS "bar0 = 4G\n", NULL },
	{ DEV_CLASS "bar0 = 4K mem64 io\n", NULL },
	{ DEV_CLASS "bar0 = 4K fast\n", NULL },
	{ DEV_CLASS "bar0 = K\n", NULL },
	{ DEV_CLASS "bar0 = 17179869185G mem64\n", NULL }, /* 2^34 + 1 G: no wrap to 1G */
	{ DEV_CLASS "bar0 = 2T mem64\n", NULL },
	{ DEV_CLASS "bar0 = 4K mem64\nbar1 = 4K\n",
	  "line 3: [device 00:01.0]: bar1 is the upper half of 64-bit bar0" },
	{ DEV_CLASS "bar5 = 4K mem64\n", "line 3: [device 00:01.0]: bar5 cannot be 64-bit" },
	{ DEV_CLASS "msix-bar = 0\nbar0 = 4K\n",
	  "line 3: [device 00:01.0]: msix-bar/table/pba without 'msix'" },
	{ DEV_CLASS "msix = 4\nmsix-bar = 1\nbar0 = 4K\n",
	  "line 3: [device 00:01.0]: msix-bar 1 is not a memory BAR" },
	{ DEV_CLASS "msix = 4\nbar0 = 16 io\n",
	  "line 3: [device 00:01.0]: msix-bar 0 is not a memory BAR" },
	{ DEV_CLASS "msix = 4\nbar0 = 64\nmsix-table = 8\n",
	  "line 3: [device 00:01.0]: the MSI-X table and PBA must be 8-byte aligned, inside "
	  "bar0 and apart" },
	{ DEV_CLASS "msix = 4\nbar0 = 4K\nmsix-table = 4\n",
	  "line 3: [device 00:01.0]: the MSI-X table and PBA must be 8-byte aligned, inside "
	  "bar0 and apart" },
	{ DEV_CLASS "msix = 4\nbar0 = 4K\nmsix-pba = 0x30\n",
	  "line 3: [device 00:01.0]: the MSI-X table and PBA must be 8-byte aligned, inside "
	  "bar0 and apart" },
	{ DEV_CLASS "group = 1\n[iommu n]\nkind = vtd\n[device 00:02.0]\niommu = n\n"
		    "vendor = 1\ndevice = 2\nclass = 3\ngroup = 1\n",
	  "line 11: [device 0000:00:02.0]: group 1 is behind [iommu m], not [iommu n]" },
	{ DEV_CLASS "[device 00:02.0]\niommu = m\nvendor = 1\ndevice = 2\nclass = 3\n"
		    "rid = 0x0008\n",
	  "line 8: [device 0000:00:02.0]: requester ID 0x0008 is also [device 0000:00:01.0]'s, "
	  "so they must share a group" },
	{ DEV_CLASS "[device 00:02.0]\niommu = m\nvendor = 1\ndevice = 2\nclass = 3\nrid = 8\n"
		    "[device 00:01.0]\nvendor = 1\n",
	  "line 14: duplicate section [device 00:01.0]" },
	{ "[iommu m]\nkind = mock\n\n"
	  "[device 00:01.0]\nvendor = 1\n  continued\n",
	  "line 6: duplicate key 'vendor' in [device 00:01.0]" },
};

static void test_errors(void **state)
{
	unsigned int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct platform *p = NULL;
		char err[256];
		int rc = platform_parse(errors[i].text, &p, err, sizeof(err));

		if (!errors[i].msg && strstr(errors[i].text, "bar0 = ")) {
			/* bad BAR values: the message names the key and the value */
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err, "line 8: bad value '"));
			assert_non_null(strstr(err, "' for 'bar0' (expected a power-of-two size"));
			assert_null(strchr(err, '\n'));
			continue;
		}
		if (!errors[i].msg) {
			assert_int_equal(rc, 0);
			platform_free(p);
			continue;
		}
		if (rc != -EINVAL || strcmp(err, errors[i].msg)) {
			print_error("case %zu: rc %d, got \"%s\", want \"%s\"\n", i, rc, err,
				    errors[i].msg);
			bad++;
		}
		assert_null(p);
	}
	assert_int_equal(bad, 0);
}

static void test_long_line(void **state)
{
	char text[512], err[128];
	struct platform *p = NULL;

	(void)state;
	snprintf(text, sizeof(text), "[iommu m]\nkind = mock\n# %0250d\n", 0);
	assert_int_equal(platform_parse(text, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: longer than 197 characters");
	/* a message too long for a small buffer is cut, not overrun */
	assert_int_equal(platform_parse("[bus]\nx = 1\n", &p, err, 12), -EINVAL);
	assert_string_equal(err, "line 1: unk");
	/* NULL err is fine */
	assert_int_equal(platform_parse("x = 1\n", &p, NULL, 0), -EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),	  cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bdf),	  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
