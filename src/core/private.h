/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * private.h - every core object struct, in one place.
 *
 * Layers, top to bottom (one prefix each):
 *   main.c      the ioctl table and dispatcher (ucmd_), object IDs and lifetime (obj_)
 *   ioas.c      IOMMU_IOAS_* and IOMMU_OPTION handlers (ioas_)
 *   iopt.c      the I/O page table: areas, allowed and reserved ranges, IOVA allocation,
 *               keeping attached domains in step with the areas (iopt_)
 *   pages.c     "pages": user or file memory behind areas, pinned once however many
 *               domains or accesses use it, charged to RLIMIT_MEMLOCK (pages_, acct_)
 *   hwpt.c      hardware page tables (hwpt_) and devices (dev_)
 *   uaccess.c   reaching the caller's memory (uaccess_)
 *
 * Words: an IOVA range is [start, last], last inclusive; lengths are never added to a start
 * without a checked add. "Pinned" means held reachable for DMA and charged to a limit.
 *
 * Lock order: ctx->lock, then acct_lock (pages.c). ctx->lock serialises every ioctl on a
 * context, so objects of one context need no locks of their own; pages and accounting
 * objects may be reached from several contexts and use acct_lock for the shared counters.
 */
#ifndef IOASID_CORE_PRIVATE_H
#define IOASID_CORE_PRIVATE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"
#include "core/domain.h"
#include "util/checked.h"
#include "util/idtable.h"
#include "util/itree.h"

#define IOASID_PAGE_SHIFT 12
#define IOASID_PAGE_SIZE (1ULL << IOASID_PAGE_SHIFT)
/* The largest IOVA alignment the allocator chooses (a transparent huge page). */
#define IOASID_HPAGE_SIZE (2ULL << 20)

/* ---- objects ------------------------------------------------------------------------- */

enum obj_type {
	OBJ_NONE,
	OBJ_ANY,
	OBJ_DEVICE,
	OBJ_HWPT_PAGING,
	OBJ_HWPT_NESTED,
	OBJ_IOAS,
	OBJ_ACCESS,
	OBJ_FAULT,
	OBJ_VIOMMU,
	OBJ_VDEVICE,
	OBJ_VEVENTQ,
	OBJ_HW_QUEUE,
	OBJ_SELFTEST,
	OBJ_MAX,
};

/*
 * Every object starts with this. users counts long-term references (edges of the object
 * graph: an HWPT on its IOAS, a device on its HWPT); shortterm counts callers in flight that
 * looked the object up. IOMMU_DESTROY succeeds only when both are at their floor.
 */
struct obj {
	enum obj_type type;
	uint32_t id;          /* 0 until reserved */
	unsigned int users;   /* long-term references, including the table's own (1) */
	unsigned int shortterm;
	struct ioasid_ctx *ctx;
};

struct obj_ops {
	void (*destroy)(struct obj *obj);  /* never fails, never allocates */
	void (*abort)(struct obj *obj);    /* undo a creation that never published; NULL: destroy */
	size_t size;
};

struct ioasid_ctx {
	pthread_mutex_t lock;          /* serialises every call on this context */
	struct idtable *objects;       /* ID -> struct obj *, visible once published */
	struct ioasid_ctx_params params;
	struct acct_user *acct_user;   /* per-user counters of params.uid */
	struct acct_proc *acct_proc;   /* per-process counters of params.pid */
	int account_mode;              /* enum pages_account_mode for new pages */
	struct ioas *vfio_ioas;        /* IOMMU_VFIO_IOAS / type1 compat, may be NULL */
};

struct obj *obj_alloc(struct ioasid_ctx *ctx, enum obj_type type);
void obj_publish(struct ioasid_ctx *ctx, struct obj *obj);
void obj_abort(struct ioasid_ctx *ctx, struct obj *obj);
struct obj *obj_get(struct ioasid_ctx *ctx, uint32_t id, enum obj_type type);
void obj_put(struct obj *obj);
static inline void obj_ref(struct obj *obj)
{
	obj->users++;
}
static inline void obj_unref(struct obj *obj)
{
	obj->users--;
}
int obj_destroy_id(struct ioasid_ctx *ctx, uint32_t id);

/* ---- one ioctl call ---------------------------------------------------------------- */

struct ucmd {
	struct ioasid_ctx *ctx;
	uint64_t ubuffer;      /* the caller's struct */
	uint32_t user_size;
	void *cmd;             /* kernel-side copy, zero-extended */
};

int ucmd_respond(struct ucmd *ucmd, size_t cmd_len);

/* uaccess.c: the caller's memory */
int uaccess_from(struct ioasid_ctx *ctx, void *dst, uint64_t uptr, size_t len);
int uaccess_to(struct ioasid_ctx *ctx, uint64_t uptr, const void *src, size_t len);
extern const struct ioasid_mem_ops uaccess_self_ops;

/* ---- pinned memory ----------------------------------------------------------------- */

enum pages_account_mode {
	PAGES_ACCOUNT_NONE,  /* CAP_IPC_LOCK: nothing charged */
	PAGES_ACCOUNT_USER,  /* per user (default) */
	PAGES_ACCOUNT_MM,    /* per process (IOMMU_OPTION_RLIMIT_MODE 1) */
};

struct acct_user;
struct acct_proc;

enum pages_kind {
	PAGES_USER,   /* a range of the client's address space */
	PAGES_FILE,   /* a range of a file (memfd, tmpfs ...) */
};

/*
 * Memory behind one or more areas. Page index i covers bytes [i * PAGE, (i+1) * PAGE) of
 * the source starting at uptr (USER) or file_start (FILE), both page aligned. pinrefs[i]
 * counts the holders of page i (each area while its IOAS has a domain, each access pin);
 * npinned counts pages with pinrefs > 0 and is what is charged.
 */
struct pages {
	unsigned int refs;         /* areas + in-flight lists holding this object */
	enum pages_kind kind;
	uint64_t uptr;             /* USER: page aligned start */
	int fd;                    /* FILE: our own dup, -1 otherwise */
	uint64_t file_start;       /* FILE: page aligned offset */
	uint64_t npages;
	bool writable;
	int account_mode;
	struct acct_user *acct_user;
	struct acct_proc *acct_proc;
	const struct ioasid_mem_ops *mem;
	void *mem_priv;
	uint32_t *pinrefs;         /* npages counters, allocated on first pin */
	uint64_t npinned;
	uint8_t *host;             /* where page 0 is reachable while anything is pinned */
	uint64_t host_len;
};

struct pages *pages_new_user(struct ioasid_ctx *ctx, uint64_t uptr, uint64_t length,
			     bool writable);
struct pages *pages_new_file(struct ioasid_ctx *ctx, int fd, uint64_t start, uint64_t length,
			     bool writable, int *out_err);
void pages_get(struct pages *p);
void pages_put(struct pages *p);
/* Pin pages [first, last] (indexes): all or nothing; -EFAULT, -ENOMEM (limit). */
int pages_pin(struct pages *p, uint64_t first, uint64_t last);
void pages_unpin(struct pages *p, uint64_t first, uint64_t last);
/* Host address of byte `offset` of the pages; valid only while that page is pinned. */
static inline void *pages_host(struct pages *p, uint64_t offset)
{
	return p->host + offset;
}

void acct_put_user(struct acct_user *u);
void acct_put_proc(struct acct_proc *p);
struct acct_user *acct_get_user(uid_t uid);
struct acct_proc *acct_get_proc(pid_t pid);

/* ---- the I/O page table -------------------------------------------------------------- */

struct iopt_area {
	struct itree_node node;    /* [iova, last] */
	struct iopt *iopt;
	struct pages *pages;       /* NULL while being created or destroyed */
	uint64_t start_byte;       /* offset within pages of this area's first IOVA */
	int prot;                  /* enum iommu_prot */
	bool filled;               /* pinned and mapped into every domain */
	bool small;                /* mapped with pages no larger than IOASID_PAGE_SIZE */
	unsigned int num_accesses; /* access pins inside this area */
};

struct iopt_reserved {
	struct itree_node node;
	const void *owner;         /* a domain, a device, or NULL for test reservations */
};

struct iopt_allowed {
	struct itree_node node;
};

#define IOPT_MAX_DOMAINS 64

struct iopt {
	struct itree areas;
	struct itree allowed;      /* empty: everything not reserved is allowed */
	struct itree reserved;
	uint64_t iova_alignment;   /* power of two; max of domains' and accesses' page sizes */
	bool disable_large_pages;
	unsigned int ndomains;
	struct iommu_domain *domains[IOPT_MAX_DOMAINS];
	unsigned int naccesses;
};

void iopt_init(struct iopt *iopt);
void iopt_destroy(struct iopt *iopt);
int iopt_map_pages(struct iopt *iopt, struct pages *pages, uint64_t start_byte,
		   uint64_t length, uint64_t *inout_iova, int prot, bool alloc_iova);
/* Copy [src_iova, +length) of src into dst: the same pages, a new IOVA. */
int iopt_copy(struct iopt *dst, struct iopt *src, uint64_t src_iova, uint64_t length,
	      uint64_t *inout_iova, int prot, bool alloc_iova);
int iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length, uint64_t *out_unmapped);
int iopt_unmap_all(struct iopt *iopt, uint64_t *out_unmapped);
int iopt_set_allow(struct iopt *iopt, struct itree *new_allowed);
int iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last, const void *owner);
void iopt_unreserve_owner(struct iopt *iopt, const void *owner);
int iopt_add_domain(struct iopt *iopt, struct iommu_domain *d);
void iopt_remove_domain(struct iopt *iopt, struct iommu_domain *d);
int iopt_set_large_pages(struct iopt *iopt, bool enable);
/* Find the area holding iova, or NULL. */
struct iopt_area *iopt_find_area(struct iopt *iopt, uint64_t iova);
static inline uint64_t iopt_area_iova(const struct iopt_area *a)
{
	return a->node.start;
}
static inline uint64_t iopt_area_last(const struct iopt_area *a)
{
	return a->node.last;
}
/* Iterate the holes of [start, last] not covered by reserved (allowed honoured). */
typedef bool (*iopt_range_fn)(void *arg, uint64_t start, uint64_t last);
void iopt_for_each_usable(struct iopt *iopt, iopt_range_fn fn, void *arg);
/* CPU-side access to IOVA memory through the areas (an access, a simple DMA). */
int iopt_rw(struct iopt *iopt, uint64_t iova, void *buf, uint64_t len, bool write);

/* ---- IOAS ---------------------------------------------------------------------------- */

struct ioas {
	struct obj obj;
	struct iopt iopt;
};

struct ioas *ioas_alloc(struct ioasid_ctx *ctx);
struct ioas *ioas_get(struct ioasid_ctx *ctx, uint32_t id);

/* ---- handlers (one per ioctl) -------------------------------------------------------- */

int ioas_alloc_ioctl(struct ucmd *ucmd);
int ioas_allow_iovas_ioctl(struct ucmd *ucmd);
int ioas_copy_ioctl(struct ucmd *ucmd);
int ioas_iova_ranges_ioctl(struct ucmd *ucmd);
int ioas_map_ioctl(struct ucmd *ucmd);
int ioas_map_file_ioctl(struct ucmd *ucmd);
int ioas_unmap_ioctl(struct ucmd *ucmd);
int ioas_change_process_ioctl(struct ucmd *ucmd);
int pages_change_process(struct pages *p, struct ioasid_ctx *ctx);
int option_ioctl(struct ucmd *ucmd);
int vfio_ioas_ioctl(struct ucmd *ucmd);

void ioas_destroy(struct obj *obj);

/* vfio_compat.c: VFIO type1 ioctls on an iommufd */
int vfio_compat_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, uint64_t arg);

#endif
