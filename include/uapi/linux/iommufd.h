/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd user API (/dev/iommu), as ioasid speaks it.
 *
 * This header is our own rendering of the ABI that Linux publishes in
 * include/uapi/linux/iommufd.h: every command number, struct, flag and enum
 * has the kernel's name, type and value, so a program written for the kernel
 * builds against this file and sends the very same bytes. Nothing here is
 * ioasid-specific. tests/abi/test_abi_layout.c pins every size, offset and
 * number; docs/abi.md says where each came from.
 *
 * The rules every command shares:
 *  - The argument is a pointer to a struct whose first __u32 is its size.
 *    A caller may pass a longer struct if the extra bytes are zero (else
 *    E2BIG), or a shorter one that still holds the fields the command first
 *    shipped with (else EINVAL); missing tail fields read as zero.
 *  - Errors: ENOTTY for an unknown command, EOPNOTSUPP for an unknown flag,
 *    type or non-zero reserved field, EOVERFLOW when arithmetic overflows,
 *    EINVAL for a bad value, ENOENT for a missing ID or IOVA, ENOMEM.
 *  - IOVA ranges are [start, last] with last inclusive, so a range may end
 *    at U64_MAX.
 *  - Every 64-bit field is __aligned_u64 so 32-bit and 64-bit callers agree.
 *
 * The guard is the kernel's own, so including both copies is harmless.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/*
 * Command numbers. The ioctl number is _IO(IOMMUFD_TYPE, nr): no direction or
 * size bits, because the size travels in the struct. Numbers are never reused.
 */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
	IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA = 0x95,
};

/* ------------------------------------------------------------------------ */
/* Objects and I/O address spaces                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct iommu_destroy - IOMMU_DESTROY: drop the object named by @id.
 * @size: sizeof(struct iommu_destroy)
 * @id: any destroyable object (IOAS, HWPT, fault queue, vIOMMU, ...)
 *
 * Fails with EBUSY while other objects still depend on it.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - IOMMU_IOAS_ALLOC: make an empty I/O address space.
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: must be 0
 * @out_ioas_id: the new IOAS
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - one IOVA interval.
 * @start: first IOVA
 * @last: last IOVA, inclusive
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - IOMMU_IOAS_IOVA_RANGES: where may I map?
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: IOAS to ask
 * @num_iovas: in: room in @allowed_iovas; out: how many ranges exist
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 * @out_iova_alignment: IOVA and length granule for MAP and COPY (1 = any)
 *
 * The usable ranges shrink as devices with narrower apertures or reserved
 * regions attach, and grow back when they detach. If the array is too small
 * the call fills what fits, sets @num_iovas and fails with EMSGSIZE.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - IOMMU_IOAS_ALLOW_IOVAS: promise IOVA ranges.
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: IOAS to change
 * @num_iovas: number of entries in @allowed_iovas
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Replaces the IOAS's allowed list. From then on an attach that would make
 * any allowed IOVA unusable is refused, and automatic IOVA allocation picks
 * only from the allowed list. Fails if a range is already unusable.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of MAP, MAP_FILE and COPY.
 * @IOMMU_IOAS_MAP_FIXED_IOVA: place the mapping at the caller's IOVA, which
 *                             must be free; without it the IOAS picks one
 * @IOMMU_IOAS_MAP_WRITEABLE: devices may write
 * @IOMMU_IOAS_MAP_READABLE: devices may read
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - IOMMU_IOAS_MAP: map process memory at an IOVA.
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: enum iommufd_ioas_map_flags
 * @ioas_id: IOAS to map into
 * @__reserved: must be 0
 * @user_va: start of the memory in the caller's address space
 * @length: bytes to map
 * @iova: in with FIXED_IOVA, else out: where the mapping went
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_map_file - IOMMU_IOAS_MAP_FILE: map part of a file.
 * @size: sizeof(struct iommu_ioas_map_file)
 * @flags: enum iommufd_ioas_map_flags
 * @ioas_id: IOAS to map into
 * @fd: the file (a memfd) holding the memory
 * @start: byte offset into the file
 * @length: bytes to map
 * @iova: in with FIXED_IOVA, else out
 *
 * Same as IOMMU_IOAS_MAP with the memory named by file and offset.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/**
 * struct iommu_ioas_copy - IOMMU_IOAS_COPY: map memory another IOAS maps.
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: enum iommufd_ioas_map_flags
 * @dst_ioas_id: IOAS to map into
 * @src_ioas_id: IOAS that already maps the memory
 * @length: bytes to copy
 * @dst_iova: in with FIXED_IOVA, else out
 * @src_iova: start of the source range
 *
 * The source range must be exactly one earlier map. The pinned pages are
 * shared, not pinned again.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - IOMMU_IOAS_UNMAP: remove mappings.
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: IOAS to change
 * @iova: first IOVA
 * @length: in: bytes to cover; out: bytes actually unmapped
 *
 * The range must cover whole earlier maps; none is split. iova 0 with
 * length U64_MAX empties the IOAS.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - option_id of IOMMU_OPTION.
 * @IOMMU_OPTION_RLIMIT_MODE: object_id 0; 0 charges pins to the user, 1 to
 *                            the process. Setting it needs privilege.
 * @IOMMU_OPTION_HUGE_PAGES: object_id is an IOAS; 1 (default) lets contiguous
 *                           pages map as large pages, 0 maps page by page
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - op of IOMMU_OPTION.
 * @IOMMU_OPTION_OP_SET: store val64
 * @IOMMU_OPTION_OP_GET: return the value in val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - IOMMU_OPTION: read or write one option.
 * @size: sizeof(struct iommu_option)
 * @option_id: enum iommufd_option
 * @op: enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: the object the option belongs to, or 0 for global ones
 * @val64: value to set, or the value read
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_vfio_ioas_op - op of IOMMU_VFIO_IOAS.
 * @IOMMU_VFIO_IOAS_GET: report the compatibility IOAS
 * @IOMMU_VFIO_IOAS_SET: choose the compatibility IOAS
 * @IOMMU_VFIO_IOAS_CLEAR: turn VFIO compatibility off
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - IOMMU_VFIO_IOAS: the IOAS behind the VFIO type1 API.
 * @size: sizeof(struct iommu_vfio_ioas)
 * @ioas_id: in for SET, out for GET
 * @op: enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * The legacy VFIO container calls carry no IOAS ID, so one IOAS per context
 * serves them; it is created on first use if none was set.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* ------------------------------------------------------------------------ */
/* Hardware page tables (HWPT)                                               */
/* ------------------------------------------------------------------------ */

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC.
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the HWPT may be the stage-2 parent of nested
 *                                HWPTs
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the HWPT tracks dirty pages; attaching a
 *                                   device that cannot is refused
 * @IOMMU_HWPT_FAULT_ID_VALID: fault_id names a fault queue for I/O page faults
 * @IOMMU_HWPT_ALLOC_PASID: the HWPT may be attached to PASIDs; EOPNOTSUPP if
 *                          the IOMMU has no PASID support. Once a PASID is
 *                          attached, whatever sits on the device's RID must
 *                          carry this flag too.
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * enum iommu_hwpt_vtd_s1_flags - attributes of a VT-d stage-1 table.
 * @IOMMU_VTD_S1_SRE: supervisor requests allowed
 * @IOMMU_VTD_S1_EAFE: extended accessed flag enabled
 * @IOMMU_VTD_S1_WPE: write protect enabled
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - IOMMU_HWPT_DATA_VTD_S1: a VT-d stage-1 table.
 * @flags: enum iommu_hwpt_vtd_s1_flags
 * @pgtbl_addr: table root, a stage-2 (guest physical) address
 * @addr_width: input address width of the table, in bits
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct iommu_hwpt_arm_smmuv3 - IOMMU_HWPT_DATA_ARM_SMMUV3: a nested STE.
 * @ste: the first two 64-bit words of the guest's Stream Table Entry,
 *       little-endian. Only the fields that select translate, bypass or
 *       abort and describe the guest's context descriptor table are accepted
 *       (word 0: V, Cfg, S1Fmt, S1ContextPtr, S1CDMax; word 1: EATS, S1DSS,
 *       S1CIR, S1COR, S1CSH, S1STALLD); anything else fails with EIO.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * struct iommu_hwpt_amd_guest - IOMMU_HWPT_DATA_AMD_GUEST: a guest's AMD DTE.
 * @dte: the guest's 256-bit Device Table Entry; its GCR3 table root is a
 *       stage-2 (guest physical) address
 */
struct iommu_hwpt_amd_guest {
	__aligned_u64 dte[4];
};

/**
 * enum iommu_hwpt_data_type - what data_uptr of IOMMU_HWPT_ALLOC points at.
 * @IOMMU_HWPT_DATA_NONE: nothing; a paging HWPT filled from an IOAS
 * @IOMMU_HWPT_DATA_VTD_S1: struct iommu_hwpt_vtd_s1
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: struct iommu_hwpt_arm_smmuv3
 * @IOMMU_HWPT_DATA_AMD_GUEST: struct iommu_hwpt_amd_guest
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
	IOMMU_HWPT_DATA_AMD_GUEST = 3,
};

/**
 * struct iommu_hwpt_alloc - IOMMU_HWPT_ALLOC: make a hardware page table.
 * @size: sizeof(struct iommu_hwpt_alloc)
 * @flags: enum iommufd_hwpt_alloc_flags
 * @dev_id: device whose IOMMU the HWPT is for
 * @pt_id: an IOAS (paging HWPT), or a nest-parent HWPT or vIOMMU (nested HWPT)
 * @out_hwpt_id: the new HWPT
 * @__reserved: must be 0
 * @data_type: enum iommu_hwpt_data_type
 * @data_len: bytes at @data_uptr
 * @data_uptr: user pointer to the driver-specific data
 * @fault_id: fault queue, if IOMMU_HWPT_FAULT_ID_VALID is set
 * @__reserved2: must be 0
 *
 * A paging HWPT (data type NONE, data_len and data_uptr 0) mirrors the
 * IOAS's mappings in a table the IOMMU walks. A nested HWPT holds a
 * user-owned stage-1 table translated through its parent.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ------------------------------------------------------------------------ */
/* Hardware information                                                      */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_hw_info_vtd_flags - flags of struct iommu_hw_info_vtd.
 * @IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: a nest-parent HWPT must not hold
 *                                         read-only mappings (Intel erratum
 *                                         772415)
 */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/**
 * struct iommu_hw_info_vtd - IOMMU_HW_INFO_TYPE_INTEL_VTD data.
 * @flags: enum iommu_hw_info_vtd_flags
 * @__reserved: must be 0
 * @cap_reg: the VT-d Capability Register
 * @ecap_reg: the VT-d Extended Capability Register
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * enum iommu_hw_info_arm_smmuv3_flags - iommu_hw_info_arm_smmuv3.flags (Linux 7.x)
 * @IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI: the SMMU has an erratum that makes
 *     userspace issue each TLBI/CFGI and its SYNC twice
 */
enum iommu_hw_info_arm_smmuv3_flags {
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI = 1 << 0,
};

/**
 * struct iommu_hw_info_arm_smmuv3 - IOMMU_HW_INFO_TYPE_ARM_SMMUV3 data.
 * @flags: enum iommu_hw_info_arm_smmuv3_flags (Linux 7.x), 0 from our model
 * @__reserved: must be 0
 * @idr: SMMU_IDR0..5 as the hardware reports them
 * @iidr: SMMU_IIDR (implementer and revision)
 * @aidr: SMMU_AIDR (architecture version)
 *
 * Raw registers; a VMM should read only the fields it needs for nesting
 * (stream table and CD formats, ASID and SID sizes, granules, range
 * invalidation) and assume the rest may change meaning.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * struct iommu_hw_info_amd - IOMMU_HW_INFO_TYPE_AMD data.
 * @efr: the IOMMU's Extended Feature Register (MMIO offset 0x30)
 * @efr2: the Extended Feature 2 Register (MMIO offset 0x1a0)
 */
struct iommu_hw_info_amd {
	__aligned_u64 efr;
	__aligned_u64 efr2;
};

/**
 * struct iommu_hw_info_tegra241_cmdqv - IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV data.
 * @flags: 0
 * @version: CMDQV version (PARAM bits 3:0)
 * @log2vcmdqs: log2 of the number of virtual command queues (PARAM 7:4)
 * @log2vsids: log2 of the number of SID replacements (PARAM 15:12)
 * @__reserved: must be 0
 */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/**
 * enum iommu_hw_info_type - format of the data IOMMU_GET_HW_INFO returns.
 * @IOMMU_HW_INFO_TYPE_NONE: the driver reports no data
 * @IOMMU_HW_INFO_TYPE_DEFAULT: as input: whatever the driver's native type is
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: struct iommu_hw_info_arm_smmuv3
 * @IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: struct iommu_hw_info_tegra241_cmdqv
 * @IOMMU_HW_INFO_TYPE_AMD: struct iommu_hw_info_amd
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
};

/**
 * enum iommufd_hw_capabilities - bits of out_capabilities.
 * @IOMMU_HW_CAP_DIRTY_TRACKING: the IOMMU can track dirty pages, so
 *                               IOMMU_HWPT_SET_DIRTY_TRACKING and
 *                               IOMMU_HWPT_GET_DIRTY_BITMAP work
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: PASID requests may ask for execute permission
 *                               (meaningful only if out_max_pasid_log2 != 0)
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: PASID requests may ask for privileged mode
 *                               (meaningful only if out_max_pasid_log2 != 0)
 * @IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED: the device may not use PCI ATS behind
 *                                      this IOMMU (a negative bit, so that an
 *                                      older kernel's 0 reads as "may")
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

/**
 * enum iommufd_hw_info_flags - flags of IOMMU_GET_HW_INFO.
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: in_data_type asks for a particular type;
 *                                 without it the input value is ignored
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - IOMMU_GET_HW_INFO: describe a device's IOMMU.
 * @size: sizeof(struct iommu_hw_info)
 * @flags: enum iommufd_hw_info_flags
 * @dev_id: a device bound to this context
 * @data_len: in: buffer length (0 is fine); out: length of the driver's data
 * @data_uptr: user pointer to the buffer for the type-specific data
 * @in_data_type: with IOMMU_HW_INFO_FLAG_INPUT_TYPE, the type wanted
 * @out_data_type: enum iommu_hw_info_type of what was written
 * @out_max_pasid_log2: PASID width in bits; 0 means no PASID support
 * @__reserved: must be 0
 * @out_capabilities: enum iommufd_hw_capabilities
 *
 * The data is truncated to the buffer; a larger buffer's tail is zeroed.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* ------------------------------------------------------------------------ */
/* Dirty tracking                                                            */
/* ------------------------------------------------------------------------ */

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of SET_DIRTY_TRACKING.
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: on if set, off if clear
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - IOMMU_HWPT_SET_DIRTY_TRACKING.
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: the HWPT, allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @__reserved: must be 0
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of GET_DIRTY_BITMAP.
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: report without clearing the dirty
 *                                        bits, e.g. just before an unmap
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - IOMMU_HWPT_GET_DIRTY_BITMAP.
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: the HWPT to read
 * @flags: enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: IOVA that bit 0 stands for
 * @length: bytes of IOVA to report
 * @page_size: bytes each bit stands for (a power of two)
 * @data: user pointer to the bitmap, in 64-bit words
 *
 * Bit n of the bitmap (word n / 64, bit n % 64) is set if any byte in
 * [iova + n * page_size, iova + (n + 1) * page_size) was written. Reading
 * clears the dirty state unless NO_CLEAR is given.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* ------------------------------------------------------------------------ */
/* Cache invalidation                                                        */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_hwpt_invalidate_data_type - entry format of IOMMU_HWPT_INVALIDATE.
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: struct iommu_hwpt_vtd_s1_invalidate,
 *                                     for a nested VT-d HWPT
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: struct
 *                                     iommu_viommu_arm_smmuv3_invalidate, for
 *                                     an SMMUv3 vIOMMU
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - flags of a VT-d invalidation.
 * @IOMMU_VTD_INV_FLAGS_LEAF: only leaf entries changed; paging-structure
 *                            caches may be kept
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - one VT-d stage-1 invalidation.
 * @addr: first address, 4 KiB aligned
 * @npages: number of 4 KiB pages; addr 0 with U64_MAX pages means everything
 * @flags: enum iommu_hwpt_vtd_s1_invalidate_flags
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - one SMMUv3 command.
 * @cmd: a 128-bit command-queue entry, little-endian. Accepted opcodes:
 *       TLBI_NSNH_ALL, TLBI_NH_VA, TLBI_NH_VAA, TLBI_NH_ALL, TLBI_NH_ASID,
 *       ATC_INV, CFGI_CD, CFGI_CD_ALL; others fail with EIO.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_hwpt_invalidate - IOMMU_HWPT_INVALIDATE: flush caches.
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: a nested HWPT, or a vIOMMU
 * @data_uptr: user pointer to an array of entries
 * @data_type: enum iommu_hwpt_invalidate_data_type, the format of every entry
 * @entry_len: bytes per entry
 * @entry_num: in: entries in the array; out: entries handled
 * @__reserved: must be 0
 *
 * Entries are handled in order and the call stops at the first failure.
 * @entry_num 0 only checks that @data_type is supported.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* ------------------------------------------------------------------------ */
/* I/O page faults                                                           */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_hwpt_pgfault_flags - flags of struct iommu_hwpt_pgfault.
 * @IOMMU_PGFAULT_FLAGS_PASID_VALID: the pasid field means something
 * @IOMMU_PGFAULT_FLAGS_LAST_PAGE: last fault of its group; answer this one
 */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/**
 * enum iommu_hwpt_pgfault_perm - access the faulting request wanted.
 * @IOMMU_PGFAULT_PERM_READ: read
 * @IOMMU_PGFAULT_PERM_WRITE: write
 * @IOMMU_PGFAULT_PERM_EXEC: execute (PCIe PASID prefix, Execute Requested)
 * @IOMMU_PGFAULT_PERM_PRIV: privileged (PCIe PASID prefix, Privileged Mode)
 */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/**
 * struct iommu_hwpt_pgfault - one fault, as read() from a fault queue fd.
 * @flags: enum iommu_hwpt_pgfault_flags
 * @dev_id: device that faulted
 * @pasid: its PASID, if PASID_VALID
 * @grpid: page request group index
 * @perm: enum iommu_hwpt_pgfault_perm
 * @__reserved: 0
 * @addr: faulting address
 * @length: hint of how many bytes the device will touch, or 0
 * @cookie: identifies the group; echo it in the response
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

/**
 * enum iommufd_page_response_code - answer to a fault group.
 * @IOMMUFD_PAGE_RESP_SUCCESS: handled; the device retries (PCIe "Success")
 * @IOMMUFD_PAGE_RESP_INVALID: not handled; no retry (PCIe "Invalid Request")
 */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/**
 * struct iommu_hwpt_page_response - a response, as write() to a fault queue fd.
 * @cookie: cookie of the group's last fault
 * @code: enum iommufd_page_response_code
 */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/**
 * struct iommu_fault_alloc - IOMMU_FAULT_QUEUE_ALLOC: make a fault queue.
 * @size: sizeof(struct iommu_fault_alloc)
 * @flags: must be 0
 * @out_fault_id: the queue's object ID, for fault_id of IOMMU_HWPT_ALLOC
 * @out_fault_fd: fd to read faults from and write responses to
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ------------------------------------------------------------------------ */
/* Virtual IOMMUs and virtual devices                                        */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_viommu_type - type of a vIOMMU.
 * @IOMMU_VIOMMU_TYPE_DEFAULT: reserved
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: ARM SMMUv3
 * @IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: ARM SMMUv3 with NVIDIA Tegra241 CMDQV
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_viommu_tegra241_cmdqv - IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV data.
 * @out_vintf_mmap_offset: mmap() offset of the virtual interface's page 0
 * @out_vintf_mmap_length: mmap() length of that page
 */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/**
 * struct iommu_viommu_alloc - IOMMU_VIOMMU_ALLOC: make a virtual IOMMU.
 * @size: sizeof(struct iommu_viommu_alloc)
 * @flags: must be 0
 * @type: enum iommu_viommu_type
 * @dev_id: a device behind the physical IOMMU to slice
 * @hwpt_id: the nest-parent HWPT (the VM's stage 2)
 * @out_viommu_id: the new vIOMMU
 * @data_len: bytes at @data_uptr
 * @__reserved: must be 0
 * @data_uptr: user pointer to type-specific data
 *
 * A vIOMMU is one VM's share of a physical IOMMU: the home of its guest IDs,
 * virtual devices, event queues, hardware queues and invalidations that are
 * not tied to one page table.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/**
 * struct iommu_vdevice_alloc - IOMMU_VDEVICE_ALLOC: name a device in a vIOMMU.
 * @size: sizeof(struct iommu_vdevice_alloc)
 * @viommu_id: the vIOMMU
 * @dev_id: the physical device
 * @out_vdevice_id: the new vDEVICE; destroy it before unbinding the device
 * @virt_id: the ID the guest uses (SMMUv3 vSID, AMD vDeviceID, VT-d vRID)
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/**
 * struct iommu_ioas_change_process - IOMMU_IOAS_CHANGE_PROCESS.
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: must be 0
 *
 * Move the pinned-page accounting of every map in the context to the calling
 * process, e.g. for a live update hand-over. Only IOMMU_IOAS_MAP_FILE maps can
 * move; any other map makes the call fail with EINVAL and change nothing.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/* ------------------------------------------------------------------------ */
/* Virtual event queues                                                      */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_veventq_flag - flags of struct iommufd_vevent_header.
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: events were dropped after the previous
 *                                  one; no data follows this header
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/**
 * struct iommufd_vevent_header - header before each event read from a vEVENTQ.
 * @flags: enum iommu_veventq_flag
 * @sequence: event number, counting 0..INT_MAX and wrapping to 0
 *
 * A gap in @sequence between two events means events in between were lost.
 * Losses at the tail of the queue are reported by a LOST_EVENTS header.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_type - type of a vEVENTQ (at most one per type per vIOMMU).
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: reserved
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: struct iommu_vevent_arm_smmuv3 events
 * @IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: struct iommu_vevent_tegra241_cmdqv events
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_vevent_arm_smmuv3 - an SMMUv3 event record for the guest.
 * @evt: the 256-bit event record, little-endian, with the StreamID replaced
 *       by the vDEVICE's virt_id. Reported records: C_BAD_STE,
 *       F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION,
 *       F_ADDR_SIZE, F_ACCESS, F_PERMISSION.
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_vevent_tegra241_cmdqv - a Tegra241 CMDQV error interrupt.
 * @lvcmdq_err_map: the 128-bit LVCMDQ_ERR_MAP of the vIOMMU's interface,
 *                  little-endian
 */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/**
 * struct iommu_veventq_alloc - IOMMU_VEVENTQ_ALLOC: make a virtual event queue.
 * @size: sizeof(struct iommu_veventq_alloc)
 * @flags: must be 0
 * @viommu_id: the vIOMMU whose events to deliver
 * @type: enum iommu_veventq_type
 * @veventq_depth: events held before new ones are dropped
 * @out_veventq_id: the new vEVENTQ
 * @out_veventq_fd: fd to read events from; the caller closes it
 * @__reserved: must be 0
 *
 * read() returns a run of (struct iommufd_vevent_header, type-specific data)
 * pairs, possibly ending with a lone LOST_EVENTS header.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/* ------------------------------------------------------------------------ */
/* Hardware queues                                                           */
/* ------------------------------------------------------------------------ */

/**
 * enum iommu_hw_queue_type - type of a HW queue.
 * @IOMMU_HW_QUEUE_TYPE_DEFAULT: reserved
 * @IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV: a Tegra241 virtual command queue.
 *     Queues are allocated from index 0 upward and freed from the highest
 *     down; the base is aligned to the length, which is a power of two from
 *     32 bytes to 16 << IDR1.CMDQS bytes, and mapped in the IOAS.
 */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/**
 * struct iommu_hw_queue_alloc - IOMMU_HW_QUEUE_ALLOC: hand a guest queue to HW.
 * @size: sizeof(struct iommu_hw_queue_alloc)
 * @flags: must be 0
 * @viommu_id: the vIOMMU that owns the queue
 * @type: enum iommu_hw_queue_type
 * @index: queue number, unique per type within the vIOMMU
 * @out_hw_queue_id: the new HW queue
 * @nesting_parent_iova: queue memory, as a guest physical address
 * @length: bytes of queue memory
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/* ------------------------------------------------------------------------ */
/* No-IOMMU address spaces                                                   */
/* ------------------------------------------------------------------------ */

/**
 * struct iommu_ioas_noiommu_get_pa - IOMMU_IOAS_NOIOMMU_GET_PA: where is it?
 * @size: sizeof(struct iommu_ioas_noiommu_get_pa)
 * @flags: must be 0
 * @ioas_id: the IOAS
 * @__reserved: must be 0
 * @iova: an IOVA of a pinned mapping; for a device without an IOMMU the IOVA
 *        is only a key naming the memory, never an address the device uses
 * @length: in: the most bytes asked about; out: the bytes from @iova that are
 *          physically contiguous (no more than asked)
 * @out_phys: the physical address of @iova
 */
struct iommu_ioas_noiommu_get_pa {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_phys;
};
#define IOMMU_IOAS_NOIOMMU_GET_PA _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)

#endif /* _UAPI_IOMMUFD_H */
