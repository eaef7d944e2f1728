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
 *   IOMMU_HWPT_DATA_ARM_SMMUV3  the guest's SMMUv3 Stream Table Entry (words 0 and 1): abort,
 *                             bypass, or stage-1 translate through a linear context
 *                             descriptor table at S1ContextPtr (a guest physical address,
 *                             2^S1CDMax descriptors indexed by PASID/SubstreamID). Each walk
 *                             reads the CD (its V, T0SZ, TG0, IPS, AA64, EPD0, HA/HD and
 *                             TTB0) through stage 2, then walks the ARM LPAE stage-1 table it
 *                             names. A CD change is seen once the user invalidates.
 *   IOMMU_HWPT_DATA_AMD_GUEST the guest's AMD Device Table Entry (words 0-2): with GV, a
 *                             GCR3 table (1 to 3 levels by GLX, at a guest physical address)
 *                             indexed by PASID gives each PASID's guest CR3, the root of an
 *                             x86-64 4- or 5-level table (the guest paging mode); requests
 *                             without a PASID use entry 0 when GIOV is set, stage 2 alone
 *                             otherwise; without GV, stage 2 alone. The guest invalidates
 *                             through a hardware vIOMMU's command buffer, which is not
 *                             modelled, so an AMD nested translation is never cached: every
 *                             DMA walks (a guest's edit is seen at once).
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
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd_test.h>

#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"

#define SMMU_GEOMS 8

struct nested {
	uint32_t data_type;
	/* AMD: the DTE's guest fields, and the x86-64 geometries of 4 and 5 levels */
	struct amd_guest amd;
	struct iommu_domain *amd_geom[2];
	struct iommu_domain *s1_geom; /* the stage-1 format's geometry (its own root unused) */
	uint64_t s1_root;	      /* IPA of the stage-1 root table */
	uint64_t ste[2];	      /* SMMUv3: the guest's STE, CPU order */
	/*
	 * SMMUv3: LPAE geometries met in CDs so far, made on a walk's slow path under
	 * geom_lock and published by a release store of d (key written first).
	 */
	pthread_mutex_t geom_lock;
	struct {
		uint32_t key;
		struct iommu_domain *d;
	} geom[SMMU_GEOMS];
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
	uint64_t *p;

	if (pt_translate(nr->s2, NULL, PT_ROOT_OWN, pa, acc, nr->s2->dirty_tracking, &r)) {
		*out = r;
		out->stage = 2;
		return NULL;
	}
	/* stage 2's output is a name (iommu/phys.h): an entry of memory the context pinned */
	p = (r.oa & 7) ? NULL : iommu_phys_resolve(r.oa, 8);
	if (!p) {
		out->fault = PT_FAULT_ADDR_SIZE;
		out->stage = 2;
		out->level = 0;
		out->fault_addr = pa;
		return NULL;
	}
	return p;
}

/* Stage 2 for the access itself: ipa -> output, combined with stage 1's result. */
static int nested_stage2(struct iommu_xlate *x, uint64_t ipa, unsigned int access,
			 const struct pt_walk_result *s1, struct iommu_xlate_result *out,
			 struct iommu_fault *fault)
{
	struct pt_walk_result r;

	if (pt_translate(x->s2, NULL, PT_ROOT_OWN, ipa, iommu_pt_access(access),
			 x->s2->dirty_tracking, &r)) {
		iommu_fault_from_pt(&r, 2, fault);
		return -EFAULT;
	}
	out->oa = r.oa;
	out->size_lg2 = s1 && s1->size_lg2 < r.size_lg2 ? s1->size_lg2 : r.size_lg2;
	out->prot = s1 ? (s1->prot & r.prot) : r.prot;
	return 0;
}

/* ---- SMMUv3: STE -> CD -> LPAE stage 1 ------------------------------------------------- */

/* The LPAE stage-1 geometry a CD asks for, made once per nested translation. */
static struct iommu_domain *smmu_geometry(struct nested *n, unsigned int granule_lg2,
					  unsigned int ia, unsigned int oa, bool hd)
{
	uint32_t key = granule_lg2 | ia << 8 | oa << 16 | (uint32_t)hd << 24;
	struct iommu_domain *d = NULL;
	unsigned int i;

	for (i = 0; i < SMMU_GEOMS; i++) {
		struct iommu_domain *g = __atomic_load_n(&n->geom[i].d, __ATOMIC_ACQUIRE);

		if (g && n->geom[i].key == key)
			return g;
	}
	pthread_mutex_lock(&n->geom_lock);
	for (i = 0; i < SMMU_GEOMS && n->geom[i].d; i++)
		if (n->geom[i].key == key) {
			d = n->geom[i].d;
			goto out;
		}
	if (i < SMMU_GEOMS) {
		struct pt_config cfg = {
			.format = PT_FMT_ARM_LPAE,
			.granule = 1u << granule_lg2,
			.input_bits = ia,
			.oa_bits = oa,
			.flags = hd ? 0 : PT_CFG_NO_DIRTY,
		};

		if (!pt_domain_alloc(&cfg, &d)) {
			n->geom[i].key = key;
			__atomic_store_n(&n->geom[i].d, d, __ATOMIC_RELEASE);
		}
	}
out:
	pthread_mutex_unlock(&n->geom_lock);
	return d;
}

int iommu_nested_smmu_walk(struct iommu_xlate *x, const uint64_t ste[2], uint32_t pasid,
			   uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			   struct iommu_fault *fault)
{
	struct nested *n = x->priv;
	struct nested_reader nr = { .rd.entry = nested_entry, .s2 = x->s2 };
	struct pt_walk_result r;
	struct iommu_domain *geom;
	struct smmu_cd cd;
	int rc;

	/* the CD of this SubstreamID, each structure read through stage 2 (model_smmu.c) */
	rc = smmu_cd_fetch(&nr.rd, ste, pasid, iova, &cd, fault);
	if (rc)
		return rc;
	if (cd.bypass)
		return nested_stage2(x, iova, access, NULL, out, fault);
	geom = smmu_geometry(n, cd.granule_lg2, cd.ia_bits, cd.oa_bits, cd.hd);
	if (!geom)
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if (pt_translate(geom, &nr.rd, cd.ttb0, iova, iommu_pt_access(access), cd.hd, &r)) {
		iommu_fault_from_pt(&r, 1, fault);
		return -EFAULT;
	}
	return nested_stage2(x, r.oa, access, &r, out, fault);
}

void iommu_nested_smmu_ste(const struct iommu_xlate *x, uint64_t out[2])
{
	const struct nested *n = x->priv;

	out[0] = n->ste[0];
	out[1] = n->ste[1];
}

/* The kernel's check of a guest STE (model_smmu.c), kept in CPU order. */
static int nested_smmu_ste(struct nested *n, const void *data, size_t len)
{
	uint64_t le[2];

	if (len < sizeof(le))
		return -EINVAL;
	memcpy(le, data, sizeof(le));
	n->ste[0] = le64toh(le[0]);
	n->ste[1] = le64toh(le[1]);
	return smmu_ste_check(n->ste);
}

/* ---- AMD: DTE -> GCR3 table -> x86-64 stage 1 ------------------------------------------ */

#define DTE0_V		   (UINT64_C(1) << 0)
#define DTE0_MODE_MASK	   (UINT64_C(7) << 9)
#define DTE0_HOST_TRP_MASK UINT64_C(0x000ffffffffff000) /* 51:12 */
#define DTE0_GIOV	   (UINT64_C(1) << 54)
#define DTE0_GV		   (UINT64_C(1) << 55)
#define DTE0_GLX_SHIFT	   56 /* 57:56 */
#define DTE0_GCR3_A_SHIFT  58 /* 60:58 = GCR3[14:12] */
#define DTE1_GCR3_B_SHIFT  16 /* 31:16 = GCR3[30:15] */
#define DTE1_GCR3_C_SHIFT  43 /* 63:43 = GCR3[51:31] */
#define DTE2_GPT_SHIFT	   54 /* 55:54: 0 = 4-level, 1 = 5-level guest tables */
#define GCR3_ENTRY_V	   (UINT64_C(1) << 0)
#define GCR3_ENTRY_ADDR	   UINT64_C(0x000ffffffffff000)

int iommu_nested_amd_walk(struct iommu_xlate *x, const struct amd_guest *g, uint32_t pasid,
			  uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			  struct iommu_fault *fault)
{
	struct nested_reader nr = { .rd.entry = nested_entry, .s2 = x->s2 };
	const struct nested *n = x->priv;
	unsigned int bits = 9 * (g->glx + 1);
	uint64_t table = g->gcr3;
	struct pt_walk_result r;

	if (!g->gv || (pasid == IOMMU_NO_PASID && !g->giov))
		return nested_stage2(x, iova, access, NULL, out, fault);
	if (pasid >> bits)
		return iommu_ctx_fault(fault, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	/* the GCR3 table, each level read through stage 2; the last gives the guest CR3 */
	for (int lvl = (int)g->glx; lvl >= 0; lvl--) {
		unsigned int which = lvl ? IOMMU_FAULT_CTX_PASID_DIR : IOMMU_FAULT_CTX_PASID;
		uint64_t e;

		if (iommu_ctx_read(&nr.rd, table + ((pasid >> (9 * lvl)) & 511) * 8, which, iova,
				   &e, fault))
			return -EFAULT;
		if (!(e & GCR3_ENTRY_V))
			return iommu_ctx_fault(fault, IOMMU_FAULT_NOT_PRESENT, which, iova);
		table = e & GCR3_ENTRY_ADDR;
	}
	if (pt_translate(n->amd_geom[g->levels == 5], &nr.rd, table, iova, iommu_pt_access(access),
			 true, &r)) {
		iommu_fault_from_pt(&r, 1, fault);
		return -EFAULT;
	}
	return nested_stage2(x, r.oa, access, &r, out, fault);
}

void iommu_nested_amd_guest(const struct iommu_xlate *x, struct amd_guest *out)
{
	const struct nested *n = x->priv;

	*out = n->amd;
}

/* The kernel's check of a guest DTE (EINVAL), then the stage-1 geometry. */
static int nested_amd_dte(struct nested *n, const void *data, size_t len)
{
	struct pt_config cfg = { .format = PT_FMT_X86_64, .flags = PT_CFG_NO_DIRTY };
	uint64_t le[3], d0, d1, gcr3;
	unsigned int gpt;

	if (len < 4 * sizeof(uint64_t))
		return -EINVAL;
	memcpy(le, data, sizeof(le));
	d0 = le64toh(le[0]);
	d1 = le64toh(le[1]);
	gpt = (unsigned int)(le64toh(le[2]) >> DTE2_GPT_SHIFT) & 3;
	gcr3 = ((d0 >> DTE0_GCR3_A_SHIFT) & 7) << 12 | ((d1 >> DTE1_GCR3_B_SHIFT) & 0xffff) << 15 |
	       ((d1 >> DTE1_GCR3_C_SHIFT) & 0x1fffff) << 31;
	if ((d0 & DTE0_MODE_MASK) || (d0 & DTE0_HOST_TRP_MASK))
		return -EINVAL; /* the host's stage 2 goes there */
	if ((d0 & DTE0_V) && (d0 & DTE0_GV) && !gcr3)
		return -EINVAL;
	if (gpt > 1 || ((d0 >> DTE0_GLX_SHIFT) & 3) == 3)
		return -EINVAL;
	n->amd.gv = d0 & DTE0_GV;
	n->amd.giov = d0 & DTE0_GIOV;
	n->amd.glx = (unsigned int)(d0 >> DTE0_GLX_SHIFT) & 3;
	n->amd.gcr3 = gcr3;
	n->amd.levels = gpt ? 5 : 4;
	/* both geometries: a host DTE that a test (or a hypervisor) edits may name either */
	for (unsigned int i = 0; i < 2; i++) {
		int rc;

		cfg.levels = 4 + i;
		if ((rc = pt_domain_alloc(&cfg, &n->amd_geom[i])))
			return rc;
	}
	return 0;
}

static int nested_walk(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		       struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct nested *n = x->priv;
	struct nested_reader nr = { .rd.entry = nested_entry, .s2 = x->s2 };
	struct pt_walk_result s1;

	if (n->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3)
		return iommu_nested_smmu_walk(x, n->ste, pasid, iova, access, out, fault);
	if (n->data_type == IOMMU_HWPT_DATA_AMD_GUEST)
		return iommu_nested_amd_walk(x, &n->amd, pasid, iova, access, out, fault);
	if (!n->s1_geom) /* identity stage 1 */
		return nested_stage2(x, iova, access, NULL, out, fault);
	if (pt_translate(n->s1_geom, &nr.rd, n->s1_root, iova, iommu_pt_access(access), true,
			 &s1)) {
		iommu_fault_from_pt(&s1, 1, fault);
		return -EFAULT;
	}
	return nested_stage2(x, s1.oa, access, &s1, out, fault);
}

static void nested_free(struct nested *n)
{
	if (n->s1_geom)
		n->s1_geom->ops->free(n->s1_geom);
	for (unsigned int i = 0; i < 2; i++)
		if (n->amd_geom[i])
			n->amd_geom[i]->ops->free(n->amd_geom[i]);
	for (unsigned int i = 0; i < SMMU_GEOMS; i++)
		if (n->geom[i].d)
			n->geom[i].d->ops->free(n->geom[i].d);
	pthread_mutex_destroy(&n->geom_lock);
	free(n);
}

static void nested_release(struct iommu_xlate *x)
{
	nested_free(x->priv);
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
	if (data_type != IOMMU_HWPT_DATA_SELFTEST && data_type != IOMMU_HWPT_DATA_VTD_S1 &&
	    data_type != IOMMU_HWPT_DATA_ARM_SMMUV3 && data_type != IOMMU_HWPT_DATA_AMD_GUEST)
		return -EOPNOTSUPP;
	if (len && !data)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->data_type = data_type;
	pthread_mutex_init(&n->geom_lock, NULL);
	switch (data_type) {
	case IOMMU_HWPT_DATA_SELFTEST:
		rc = len >= sizeof(struct iommu_hwpt_selftest) ? 0 : -EINVAL;
		break;
	case IOMMU_HWPT_DATA_ARM_SMMUV3:
		rc = nested_smmu_ste(n, data, len);
		break;
	case IOMMU_HWPT_DATA_AMD_GUEST:
		rc = nested_amd_dte(n, data, len);
		break;
	default:
		rc = nested_vtd_s1(n, data, len);
		break;
	}
	if (rc)
		goto err_free;
	rc = iommu_xlate_init(&x, &nested_ops, parent, iommu_new_tag());
	if (!rc) /* AMD: no user invalidation reaches us, so nothing is cached (see the top) */
		x->uncached = data_type == IOMMU_HWPT_DATA_AMD_GUEST;
	if (!rc) /* the guest's CD table or GCR3 table selects by PASID (SubstreamID) */
		x->owns_pasids = data_type == IOMMU_HWPT_DATA_ARM_SMMUV3 ?
					 (n->ste[0] >> 59) != 0 :
					 data_type == IOMMU_HWPT_DATA_AMD_GUEST && n->amd.gv;
	if (rc)
		goto err_free;
	x->priv = n;
	x->s1_type = data_type;
	if (data_type == IOMMU_HWPT_DATA_VTD_S1) {
		x->s1_root = n->s1_root;
		x->s1_levels = pt_domain_levels(n->s1_geom);
	}
	*out = x;
	return 0;

err_free:
	nested_free(n);
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
