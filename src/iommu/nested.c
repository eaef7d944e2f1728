/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nested.c - nested translations: a guest's stage-1 table, in a hardware format, walked
 * through a nest-parent paging domain (stage 2), as a two-stage IOMMU does.
 *
 * What it owns: iommu_nested_alloc(), the hook a nested HWPT calls with the user's data from
 * IOMMU_HWPT_ALLOC, and the stage-1 kinds:
 *   IOMMU_HWPT_DATA_SELFTEST  the kernel mock's nested domain: no stage-1 table; stage 1 is
 *                             the identity, so the translation is the parent's, but cached
 *                             under the nested domain's own tag;
 *   IOMMU_HWPT_DATA_VTD_S1    VT-d first-stage: an x86-64 4- or 5-level table (addr_width
 *                             48 or 57) rooted at pgtbl_addr, which is a guest physical
 *                             address: an IOVA of the parent.
 *
 * Words: IPA = guest physical address = the parent's IOVA; "stage-1 table access" = the read
 * (and, on a write, the accessed/dirty update) of one stage-1 entry.
 *
 * The walk: every stage-1 entry is reached by translating its IPA through stage 2 first
 * (struct nested_reader, handed to the format's walker), exactly one stage-2 walk per
 * stage-1 entry, so a stage-1 table that stage 2 does not map (or maps read-only while the
 * walk must set a dirty bit) faults in stage 2 with that IPA; then the output IPA goes
 * through stage 2 for the access itself. Permissions are those of both stages; the size of
 * the result is the smaller of the two leaves, so the IOTLB entry is valid for all of it.
 * Stage-1 accessed/dirty bits are set by the walk on a write, as the hardware sets them.
 *
 * Invalidation: a nested translation caches under its own tag, which only the user's
 * invalidation (iommu_nested_invalidate, called by IOMMU_HWPT_INVALIDATE) names: a guest
 * that edits its table without invalidating keeps seeing the old translation, as on
 * hardware. An unmap of the parent drops every entry built on it (the s2 tag).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd_test.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

struct nested {
	uint32_t data_type;
	struct iommu_domain *s1_geom; /* the stage-1 format's geometry (its own root unused) */
	uint64_t s1_root;	      /* IPA of the stage-1 root table */
};

struct nested_reader {
	struct pt_reader rd;
	struct iommu_domain *s2;
};

/* Reach a stage-1 entry at IPA pa through stage 2; a stage-2 fault ends the walk. */
static uint64_t *nested_entry(const struct pt_reader *rd, uint64_t pa, unsigned int access,
			      struct pt_walk_result *out)
{
	const struct nested_reader *nr = (const struct nested_reader *)rd;
	struct pt_walk_result r;
	unsigned int acc = PT_ACC_READ | (access & PT_ACC_WRITE);

	if (pt_translate(nr->s2, NULL, 0, pa, acc, nr->s2->dirty_tracking, &r)) {
		*out = r;
		out->stage = 2;
		return NULL;
	}
	if (r.oa & 7) {
		out->fault = PT_FAULT_ADDR_SIZE;
		out->stage = 2;
		out->level = 0;
		out->fault_addr = pa;
		return NULL;
	}
	return (uint64_t *)(uintptr_t)r.oa;
}

/* Stage 2 for the access itself: ipa -> output, combined with stage 1's result. */
static int nested_stage2(struct iommu_xlate *x, uint64_t ipa, unsigned int access,
			 const struct pt_walk_result *s1, struct iommu_xlate_result *out,
			 struct iommu_fault *fault)
{
	struct pt_walk_result r;

	if (pt_translate(x->s2, NULL, 0, ipa, iommu_pt_access(access), x->s2->dirty_tracking, &r)) {
		iommu_fault_from_pt(&r, 2, fault);
		return -EFAULT;
	}
	out->oa = r.oa;
	out->size_lg2 = s1 && s1->size_lg2 < r.size_lg2 ? s1->size_lg2 : r.size_lg2;
	out->prot = s1 ? (s1->prot & r.prot) : r.prot;
	return 0;
}

static int nested_walk(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		       struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct nested *n = x->priv;
	struct nested_reader nr = { .rd.entry = nested_entry, .s2 = x->s2 };
	struct pt_walk_result s1;

	(void)pasid;
	if (!n->s1_geom) /* identity stage 1 */
		return nested_stage2(x, iova, access, NULL, out, fault);
	if (pt_translate(n->s1_geom, &nr.rd, n->s1_root, iova, iommu_pt_access(access), true,
			 &s1)) {
		iommu_fault_from_pt(&s1, 1, fault);
		return -EFAULT;
	}
	return nested_stage2(x, s1.oa, access, &s1, out, fault);
}

static void nested_release(struct iommu_xlate *x)
{
	struct nested *n = x->priv;

	if (n->s1_geom)
		n->s1_geom->ops->free(n->s1_geom);
	free(n);
}

static const struct iommu_xlate_ops nested_ops = {
	.name = "nested",
	.walk = nested_walk,
	.release = nested_release,
};

/* The stage-1 geometry of a VT-d first-stage table. */
static int nested_vtd_s1(struct nested *n, const void *data, size_t len)
{
	const uint64_t valid = IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE;
	struct pt_config cfg = { .format = PT_FMT_X86_64, .flags = PT_CFG_NO_DIRTY };
	struct iommu_hwpt_vtd_s1 vtd;

	if (len < sizeof(vtd))
		return -EINVAL;
	memcpy(&vtd, data, sizeof(vtd));
	if (vtd.flags & ~valid)
		return -EOPNOTSUPP;
	if (vtd.addr_width != 48 && vtd.addr_width != 57)
		return -EINVAL;
	if (vtd.pgtbl_addr & 0xfff)
		return -EINVAL;
	cfg.levels = vtd.addr_width == 57 ? 5 : 4;
	n->s1_root = vtd.pgtbl_addr;
	return pt_domain_alloc(&cfg, &n->s1_geom);
}

int iommu_nested_alloc(struct iommu_domain *parent, uint32_t data_type, const void *data,
		       size_t len, struct iommu_xlate **out)
{
	struct iommu_xlate *x;
	struct nested *n;
	int rc;

	if (!pt_is_domain(parent))
		return -EINVAL;
	if (data_type != IOMMU_HWPT_DATA_SELFTEST && data_type != IOMMU_HWPT_DATA_VTD_S1)
		return -EOPNOTSUPP;
	if (len && !data)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->data_type = data_type;
	switch (data_type) {
	case IOMMU_HWPT_DATA_SELFTEST:
		rc = len >= sizeof(struct iommu_hwpt_selftest) ? 0 : -EINVAL;
		break;
	default:
		rc = nested_vtd_s1(n, data, len);
		break;
	}
	if (rc)
		goto err_free;
	rc = iommu_xlate_init(&x, &nested_ops, parent, iommu_new_tag());
	if (rc)
		goto err_free;
	x->priv = n;
	*out = x;
	return 0;

err_free:
	if (n->s1_geom)
		n->s1_geom->ops->free(n->s1_geom);
	free(n);
	return rc;
}

void iommu_nested_invalidate(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, uint64_t len)
{
	uint64_t last = UINT64_MAX;

	if (len && __builtin_add_overflow(iova, len - 1, &last))
		last = UINT64_MAX;
	if (!len)
		iova = 0;
	iotlb_invalidate_tag(x->tag, pasid, iova, last);
}
