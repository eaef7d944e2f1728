/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hw_info.c - what IOMMU_GET_HW_INFO says about an IOMMU that walks one of our page-table
 * formats: the registers a VMM reads to build its vIOMMU, for VT-d, SMMUv3 and AMD.
 *
 * A VMM sizes its guest's vIOMMU from these: address widths, page sizes, PASID width,
 * whether nesting, page requests and dirty tracking exist. We report what our emulation
 * offers, derived from the device's page-table configuration (its stage 2), with every
 * other bit 0:
 *
 *   VT-d (IOMMU_HW_INFO_TYPE_INTEL_VTD), a second-stage format:
 *     CAP   ND (2:0) = 2 (256 domains); SAGAW (12:8) the level count's bit (3, 4, 5 levels
 *           = bits 1, 2, 3); MGAW (21:16) = input bits - 1; SLLPS (37:34) the 2M and 1G
 *           leaves; PSI (39); MAMV (53:48) = 18; FL1GP (56).
 *     ECAP  C (0), QI (1), PT (6), NEST (26), PRS (29), PSS (39:35) = 19, PASID (40),
 *           SMTS (43), SLADS (45) with dirty tracking, SLTS (46), FLTS (47).
 *   SMMUv3 (IOMMU_HW_INFO_TYPE_ARM_SMMUV3), an ARM LPAE stage 2:
 *     IDR0  S2P (0), S1P (1), TTF (3:2) = AArch64, COHACC (4), HTTU (7:6) = access and
 *           dirty with dirty tracking, ASID16 (12), PRI (16), VMID16 (18), CD2L (19),
 *           ST_LEVEL (28:27) = 2-level.
 *     IDR1  SIDSIZE (5:0) = 16, SSIDSIZE (10:6) = 20.  IDR3 RIL (10).
 *     IDR5  OAS (2:0) from the output bits, GRAN4K/16K/64K (4, 5, 6) = the granule.
 *     AIDR  SMMUv3.2.
 *   AMD (IOMMU_HW_INFO_TYPE_AMD), an AMD v1 host table:
 *     EFR   PPRSup (1), NXSup (3), GTSup (4), IASup (6), PCSup (9), HATS (11:10) from the
 *           levels (4, 5, 6 = 0, 1, 2), GATS (13:12) = 4-level guest tables, PASmax
 *           (36:32) = 19, GIoSup (48), HASup/HDSup (49, 52) with dirty tracking.
 *     EFR2  0.
 * Any other format reports no data (IOMMU_HW_INFO_TYPE_NONE).
 *
 * No device here has an address translation cache, so none may use PCI ATS: every emulated
 * PCI device reports IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (device.c, get_hw_info_ioctl); the
 * selftest's mock device is not PCI and reports nothing, as in the kernel.
 */
#include <string.h>

#include "core/private.h"
#include "pt/pt.h"

#define BIT64(n) (1ULL << (n))

static unsigned int cfg_levels(const struct pt_config *cfg, unsigned int dflt)
{
	return cfg->levels ? cfg->levels : dflt;
}

static void vtd_info(const struct pt_config *cfg, bool dirty, struct iommu_hw_info_vtd *out)
{
	unsigned int levels = cfg_levels(cfg, 4);
	unsigned int bits = cfg->input_bits ? cfg->input_bits : 12 + 9 * levels;

	out->cap_reg = 2 | ((uint64_t)(1u << (levels - 2)) << 8) | ((uint64_t)(bits - 1) << 16) |
		       (3ULL << 34) | BIT64(39) | (18ULL << 48) | BIT64(56);
	out->ecap_reg = BIT64(0) | BIT64(1) | BIT64(6) | BIT64(26) | BIT64(29) | (19ULL << 35) |
			BIT64(40) | BIT64(43) | BIT64(46) | BIT64(47);
	if (dirty)
		out->ecap_reg |= BIT64(45);
}

static unsigned int smmu_oas(unsigned int bits)
{
	static const unsigned int widths[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned int oas = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(widths); i++)
		if (bits >= widths[i])
			oas = i;
	return oas;
}

static void smmuv3_info(const struct pt_config *cfg, bool dirty,
			struct iommu_hw_info_arm_smmuv3 *out)
{
	unsigned int granule = cfg->granule ? cfg->granule : 4096;

	out->idr[0] = 1u << 0 | 1u << 1 | 2u << 2 | 1u << 4 | 1u << 12 | 1u << 16 | 1u << 18 |
		      1u << 19 | 1u << 27;
	if (dirty)
		out->idr[0] |= 2u << 6;
	out->idr[1] = 16 | 20u << 6;
	out->idr[3] = 1u << 10;
	out->idr[5] = smmu_oas(cfg->oa_bits ? cfg->oa_bits : 48);
	out->idr[5] |= granule == 65536 ? 1u << 6 : granule == 16384 ? 1u << 5 : 1u << 4;
	out->aidr = 2;
}

static void amd_info(const struct pt_config *cfg, bool dirty, struct iommu_hw_info_amd *out)
{
	unsigned int levels = cfg_levels(cfg, 4);
	uint64_t hats = levels <= 4 ? 0 : levels - 4;

	out->efr = BIT64(1) | BIT64(3) | BIT64(4) | BIT64(6) | BIT64(9) | hats << 10 |
		   (19ULL << 32) | BIT64(48);
	if (dirty)
		out->efr |= BIT64(49) | BIT64(52);
	out->efr2 = 0;
}

int hw_info_of_config(const struct pt_config *cfg, bool dirty, void *buf, uint32_t buf_len,
		      uint32_t *out_len, uint32_t *out_type)
{
	union {
		struct iommu_hw_info_vtd vtd;
		struct iommu_hw_info_arm_smmuv3 smmu;
		struct iommu_hw_info_amd amd;
	} info;
	uint32_t len;

	memset(&info, 0, sizeof(info));
	switch (cfg->format) {
	case PT_FMT_VTD_SS:
		vtd_info(cfg, dirty, &info.vtd);
		len = sizeof(info.vtd);
		*out_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
		break;
	case PT_FMT_ARM_LPAE:
		smmuv3_info(cfg, dirty, &info.smmu);
		len = sizeof(info.smmu);
		*out_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
		break;
	case PT_FMT_AMD_V1:
		amd_info(cfg, dirty, &info.amd);
		len = sizeof(info.amd);
		*out_type = IOMMU_HW_INFO_TYPE_AMD;
		break;
	default:
		*out_len = 0;
		*out_type = IOMMU_HW_INFO_TYPE_NONE;
		return 0;
	}
	memcpy(buf, &info, buf_len < len ? buf_len : len);
	*out_len = len;
	return 0;
}
