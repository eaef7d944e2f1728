/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_pt.c - the page-table IOMMU models: a device whose IOMMU walks one of the hardware
 * page-table formats of src/pt (VT-d, x86-64 first stage, ARM LPAE, RISC-V, AMD v1, POWER
 * TCE), named by a format variant ("x86_64-4", "arm-s2-4k-48" ...; pt_variants()).
 *
 * What it owns: making paging domains of the variant's configuration in the context's table
 * arena, and the attach rule: a device joins only a domain whose configuration describes the
 * same translation hardware (pt_config_equivalent), and a domain made with dirty tracking
 * only if the device's IOMMU can track dirty pages. The translation itself is the paging
 * kind of src/iommu/xlate.c, common to every model.
 *
 * Device flags: IOASID_DEVICE_NO_DIRTY (no dirty tracking), IOASID_DEVICE_PASID (a 20-bit
 * PASID table); IOASID_DEVICE_HUGE_IOVA is the mock's: EOPNOTSUPP here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/private.h"
#include "iommu/iommu_int.h"
#include "pt/pt.h"

struct pt_model {
	struct pt_config cfg;
};

static int ptm_domain_alloc(struct device *dev, uint32_t flags, struct iommu_domain **out)
{
	struct pt_model *m = dev->model_priv;
	struct pt_config cfg = m->cfg;

	cfg.arena = ctx_pt_arena(dev->obj.ctx);
	if (!cfg.arena)
		return -ENOMEM;
	if (!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		cfg.flags |= PT_CFG_NO_DIRTY;
	return pt_domain_alloc(&cfg, out);
}

static int ptm_attach_check(struct device *dev, const struct hwpt_paging *hwpt)
{
	struct pt_model *m = dev->model_priv;
	const struct pt_config *c;

	if (!pt_is_domain(hwpt->domain))
		return -EINVAL;
	c = pt_domain_config(hwpt->domain);
	if (!pt_config_equivalent(c, &m->cfg))
		return -EINVAL;
	if ((hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !(dev->caps & DEV_CAP_DIRTY))
		return -EINVAL;
	return 0;
}

/* IOMMU_GET_HW_INFO: the registers of the IOMMU whose format this is (core/hw_info.c) */
static int ptm_hw_info(struct device *dev, void *buf, uint32_t buf_len, uint32_t *out_len,
		       uint32_t *out_type)
{
	struct pt_model *m = dev->model_priv;

	return hw_info_of_config(&m->cfg, dev->caps & DEV_CAP_DIRTY, buf, buf_len, out_len,
				 out_type);
}

static void ptm_release(struct device *dev)
{
	free(dev->model_priv);
}

static const struct dev_model_ops pt_model_ops = {
	.name = "pt",
	.domain_alloc_paging = ptm_domain_alloc,
	.attach_check = ptm_attach_check,
	.hw_info = ptm_hw_info,
	.mark_dirty = pt_mark_dirty,
	.release = ptm_release,
};

static bool ptm_serves(const char *format)
{
	return pt_variant_find(format) != NULL;
}

/* Does the format have dirty bits (a POWER TCE has none)? Asked of a domain it makes. */
static bool ptm_format_dirty(const struct pt_config *cfg)
{
	struct iommu_domain *d;
	bool dirty;

	if (cfg->flags & PT_CFG_NO_DIRTY)
		return false;
	if (pt_domain_alloc(cfg, &d))
		return false;
	dirty = !(pt_domain_config(d)->flags & PT_CFG_NO_DIRTY);
	d->ops->free(d);
	return dirty;
}

/*
 * The model's own structures, where it has them: VT-d second and first stage (context entry,
 * PASID directory and tables), RISC-V first stage (device context, process directory), POWER
 * TCE (the PE's two TVEs), SMMUv3 stage 1 (STE, two-level CD table), SMMUv3 stage 2 (the
 * STE: stage 2, or a guest's stage 1 over it), AMD v1 (the DTE). NULL: none (RISC-V second
 * stage: the paging kind's walk).
 */
static iommu_hwctx_new_fn *ptm_hwctx_new_of(const struct pt_config *c)
{
	switch (c->format) {
	case PT_FMT_VTD_SS:
	case PT_FMT_X86_64:
		return iommu_vtd_hwctx_new;
	case PT_FMT_TCE:
		return iommu_power_hwctx_new;
	case PT_FMT_AMD_V1:
		return iommu_amd_hwctx_new;
	case PT_FMT_RISCV:
		return c->flags & PT_CFG_RISCV_X4 ? NULL : iommu_riscv_hwctx_new;
	case PT_FMT_ARM_LPAE:
		return c->flags & PT_CFG_ARM_S2 ? iommu_smmu_s2_hwctx_new : iommu_smmu_hwctx_new;
	default:
		return NULL;
	}
}

static int ptm_device_new(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
			  struct device **out)
{
	const struct pt_variant *v = pt_variant_find(desc->format);
	iommu_hwctx_new_fn *hw_new;
	struct device *dev;
	struct pt_model *m;
	int rc;

	if (!v)
		return -EOPNOTSUPP;
	if (desc->flags & IOASID_DEVICE_HUGE_IOVA)
		return -EOPNOTSUPP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = v->cfg;
	rc = dev_bind(ctx, &pt_model_ops, m, &dev);
	if (rc) {
		free(m);
		return rc;
	}
	if (!(desc->flags & IOASID_DEVICE_NO_DIRTY) && ptm_format_dirty(&m->cfg))
		dev->caps |= DEV_CAP_DIRTY;
	if (desc->flags & IOASID_DEVICE_PASID) {
		dev->caps |= DEV_CAP_PASID;
		dev->max_pasid_log2 = DEV_PASID_BITS;
	}
	if ((hw_new = ptm_hwctx_new_of(&m->cfg))) {
		struct iommu_hwctx *hw;

		rc = hw_new(iommu_dev_pasid_bits(dev->iommu), &hw);
		if (rc) {
			dev_unbind(dev);
			return rc;
		}
		hw->uid = ctx->params.uid; /* the tables its PASIDs need: this user's share */
		iommu_dev_set_hw(dev->iommu, hw);
	}
	*out = dev;
	return 0;
}

const struct iommu_model iommu_model_pt = {
	.name = "pt",
	.desc = "a hardware page-table format, by variant name (pt_variants())",
	.serves = ptm_serves,
	.device_new = ptm_device_new,
};
