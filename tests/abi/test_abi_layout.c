// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_abi_layout: pins the binary layout of include/uapi/linux/iommufd.h and
 * iommufd_test.h to the Linux ABI, at compile time.
 *
 * Every number below was worked out by hand from the field list of the
 * upstream headers (torvalds/linux include/uapi/linux/iommufd.h and
 * drivers/iommu/iommufd/iommufd_test.h, see docs/abi.md), not taken from our
 * headers, so a wrong type, a missing or reordered field, or a wrong value
 * fails the build. The layout rules used:
 *
 *  - __u8, __u16, __u32, __s32 are 1, 2, 4, 4 bytes and naturally aligned.
 *  - __aligned_u64 and __aligned_le64 are 8 bytes aligned to 8 on every
 *    architecture, 32-bit ones included (that is why the ABI uses them), so
 *    an 8-byte field lands on the next multiple of 8 and a struct holding one
 *    is 8-aligned. The one plain __u64 (test_cmd.trigger_iopf.addr) already
 *    sits at a multiple of 8.
 *  - A struct's size is the end of its last field rounded up to its
 *    alignment; an anonymous union is as big as its biggest member, rounded
 *    the same way.
 *
 * So struct iommu_hwpt_alloc, for example, is eight __u32 (0..31), data_uptr
 * at 32, fault_id at 40, __reserved2 at 44: 48 bytes, 8-aligned.
 *
 * Ioctl numbers: _IO(type, nr) puts nr in bits 0..7, type in bits 8..15, no
 * size and the "none" direction. IOMMUFD_TYPE is ';' (0x3b) and the commands
 * count up from IOMMUFD_CMD_BASE 0x80 in the order of the upstream enum, so
 * command n is 0x3b80 + n where _IOC_NONE is 0 (x86, arm, riscv ...). The
 * fields are checked one by one everywhere; the literal only where it holds.
 *
 * The program itself only reports how much was checked.
 */
#include <linux/iommufd.h> /* first: the header must stand on its own */
#include <linux/iommufd_test.h>

#include <stddef.h>
#include <stdio.h>

#define ABI_ASSERT(cond, what) _Static_assert(cond, what)

/* Size and alignment of a whole struct. */
#define SIZE(s, sz, al)                                             \
	ABI_ASSERT(sizeof(struct s) == (sz), "size of struct " #s); \
	ABI_ASSERT(_Alignof(struct s) == (al), "alignment of struct " #s)

/* Offset and size of one field. */
#define FIELD(s, f, off, sz)                                                \
	ABI_ASSERT(offsetof(struct s, f) == (off), "offset of " #s "." #f); \
	ABI_ASSERT(sizeof(((struct s *)0)->f) == (sz), "size of " #s "." #f)

/* The kernel's minimum accepted size: the end of the command's first-shipped last field. */
#define MIN_SIZE(s, f, n) \
	ABI_ASSERT(offsetof(struct s, f) + sizeof(((struct s *)0)->f) == (n), "min size of " #s)

#define VALUE(name, v) ABI_ASSERT((name) == (v), #name " value")

/*
 * An ioctl: its command enum entry is 0x80 + n (n = position in the upstream
 * enum), and the ioctl number has that nr, type ';', no size, no direction.
 */
#if _IOC_NONE == 0U
#define IOCTL_LITERAL(ioc, n) VALUE(ioc, 0x3b80 + (n))
#else
#define IOCTL_LITERAL(ioc, n) ABI_ASSERT(1, #ioc)
#endif
#define IOCTL(cmd, ioc, n)                                   \
	VALUE(cmd, 0x80 + (n));                              \
	ABI_ASSERT(_IOC_NR(ioc) == 0x80 + (n), #ioc " nr");  \
	ABI_ASSERT(_IOC_TYPE(ioc) == 0x3b, #ioc " type");    \
	ABI_ASSERT(_IOC_SIZE(ioc) == 0, #ioc " size");       \
	ABI_ASSERT(_IOC_DIR(ioc) == _IOC_NONE, #ioc " dir"); \
	IOCTL_LITERAL(ioc, n)

/* ------------------------------------------------------------------------ */
/* Command numbers, in upstream enum order                                   */
/* ------------------------------------------------------------------------ */

VALUE(IOMMUFD_TYPE, ';');
VALUE(IOMMUFD_CMD_BASE, 0x80);
IOCTL(IOMMUFD_CMD_DESTROY, IOMMU_DESTROY, 0);
IOCTL(IOMMUFD_CMD_IOAS_ALLOC, IOMMU_IOAS_ALLOC, 1);
IOCTL(IOMMUFD_CMD_IOAS_ALLOW_IOVAS, IOMMU_IOAS_ALLOW_IOVAS, 2);
IOCTL(IOMMUFD_CMD_IOAS_COPY, IOMMU_IOAS_COPY, 3);
IOCTL(IOMMUFD_CMD_IOAS_IOVA_RANGES, IOMMU_IOAS_IOVA_RANGES, 4);
IOCTL(IOMMUFD_CMD_IOAS_MAP, IOMMU_IOAS_MAP, 5);
IOCTL(IOMMUFD_CMD_IOAS_UNMAP, IOMMU_IOAS_UNMAP, 6);
IOCTL(IOMMUFD_CMD_OPTION, IOMMU_OPTION, 7);
IOCTL(IOMMUFD_CMD_VFIO_IOAS, IOMMU_VFIO_IOAS, 8);
IOCTL(IOMMUFD_CMD_HWPT_ALLOC, IOMMU_HWPT_ALLOC, 9);
IOCTL(IOMMUFD_CMD_GET_HW_INFO, IOMMU_GET_HW_INFO, 10);
IOCTL(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING, 11);
IOCTL(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_GET_DIRTY_BITMAP, 12);
IOCTL(IOMMUFD_CMD_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE, 13);
IOCTL(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC, 14);
IOCTL(IOMMUFD_CMD_IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE, 15);
IOCTL(IOMMUFD_CMD_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC, 16);
IOCTL(IOMMUFD_CMD_VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC, 17);
IOCTL(IOMMUFD_CMD_IOAS_CHANGE_PROCESS, IOMMU_IOAS_CHANGE_PROCESS, 18);
IOCTL(IOMMUFD_CMD_VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC, 19);
IOCTL(IOMMUFD_CMD_HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC, 20);
IOCTL(IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA, IOMMU_IOAS_NOIOMMU_GET_PA, 21);
#define N_IOCTLS 22

/* The test command sits at BASE + 32, far from the real ones. */
ABI_ASSERT(_IOC_NR(IOMMU_TEST_CMD) == 0xa0, "IOMMU_TEST_CMD nr");
ABI_ASSERT(_IOC_TYPE(IOMMU_TEST_CMD) == 0x3b, "IOMMU_TEST_CMD type");
ABI_ASSERT(_IOC_SIZE(IOMMU_TEST_CMD) == 0, "IOMMU_TEST_CMD size");
ABI_ASSERT(_IOC_DIR(IOMMU_TEST_CMD) == _IOC_NONE, "IOMMU_TEST_CMD dir");
#if _IOC_NONE == 0U
VALUE(IOMMU_TEST_CMD, 0x3ba0);
#endif

/* ------------------------------------------------------------------------ */
/* Structs of iommufd.h                                                      */
/* ------------------------------------------------------------------------ */

SIZE(iommu_destroy, 8, 4);
FIELD(iommu_destroy, size, 0, 4);
FIELD(iommu_destroy, id, 4, 4);

SIZE(iommu_ioas_alloc, 12, 4);
FIELD(iommu_ioas_alloc, size, 0, 4);
FIELD(iommu_ioas_alloc, flags, 4, 4);
FIELD(iommu_ioas_alloc, out_ioas_id, 8, 4);

SIZE(iommu_iova_range, 16, 8);
FIELD(iommu_iova_range, start, 0, 8);
FIELD(iommu_iova_range, last, 8, 8);

SIZE(iommu_ioas_iova_ranges, 32, 8);
FIELD(iommu_ioas_iova_ranges, size, 0, 4);
FIELD(iommu_ioas_iova_ranges, ioas_id, 4, 4);
FIELD(iommu_ioas_iova_ranges, num_iovas, 8, 4);
FIELD(iommu_ioas_iova_ranges, __reserved, 12, 4);
FIELD(iommu_ioas_iova_ranges, allowed_iovas, 16, 8);
FIELD(iommu_ioas_iova_ranges, out_iova_alignment, 24, 8);

SIZE(iommu_ioas_allow_iovas, 24, 8);
FIELD(iommu_ioas_allow_iovas, size, 0, 4);
FIELD(iommu_ioas_allow_iovas, ioas_id, 4, 4);
FIELD(iommu_ioas_allow_iovas, num_iovas, 8, 4);
FIELD(iommu_ioas_allow_iovas, __reserved, 12, 4);
FIELD(iommu_ioas_allow_iovas, allowed_iovas, 16, 8);

SIZE(iommu_ioas_map, 40, 8);
FIELD(iommu_ioas_map, size, 0, 4);
FIELD(iommu_ioas_map, flags, 4, 4);
FIELD(iommu_ioas_map, ioas_id, 8, 4);
FIELD(iommu_ioas_map, __reserved, 12, 4);
FIELD(iommu_ioas_map, user_va, 16, 8);
FIELD(iommu_ioas_map, length, 24, 8);
FIELD(iommu_ioas_map, iova, 32, 8);

SIZE(iommu_ioas_map_file, 40, 8);
FIELD(iommu_ioas_map_file, size, 0, 4);
FIELD(iommu_ioas_map_file, flags, 4, 4);
FIELD(iommu_ioas_map_file, ioas_id, 8, 4);
FIELD(iommu_ioas_map_file, fd, 12, 4);
FIELD(iommu_ioas_map_file, start, 16, 8);
FIELD(iommu_ioas_map_file, length, 24, 8);
FIELD(iommu_ioas_map_file, iova, 32, 8);

SIZE(iommu_ioas_copy, 40, 8);
FIELD(iommu_ioas_copy, size, 0, 4);
FIELD(iommu_ioas_copy, flags, 4, 4);
FIELD(iommu_ioas_copy, dst_ioas_id, 8, 4);
FIELD(iommu_ioas_copy, src_ioas_id, 12, 4);
FIELD(iommu_ioas_copy, length, 16, 8);
FIELD(iommu_ioas_copy, dst_iova, 24, 8);
FIELD(iommu_ioas_copy, src_iova, 32, 8);

SIZE(iommu_ioas_unmap, 24, 8);
FIELD(iommu_ioas_unmap, size, 0, 4);
FIELD(iommu_ioas_unmap, ioas_id, 4, 4);
FIELD(iommu_ioas_unmap, iova, 8, 8);
FIELD(iommu_ioas_unmap, length, 16, 8);

SIZE(iommu_option, 24, 8);
FIELD(iommu_option, size, 0, 4);
FIELD(iommu_option, option_id, 4, 4);
FIELD(iommu_option, op, 8, 2);
FIELD(iommu_option, __reserved, 10, 2);
FIELD(iommu_option, object_id, 12, 4);
FIELD(iommu_option, val64, 16, 8);

SIZE(iommu_vfio_ioas, 12, 4);
FIELD(iommu_vfio_ioas, size, 0, 4);
FIELD(iommu_vfio_ioas, ioas_id, 4, 4);
FIELD(iommu_vfio_ioas, op, 8, 2);
FIELD(iommu_vfio_ioas, __reserved, 10, 2);

SIZE(iommu_hwpt_vtd_s1, 24, 8);
FIELD(iommu_hwpt_vtd_s1, flags, 0, 8);
FIELD(iommu_hwpt_vtd_s1, pgtbl_addr, 8, 8);
FIELD(iommu_hwpt_vtd_s1, addr_width, 16, 4);
FIELD(iommu_hwpt_vtd_s1, __reserved, 20, 4);

SIZE(iommu_hwpt_arm_smmuv3, 16, 8);
FIELD(iommu_hwpt_arm_smmuv3, ste, 0, 16);

SIZE(iommu_hwpt_alloc, 48, 8);
FIELD(iommu_hwpt_alloc, size, 0, 4);
FIELD(iommu_hwpt_alloc, flags, 4, 4);
FIELD(iommu_hwpt_alloc, dev_id, 8, 4);
FIELD(iommu_hwpt_alloc, pt_id, 12, 4);
FIELD(iommu_hwpt_alloc, out_hwpt_id, 16, 4);
FIELD(iommu_hwpt_alloc, __reserved, 20, 4);
FIELD(iommu_hwpt_alloc, data_type, 24, 4);
FIELD(iommu_hwpt_alloc, data_len, 28, 4);
FIELD(iommu_hwpt_alloc, data_uptr, 32, 8);
FIELD(iommu_hwpt_alloc, fault_id, 40, 4);
FIELD(iommu_hwpt_alloc, __reserved2, 44, 4);

SIZE(iommu_hw_info_vtd, 24, 8);
FIELD(iommu_hw_info_vtd, flags, 0, 4);
FIELD(iommu_hw_info_vtd, __reserved, 4, 4);
FIELD(iommu_hw_info_vtd, cap_reg, 8, 8);
FIELD(iommu_hw_info_vtd, ecap_reg, 16, 8);

SIZE(iommu_hw_info_arm_smmuv3, 40, 4);
FIELD(iommu_hw_info_arm_smmuv3, flags, 0, 4);
FIELD(iommu_hw_info_arm_smmuv3, __reserved, 4, 4);
FIELD(iommu_hw_info_arm_smmuv3, idr, 8, 24);
FIELD(iommu_hw_info_arm_smmuv3, iidr, 32, 4);
FIELD(iommu_hw_info_arm_smmuv3, aidr, 36, 4);

SIZE(iommu_hw_info_tegra241_cmdqv, 8, 4);
FIELD(iommu_hw_info_tegra241_cmdqv, flags, 0, 4);
FIELD(iommu_hw_info_tegra241_cmdqv, version, 4, 1);
FIELD(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5, 1);
FIELD(iommu_hw_info_tegra241_cmdqv, log2vsids, 6, 1);
FIELD(iommu_hw_info_tegra241_cmdqv, __reserved, 7, 1);

/* in_data_type and out_data_type share one __u32 (an anonymous union). */
SIZE(iommu_hw_info, 40, 8);
FIELD(iommu_hw_info, size, 0, 4);
FIELD(iommu_hw_info, flags, 4, 4);
FIELD(iommu_hw_info, dev_id, 8, 4);
FIELD(iommu_hw_info, data_len, 12, 4);
FIELD(iommu_hw_info, data_uptr, 16, 8);
FIELD(iommu_hw_info, in_data_type, 24, 4);
FIELD(iommu_hw_info, out_data_type, 24, 4);
FIELD(iommu_hw_info, out_max_pasid_log2, 28, 1);
FIELD(iommu_hw_info, __reserved, 29, 3);
FIELD(iommu_hw_info, out_capabilities, 32, 8);

SIZE(iommu_hwpt_set_dirty_tracking, 16, 4);
FIELD(iommu_hwpt_set_dirty_tracking, size, 0, 4);
FIELD(iommu_hwpt_set_dirty_tracking, flags, 4, 4);
FIELD(iommu_hwpt_set_dirty_tracking, hwpt_id, 8, 4);
FIELD(iommu_hwpt_set_dirty_tracking, __reserved, 12, 4);

SIZE(iommu_hwpt_get_dirty_bitmap, 48, 8);
FIELD(iommu_hwpt_get_dirty_bitmap, size, 0, 4);
FIELD(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4, 4);
FIELD(iommu_hwpt_get_dirty_bitmap, flags, 8, 4);
FIELD(iommu_hwpt_get_dirty_bitmap, __reserved, 12, 4);
FIELD(iommu_hwpt_get_dirty_bitmap, iova, 16, 8);
FIELD(iommu_hwpt_get_dirty_bitmap, length, 24, 8);
FIELD(iommu_hwpt_get_dirty_bitmap, page_size, 32, 8);
FIELD(iommu_hwpt_get_dirty_bitmap, data, 40, 8);

SIZE(iommu_hwpt_vtd_s1_invalidate, 24, 8);
FIELD(iommu_hwpt_vtd_s1_invalidate, addr, 0, 8);
FIELD(iommu_hwpt_vtd_s1_invalidate, npages, 8, 8);
FIELD(iommu_hwpt_vtd_s1_invalidate, flags, 16, 4);
FIELD(iommu_hwpt_vtd_s1_invalidate, __reserved, 20, 4);

SIZE(iommu_viommu_arm_smmuv3_invalidate, 16, 8);
FIELD(iommu_viommu_arm_smmuv3_invalidate, cmd, 0, 16);

SIZE(iommu_hwpt_invalidate, 32, 8);
FIELD(iommu_hwpt_invalidate, size, 0, 4);
FIELD(iommu_hwpt_invalidate, hwpt_id, 4, 4);
FIELD(iommu_hwpt_invalidate, data_uptr, 8, 8);
FIELD(iommu_hwpt_invalidate, data_type, 16, 4);
FIELD(iommu_hwpt_invalidate, entry_len, 20, 4);
FIELD(iommu_hwpt_invalidate, entry_num, 24, 4);
FIELD(iommu_hwpt_invalidate, __reserved, 28, 4);

SIZE(iommu_hwpt_pgfault, 40, 8);
FIELD(iommu_hwpt_pgfault, flags, 0, 4);
FIELD(iommu_hwpt_pgfault, dev_id, 4, 4);
FIELD(iommu_hwpt_pgfault, pasid, 8, 4);
FIELD(iommu_hwpt_pgfault, grpid, 12, 4);
FIELD(iommu_hwpt_pgfault, perm, 16, 4);
FIELD(iommu_hwpt_pgfault, __reserved, 20, 4);
FIELD(iommu_hwpt_pgfault, addr, 24, 8);
FIELD(iommu_hwpt_pgfault, length, 32, 4);
FIELD(iommu_hwpt_pgfault, cookie, 36, 4);

SIZE(iommu_hwpt_page_response, 8, 4);
FIELD(iommu_hwpt_page_response, cookie, 0, 4);
FIELD(iommu_hwpt_page_response, code, 4, 4);

SIZE(iommu_fault_alloc, 16, 4);
FIELD(iommu_fault_alloc, size, 0, 4);
FIELD(iommu_fault_alloc, flags, 4, 4);
FIELD(iommu_fault_alloc, out_fault_id, 8, 4);
FIELD(iommu_fault_alloc, out_fault_fd, 12, 4);

SIZE(iommu_viommu_tegra241_cmdqv, 16, 8);
FIELD(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0, 8);
FIELD(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8, 8);

SIZE(iommu_viommu_alloc, 40, 8);
FIELD(iommu_viommu_alloc, size, 0, 4);
FIELD(iommu_viommu_alloc, flags, 4, 4);
FIELD(iommu_viommu_alloc, type, 8, 4);
FIELD(iommu_viommu_alloc, dev_id, 12, 4);
FIELD(iommu_viommu_alloc, hwpt_id, 16, 4);
FIELD(iommu_viommu_alloc, out_viommu_id, 20, 4);
FIELD(iommu_viommu_alloc, data_len, 24, 4);
FIELD(iommu_viommu_alloc, __reserved, 28, 4);
FIELD(iommu_viommu_alloc, data_uptr, 32, 8);

SIZE(iommu_vdevice_alloc, 24, 8);
FIELD(iommu_vdevice_alloc, size, 0, 4);
FIELD(iommu_vdevice_alloc, viommu_id, 4, 4);
FIELD(iommu_vdevice_alloc, dev_id, 8, 4);
FIELD(iommu_vdevice_alloc, out_vdevice_id, 12, 4);
FIELD(iommu_vdevice_alloc, virt_id, 16, 8);

SIZE(iommu_ioas_change_process, 8, 4);
FIELD(iommu_ioas_change_process, size, 0, 4);
FIELD(iommu_ioas_change_process, __reserved, 4, 4);

SIZE(iommufd_vevent_header, 8, 4);
FIELD(iommufd_vevent_header, flags, 0, 4);
FIELD(iommufd_vevent_header, sequence, 4, 4);

SIZE(iommu_vevent_arm_smmuv3, 32, 8);
FIELD(iommu_vevent_arm_smmuv3, evt, 0, 32);

SIZE(iommu_vevent_tegra241_cmdqv, 16, 8);
FIELD(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0, 16);

SIZE(iommu_veventq_alloc, 32, 4);
FIELD(iommu_veventq_alloc, size, 0, 4);
FIELD(iommu_veventq_alloc, flags, 4, 4);
FIELD(iommu_veventq_alloc, viommu_id, 8, 4);
FIELD(iommu_veventq_alloc, type, 12, 4);
FIELD(iommu_veventq_alloc, veventq_depth, 16, 4);
FIELD(iommu_veventq_alloc, out_veventq_id, 20, 4);
FIELD(iommu_veventq_alloc, out_veventq_fd, 24, 4);
FIELD(iommu_veventq_alloc, __reserved, 28, 4);

SIZE(iommu_hw_queue_alloc, 40, 8);
FIELD(iommu_hw_queue_alloc, size, 0, 4);
FIELD(iommu_hw_queue_alloc, flags, 4, 4);
FIELD(iommu_hw_queue_alloc, viommu_id, 8, 4);
FIELD(iommu_hw_queue_alloc, type, 12, 4);
FIELD(iommu_hw_queue_alloc, index, 16, 4);
FIELD(iommu_hw_queue_alloc, out_hw_queue_id, 20, 4);
FIELD(iommu_hw_queue_alloc, nesting_parent_iova, 24, 8);
FIELD(iommu_hw_queue_alloc, length, 32, 8);

SIZE(iommu_hwpt_amd_guest, 32, 8);
FIELD(iommu_hwpt_amd_guest, dte, 0, 32);

SIZE(iommu_hw_info_amd, 16, 8);
FIELD(iommu_hw_info_amd, efr, 0, 8);
FIELD(iommu_hw_info_amd, efr2, 8, 8);

SIZE(iommu_ioas_noiommu_get_pa, 40, 8);
FIELD(iommu_ioas_noiommu_get_pa, size, 0, 4);
FIELD(iommu_ioas_noiommu_get_pa, flags, 4, 4);
FIELD(iommu_ioas_noiommu_get_pa, ioas_id, 8, 4);
FIELD(iommu_ioas_noiommu_get_pa, __reserved, 12, 4);
FIELD(iommu_ioas_noiommu_get_pa, iova, 16, 8);
FIELD(iommu_ioas_noiommu_get_pa, length, 24, 8);
FIELD(iommu_ioas_noiommu_get_pa, out_phys, 32, 8);

#define N_STRUCTS_UAPI 38

/*
 * Minimum sizes. The kernel's ioctl table accepts a struct no shorter than
 * the end of the last field the command first shipped with (fields added
 * later read as zero when absent). These are the (command, field) pairs of
 * that table; a dispatcher must use the same numbers. Note HWPT_ALLOC ends at
 * its first __reserved and GET_HW_INFO before out_capabilities.
 */
MIN_SIZE(iommu_destroy, id, 8);
MIN_SIZE(iommu_fault_alloc, out_fault_fd, 16);
MIN_SIZE(iommu_hw_info, __reserved, 32);
MIN_SIZE(iommu_hw_queue_alloc, length, 40);
MIN_SIZE(iommu_hwpt_alloc, __reserved, 24);
MIN_SIZE(iommu_hwpt_get_dirty_bitmap, data, 48);
MIN_SIZE(iommu_hwpt_invalidate, __reserved, 32);
MIN_SIZE(iommu_hwpt_set_dirty_tracking, __reserved, 16);
MIN_SIZE(iommu_ioas_alloc, out_ioas_id, 12);
MIN_SIZE(iommu_ioas_allow_iovas, allowed_iovas, 24);
MIN_SIZE(iommu_ioas_change_process, __reserved, 8);
MIN_SIZE(iommu_ioas_copy, src_iova, 40);
MIN_SIZE(iommu_ioas_iova_ranges, out_iova_alignment, 32);
MIN_SIZE(iommu_ioas_map, iova, 40);
MIN_SIZE(iommu_ioas_map_file, iova, 40);
MIN_SIZE(iommu_ioas_noiommu_get_pa, out_phys, 40);
MIN_SIZE(iommu_ioas_unmap, length, 24);
MIN_SIZE(iommu_option, val64, 24);
MIN_SIZE(iommu_vdevice_alloc, virt_id, 24);
MIN_SIZE(iommu_veventq_alloc, out_veventq_fd, 28);
MIN_SIZE(iommu_vfio_ioas, __reserved, 12);
MIN_SIZE(iommu_viommu_alloc, out_viommu_id, 24);
MIN_SIZE(iommu_test_cmd, last, 68);

/* ------------------------------------------------------------------------ */
/* Flags and enums of iommufd.h                                              */
/* ------------------------------------------------------------------------ */

VALUE(IOMMU_IOAS_MAP_FIXED_IOVA, 1);
VALUE(IOMMU_IOAS_MAP_WRITEABLE, 2);
VALUE(IOMMU_IOAS_MAP_READABLE, 4);
VALUE(IOMMU_OPTION_RLIMIT_MODE, 0);
VALUE(IOMMU_OPTION_HUGE_PAGES, 1);
VALUE(IOMMU_OPTION_OP_SET, 0);
VALUE(IOMMU_OPTION_OP_GET, 1);
VALUE(IOMMU_VFIO_IOAS_GET, 0);
VALUE(IOMMU_VFIO_IOAS_SET, 1);
VALUE(IOMMU_VFIO_IOAS_CLEAR, 2);
VALUE(IOMMU_HWPT_ALLOC_NEST_PARENT, 1);
VALUE(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 2);
VALUE(IOMMU_HWPT_FAULT_ID_VALID, 4);
VALUE(IOMMU_HWPT_ALLOC_PASID, 8);
VALUE(IOMMU_VTD_S1_SRE, 1);
VALUE(IOMMU_VTD_S1_EAFE, 2);
VALUE(IOMMU_VTD_S1_WPE, 4);
VALUE(IOMMU_HWPT_DATA_NONE, 0);
VALUE(IOMMU_HWPT_DATA_VTD_S1, 1);
VALUE(IOMMU_HWPT_DATA_ARM_SMMUV3, 2);
VALUE(IOMMU_HWPT_DATA_AMD_GUEST, 3);
VALUE(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, 1);
VALUE(IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI, 1); /* Linux 7.x */
VALUE(IOMMU_HW_INFO_TYPE_NONE, 0);
VALUE(IOMMU_HW_INFO_TYPE_DEFAULT, 0);
VALUE(IOMMU_HW_INFO_TYPE_INTEL_VTD, 1);
VALUE(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 2);
VALUE(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3);
VALUE(IOMMU_HW_INFO_TYPE_AMD, 4);
VALUE(IOMMU_HW_CAP_DIRTY_TRACKING, 1);
VALUE(IOMMU_HW_CAP_PCI_PASID_EXEC, 2);
VALUE(IOMMU_HW_CAP_PCI_PASID_PRIV, 4);
VALUE(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 8);
VALUE(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1);
VALUE(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1);
VALUE(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);
VALUE(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0);
VALUE(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1);
VALUE(IOMMU_VTD_INV_FLAGS_LEAF, 1);
VALUE(IOMMU_PGFAULT_FLAGS_PASID_VALID, 1);
VALUE(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 2);
VALUE(IOMMU_PGFAULT_PERM_READ, 1);
VALUE(IOMMU_PGFAULT_PERM_WRITE, 2);
VALUE(IOMMU_PGFAULT_PERM_EXEC, 4);
VALUE(IOMMU_PGFAULT_PERM_PRIV, 8);
VALUE(IOMMUFD_PAGE_RESP_SUCCESS, 0);
VALUE(IOMMUFD_PAGE_RESP_INVALID, 1);
VALUE(IOMMU_VIOMMU_TYPE_DEFAULT, 0);
VALUE(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1);
VALUE(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2);
VALUE(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1);
VALUE(IOMMU_VEVENTQ_TYPE_DEFAULT, 0);
VALUE(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1);
VALUE(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2);
VALUE(IOMMU_HW_QUEUE_TYPE_DEFAULT, 0);
VALUE(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1);

/* The enum tags exist under their upstream names (programs declare them). */
static const enum iommufd_ioas_map_flags tag0 = IOMMU_IOAS_MAP_FIXED_IOVA;
static const enum iommufd_option tag1 = IOMMU_OPTION_RLIMIT_MODE;
static const enum iommufd_option_ops tag2 = IOMMU_OPTION_OP_SET;
static const enum iommufd_vfio_ioas_op tag3 = IOMMU_VFIO_IOAS_GET;
static const enum iommufd_hwpt_alloc_flags tag4 = IOMMU_HWPT_ALLOC_NEST_PARENT;
static const enum iommu_hwpt_vtd_s1_flags tag5 = IOMMU_VTD_S1_SRE;
static const enum iommu_hwpt_data_type tag6 = IOMMU_HWPT_DATA_NONE;
static const enum iommu_hw_info_vtd_flags tag7 = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17;
static const enum iommu_hw_info_type tag8 = IOMMU_HW_INFO_TYPE_NONE;
static const enum iommufd_hw_capabilities tag9 = IOMMU_HW_CAP_DIRTY_TRACKING;
static const enum iommufd_hw_info_flags tag10 = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
static const enum iommufd_hwpt_set_dirty_tracking_flags tag11 = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
static const enum iommufd_hwpt_get_dirty_bitmap_flags tag12 = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
static const enum iommu_hwpt_invalidate_data_type tag13 = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
static const enum iommu_hwpt_vtd_s1_invalidate_flags tag14 = IOMMU_VTD_INV_FLAGS_LEAF;
static const enum iommu_hwpt_pgfault_flags tag15 = IOMMU_PGFAULT_FLAGS_PASID_VALID;
static const enum iommu_hwpt_pgfault_perm tag16 = IOMMU_PGFAULT_PERM_READ;
static const enum iommufd_page_response_code tag17 = IOMMUFD_PAGE_RESP_SUCCESS;
static const enum iommu_viommu_type tag18 = IOMMU_VIOMMU_TYPE_DEFAULT;
static const enum iommu_veventq_flag tag19 = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
static const enum iommu_veventq_type tag20 = IOMMU_VEVENTQ_TYPE_DEFAULT;
static const enum iommu_hw_queue_type tag21 = IOMMU_HW_QUEUE_TYPE_DEFAULT;
static const enum iommu_hw_info_arm_smmuv3_flags tag22 =
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI;

/* ------------------------------------------------------------------------ */
/* iommufd_test.h                                                            */
/* ------------------------------------------------------------------------ */

/* Test ops count up from 1 in the upstream enum's order. */
VALUE(IOMMU_TEST_OP_ADD_RESERVED, 1);
VALUE(IOMMU_TEST_OP_MOCK_DOMAIN, 2);
VALUE(IOMMU_TEST_OP_MD_CHECK_MAP, 3);
VALUE(IOMMU_TEST_OP_MD_CHECK_REFS, 4);
VALUE(IOMMU_TEST_OP_CREATE_ACCESS, 5);
VALUE(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, 6);
VALUE(IOMMU_TEST_OP_ACCESS_PAGES, 7);
VALUE(IOMMU_TEST_OP_ACCESS_RW, 8);
VALUE(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 9);
VALUE(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
VALUE(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, 11);
VALUE(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
VALUE(IOMMU_TEST_OP_DIRTY, 13);
VALUE(IOMMU_TEST_OP_MD_CHECK_IOTLB, 14);
VALUE(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
VALUE(IOMMU_TEST_OP_DEV_CHECK_CACHE, 16);
VALUE(IOMMU_TEST_OP_TRIGGER_VEVENT, 17);
VALUE(IOMMU_TEST_OP_PASID_ATTACH, 18);
VALUE(IOMMU_TEST_OP_PASID_REPLACE, 19);
VALUE(IOMMU_TEST_OP_PASID_DETACH, 20);
VALUE(IOMMU_TEST_OP_PASID_CHECK_HWPT, 21);
VALUE(IOMMU_TEST_OP_DMABUF_GET, 22);
VALUE(IOMMU_TEST_OP_DMABUF_REVOKE, 23);
#define N_TEST_OPS 23

VALUE(MOCK_APERTURE_START, 0x1000000);
VALUE(MOCK_APERTURE_LAST, 0x7fffffff);
VALUE(MOCK_FLAGS_ACCESS_WRITE, 1);
VALUE(MOCK_FLAGS_ACCESS_SYZ, 0x10000);
VALUE(MOCK_ACCESS_RW_WRITE, 1);
VALUE(MOCK_ACCESS_RW_SLOW_PATH, 4);
VALUE(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, 1);
VALUE(MOCK_FLAGS_DEVICE_NO_DIRTY, 1);
VALUE(MOCK_FLAGS_DEVICE_HUGE_IOVA, 2); /* Linux 6.12's; bit 1 is unused in 7.x */
VALUE(MOCK_FLAGS_DEVICE_PASID, 4);
VALUE(MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, 3);
VALUE(MOCK_NESTED_DOMAIN_IOTLB_NUM, 4);
VALUE(MOCK_DEV_CACHE_ID_MAX, 3);
VALUE(MOCK_DEV_CACHE_NUM, 4);
VALUE(IOMMU_TEST_PASID_RESERVED, 1024);
VALUE(MOCK_PASID_WIDTH, 20);
VALUE(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeef);
VALUE(IOMMU_HW_INFO_SELFTEST_REGVAL, 0xdeadbeef);
VALUE(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
VALUE(IOMMU_TEST_IOTLB_DEFAULT, 0xbadbeef);
VALUE(IOMMU_TEST_DEV_CACHE_DEFAULT, 0xbaddad);
VALUE(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
VALUE(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
VALUE(IOMMU_TEST_INVALIDATE_FLAG_ALL, 1);
VALUE(IOMMU_VIOMMU_TYPE_SELFTEST, 0xdeadbeef);
VALUE(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
VALUE(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
VALUE(IOMMU_VEVENTQ_TYPE_SELFTEST, 0xbeefbeef);
VALUE(IOMMU_HW_QUEUE_TYPE_SELFTEST, 0xdeadbeef);
VALUE(IOMMU_TEST_HW_QUEUE_MAX, 2);

/*
 * struct iommu_test_cmd: four __u32 (0..15), then the union at 16. Its
 * biggest member is "dirty": flags at 16, four bytes of padding, five 8-byte
 * fields at 24..63, so the union is 48 bytes and "last" lands at 64; the
 * struct rounds up to 72.
 */
SIZE(iommu_test_cmd, 72, 8);
FIELD(iommu_test_cmd, size, 0, 4);
FIELD(iommu_test_cmd, op, 4, 4);
FIELD(iommu_test_cmd, id, 8, 4);
FIELD(iommu_test_cmd, __reserved, 12, 4);
FIELD(iommu_test_cmd, last, 64, 4);

FIELD(iommu_test_cmd, dev_dma, 16, 48);
FIELD(iommu_test_cmd, dev_dma.pasid, 16, 4);
FIELD(iommu_test_cmd, dev_dma.flags, 20, 4);
FIELD(iommu_test_cmd, dev_dma.iova, 24, 8);
FIELD(iommu_test_cmd, dev_dma.length, 32, 8);
FIELD(iommu_test_cmd, dev_dma.uptr, 40, 8);
FIELD(iommu_test_cmd, dev_dma.out_fault_type, 48, 4);
FIELD(iommu_test_cmd, dev_dma.out_fault_stage, 52, 2);
FIELD(iommu_test_cmd, dev_dma.out_fault_level, 54, 2);
FIELD(iommu_test_cmd, dev_dma.out_fault_addr, 56, 8);
FIELD(iommu_test_cmd, dev_new, 16, 40);
FIELD(iommu_test_cmd, dev_new.format, 16, 32);
FIELD(iommu_test_cmd, dev_new.flags, 48, 4);
FIELD(iommu_test_cmd, dev_new.out_dev_id, 52, 4);
FIELD(iommu_test_cmd, dev_attach, 16, 16);
FIELD(iommu_test_cmd, dev_attach.op, 16, 4);
FIELD(iommu_test_cmd, dev_attach.pasid, 20, 4);
FIELD(iommu_test_cmd, dev_attach.pt_id, 24, 4);
FIELD(iommu_test_cmd, dev_attach.out_hwpt_id, 28, 4);
FIELD(iommu_test_cmd, add_reserved, 16, 16);
FIELD(iommu_test_cmd, add_reserved.start, 16, 8);
FIELD(iommu_test_cmd, add_reserved.length, 24, 8);

FIELD(iommu_test_cmd, mock_domain, 16, 12);
FIELD(iommu_test_cmd, mock_domain.out_stdev_id, 16, 4);
FIELD(iommu_test_cmd, mock_domain.out_hwpt_id, 20, 4);
FIELD(iommu_test_cmd, mock_domain.out_idev_id, 24, 4);

FIELD(iommu_test_cmd, mock_domain_flags, 16, 16);
FIELD(iommu_test_cmd, mock_domain_flags.out_stdev_id, 16, 4);
FIELD(iommu_test_cmd, mock_domain_flags.out_hwpt_id, 20, 4);
FIELD(iommu_test_cmd, mock_domain_flags.out_idev_id, 24, 4);
FIELD(iommu_test_cmd, mock_domain_flags.dev_flags, 28, 4);

FIELD(iommu_test_cmd, mock_domain_replace, 16, 4);
FIELD(iommu_test_cmd, mock_domain_replace.pt_id, 16, 4);

FIELD(iommu_test_cmd, check_map, 16, 24);
FIELD(iommu_test_cmd, check_map.iova, 16, 8);
FIELD(iommu_test_cmd, check_map.length, 24, 8);
FIELD(iommu_test_cmd, check_map.uptr, 32, 8);

FIELD(iommu_test_cmd, check_refs, 16, 24);
FIELD(iommu_test_cmd, check_refs.length, 16, 8);
FIELD(iommu_test_cmd, check_refs.uptr, 24, 8);
FIELD(iommu_test_cmd, check_refs.refs, 32, 4);

FIELD(iommu_test_cmd, create_access, 16, 8);
FIELD(iommu_test_cmd, create_access.out_access_fd, 16, 4);
FIELD(iommu_test_cmd, create_access.flags, 20, 4);

FIELD(iommu_test_cmd, destroy_access_pages, 16, 4);
FIELD(iommu_test_cmd, destroy_access_pages.access_pages_id, 16, 4);

FIELD(iommu_test_cmd, access_pages, 16, 32);
FIELD(iommu_test_cmd, access_pages.flags, 16, 4);
FIELD(iommu_test_cmd, access_pages.out_access_pages_id, 20, 4);
FIELD(iommu_test_cmd, access_pages.iova, 24, 8);
FIELD(iommu_test_cmd, access_pages.length, 32, 8);
FIELD(iommu_test_cmd, access_pages.uptr, 40, 8);

FIELD(iommu_test_cmd, access_rw, 16, 32);
FIELD(iommu_test_cmd, access_rw.iova, 16, 8);
FIELD(iommu_test_cmd, access_rw.length, 24, 8);
FIELD(iommu_test_cmd, access_rw.uptr, 32, 8);
FIELD(iommu_test_cmd, access_rw.flags, 40, 4);

FIELD(iommu_test_cmd, memory_limit, 16, 4);
FIELD(iommu_test_cmd, memory_limit.limit, 16, 4);

FIELD(iommu_test_cmd, access_replace_ioas, 16, 4);
FIELD(iommu_test_cmd, access_replace_ioas.ioas_id, 16, 4);

FIELD(iommu_test_cmd, dirty, 16, 48);
FIELD(iommu_test_cmd, dirty.flags, 16, 4);
FIELD(iommu_test_cmd, dirty.iova, 24, 8);
FIELD(iommu_test_cmd, dirty.length, 32, 8);
FIELD(iommu_test_cmd, dirty.page_size, 40, 8);
FIELD(iommu_test_cmd, dirty.uptr, 48, 8);
FIELD(iommu_test_cmd, dirty.out_nr_dirty, 56, 8);

FIELD(iommu_test_cmd, check_iotlb, 16, 8);
FIELD(iommu_test_cmd, check_iotlb.id, 16, 4);
FIELD(iommu_test_cmd, check_iotlb.iotlb, 20, 4);

/* addr is a plain __u64: 8-aligned on 64-bit, 4 on i386; 16 + 16 fits both. */
FIELD(iommu_test_cmd, trigger_iopf, 16, 24);
FIELD(iommu_test_cmd, trigger_iopf.dev_id, 16, 4);
FIELD(iommu_test_cmd, trigger_iopf.pasid, 20, 4);
FIELD(iommu_test_cmd, trigger_iopf.grpid, 24, 4);
FIELD(iommu_test_cmd, trigger_iopf.perm, 28, 4);
FIELD(iommu_test_cmd, trigger_iopf.addr, 32, 8);

FIELD(iommu_test_cmd, check_dev_cache, 16, 8);
FIELD(iommu_test_cmd, check_dev_cache.id, 16, 4);
FIELD(iommu_test_cmd, check_dev_cache.cache, 20, 4);

FIELD(iommu_test_cmd, trigger_vevent, 16, 4);
FIELD(iommu_test_cmd, trigger_vevent.dev_id, 16, 4);

FIELD(iommu_test_cmd, pasid_attach, 16, 8);
FIELD(iommu_test_cmd, pasid_attach.pasid, 16, 4);
FIELD(iommu_test_cmd, pasid_attach.pt_id, 20, 4);

FIELD(iommu_test_cmd, pasid_replace, 16, 8);
FIELD(iommu_test_cmd, pasid_replace.pasid, 16, 4);
FIELD(iommu_test_cmd, pasid_replace.pt_id, 20, 4);

FIELD(iommu_test_cmd, pasid_detach, 16, 4);
FIELD(iommu_test_cmd, pasid_detach.pasid, 16, 4);

FIELD(iommu_test_cmd, pasid_check, 16, 8);
FIELD(iommu_test_cmd, pasid_check.pasid, 16, 4);
FIELD(iommu_test_cmd, pasid_check.hwpt_id, 20, 4);
FIELD(iommu_test_cmd, dmabuf_get, 16, 8);
FIELD(iommu_test_cmd, dmabuf_get.length, 16, 4);
FIELD(iommu_test_cmd, dmabuf_get.open_flags, 20, 4);
FIELD(iommu_test_cmd, dmabuf_revoke, 16, 8);
FIELD(iommu_test_cmd, dmabuf_revoke.dmabuf_fd, 16, 4);
FIELD(iommu_test_cmd, dmabuf_revoke.revoked, 20, 4);

SIZE(iommu_test_hw_info, 8, 4);
FIELD(iommu_test_hw_info, flags, 0, 4);
FIELD(iommu_test_hw_info, test_reg, 4, 4);

/* Linux 7.x added pagetable_type; the minimum the mock takes is still the end of iotlb */
SIZE(iommu_hwpt_selftest, 8, 4);
FIELD(iommu_hwpt_selftest, iotlb, 0, 4);
FIELD(iommu_hwpt_selftest, pagetable_type, 4, 4);
MIN_SIZE(iommu_hwpt_selftest, iotlb, 4);
VALUE(MOCK_IOMMUPT_DEFAULT, 0);
VALUE(MOCK_IOMMUPT_HUGE, 1);

SIZE(iommu_hwpt_invalidate_selftest, 8, 4);
FIELD(iommu_hwpt_invalidate_selftest, flags, 0, 4);
FIELD(iommu_hwpt_invalidate_selftest, iotlb_id, 4, 4);

SIZE(iommu_viommu_selftest, 24, 8);
FIELD(iommu_viommu_selftest, in_data, 0, 4);
FIELD(iommu_viommu_selftest, out_data, 4, 4);
FIELD(iommu_viommu_selftest, out_mmap_offset, 8, 8);
FIELD(iommu_viommu_selftest, out_mmap_length, 16, 8);

SIZE(iommu_viommu_invalidate_selftest, 12, 4);
FIELD(iommu_viommu_invalidate_selftest, flags, 0, 4);
FIELD(iommu_viommu_invalidate_selftest, vdev_id, 4, 4);
FIELD(iommu_viommu_invalidate_selftest, cache_id, 8, 4);

SIZE(iommu_viommu_event_selftest, 4, 4);
FIELD(iommu_viommu_event_selftest, virt_id, 0, 4);

#define N_STRUCTS_TEST 7

int main(void)
{
	/* Touch the enum tags so -Wunused does not complain. */
	int tags = tag0 + tag1 + tag2 + tag3 + tag4 + tag5 + tag6 + tag7 + tag8 + tag9 + tag10 +
		   tag11 + tag12 + tag13 + tag14 + tag15 + tag16 + tag17 + tag18 + tag19 + tag20 +
		   tag21 + tag22;

	printf("abi layout: %d structs checked (%d uapi, %d selftest), %d ioctls + IOMMU_TEST_CMD, "
	       "%d test ops\n",
	       N_STRUCTS_UAPI + N_STRUCTS_TEST, N_STRUCTS_UAPI, N_STRUCTS_TEST, N_IOCTLS,
	       N_TEST_OPS);
	(void)tags;
	return 0;
}
