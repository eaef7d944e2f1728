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
 *   hwpt.c      hardware page tables: IOMMU_HWPT_ALLOC, dirty tracking (hwpt_)
 *   hwpt_nested.c  nested HWPTs: the user's stage-1 data, IOMMU_HWPT_INVALIDATE (hwpt_nested_)
 *   fault.c     fault queues: IOMMU_FAULT_QUEUE_ALLOC, page requests and responses (fault_)
 *   viommu.c    vIOMMUs, vDEVICEs, vEVENTQs and HW queues (viommu_, vdevice_, veventq_)
 *   device.c    devices and their IOMMU models, attach/replace/detach, GET_HW_INFO (dev_)
 *   access.c    accesses: CPU-side users of an IOAS that pin, read and write (access_)
 *   mock_domain.c  the kernel selftest's mock IOMMU model and domain (mock_)
 *   selftest.c  IOMMU_TEST_CMD, behind IOASID_TEST_HOOKS (selftest_)
 *   vfio_compat.c  VFIO type1 container ioctls on a context (vfio_)
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
#include "iommu/phys.h"
#include "util/checked.h"
#include "util/idtable.h"
#include "util/itree.h"
#include "util/scount.h"

#define IOASID_PAGE_SHIFT 12
#define IOASID_PAGE_SIZE  (1ULL << IOASID_PAGE_SHIFT)
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
	uint32_t id;	    /* 0 until reserved */
	unsigned int users; /* long-term references, including the table's own (1) */
	unsigned int shortterm;
	struct ioasid_ctx *ctx;
	bool published; /* visible in the table (set by the dispatcher's commit) */
};

struct obj_ops {
	void (*destroy)(struct obj *obj); /* never fails, never allocates */
	void (*abort)(struct obj *obj);	  /* undo a creation that never published; NULL: destroy */
	/*
	 * At context close, before leaves are destroyed: drop references held on behalf of
	 * something outside the table (an in-process device's owner, an access fd). Optional.
	 */
	void (*close)(struct obj *obj);
	/* IOMMU_DESTROY is EBUSY while this says so (a vIOMMU's page still mapped). Optional. */
	bool (*busy)(struct obj *obj);
	size_t size;
};

struct iommu_ctx_dir;
struct iommu_dev;

struct ioasid_ctx {
	pthread_mutex_t lock;	 /* serialises every call on this context */
	struct idtable *objects; /* ID -> struct obj *, visible once published */
	struct ioasid_ctx_params params;
	struct acct_user *acct_user; /* per-user counters of params.uid */
	struct acct_proc *acct_proc; /* per-process counters of params.pid */
	int account_mode;	     /* enum pages_account_mode for new pages */
	struct ioas *vfio_ioas;	     /* IOMMU_VFIO_IOAS / type1 compat, may be NULL */
	struct pt_arena *pt_arena;   /* page tables of this context's domains, made on demand */
	bool vfio_type1_set;	     /* VFIO_SET_IOMMU done (type1 compat) */
	unsigned int nr_access_fds;  /* selftest access fds to check for a close */
	unsigned int nr_objects;     /* lock; bounded by params.max_objects */

	/* devices' IOMMU state by ID (src/iommu/pasid.c), read without the lock */
	struct iommu_ctx_dir *iommu_dir;
	unsigned int nr_faults;	   /* fault queues and vEVENTQs alive: served before a call */
	unsigned int nr_fault_fds; /* ... whose fd the program still holds */
	bool waits_cancelled;	   /* ioasid_ctx_cancel_waits(): no DMA waits any more */
	/* dmabuf.c's: linked once it imported a dma-buf, revokes in progress visiting it */
	bool dmabuf_linked;
	unsigned int dmabuf_holds;
	struct ioasid_ctx *dmabuf_next;
	/* objects made by the call in progress, oldest first (obj_commit_pending) */
	unsigned int npending;
	struct obj *pending[8];
};

/*
 * Does the program expect the answers of a Linux release older than ver (util/kver.h)?
 * kernel_abi 0 means the newest, which is older than nothing.
 */
static inline bool ctx_abi_before(const struct ioasid_ctx *ctx, uint32_t ver)
{
	return ctx->params.kernel_abi && ctx->params.kernel_abi < ver;
}

#define CTX_MAX_PENDING 8
/*
 * The most fault queues and vEVENTQs one context may hold: each keeps an fd open in the
 * process serving the context (the daemon), which must not run out of them for one client.
 * More are EMFILE, as the caller would get with a full fd table.
 */
#define CTX_MAX_FD_OBJECTS 256

/* The context's table arena (one memfd for all its domains), created on first use. */
struct pt_arena *ctx_pt_arena(struct ioasid_ctx *ctx);

/*
 * A new object, its ID reserved but invisible, on the context's pending list (NULL: no
 * memory). The call that made it ends with obj_commit_pending: the dispatcher does it after
 * the handler returns; the in-process API at the end of its public function.
 */
struct obj *obj_alloc(struct ioasid_ctx *ctx, enum obj_type type);
/* Abort one pending object now (a handler's own failure path); commit will not see it. */
void obj_abort(struct ioasid_ctx *ctx, struct obj *obj);
/* rc >= 0: publish every pending object, oldest first; else abort them, newest first. */
int obj_commit_pending(struct ioasid_ctx *ctx, int rc);
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
/* Take an object out of the table and destroy it, whatever its counts (pending: abort). */
void obj_remove(struct ioasid_ctx *ctx, struct obj *obj);

/* ---- one ioctl call ---------------------------------------------------------------- */

struct ucmd {
	struct ioasid_ctx *ctx;
	uint64_t ubuffer; /* the caller's struct */
	uint32_t user_size;
	void *cmd; /* kernel-side copy, zero-extended */
};

int ucmd_respond(struct ucmd *ucmd, size_t cmd_len);
/*
 * The fd fields of command cmd, from the command table: offsets in its struct of an fd the
 * caller passes in and of one the call creates for the caller (-1: none). 0 or -ENOTTY.
 */
int ucmd_fd_fields(unsigned long cmd, int *out_in_fd, int *out_out_fd);

/* uaccess.c: the caller's memory */
int uaccess_from(struct ioasid_ctx *ctx, void *dst, uint64_t uptr, size_t len);
int uaccess_to(struct ioasid_ctx *ctx, uint64_t uptr, const void *src, size_t len);
/*
 * A driver struct of ulen bytes at uptr into dst (dst_len bytes), as the kernel's
 * copy_struct_from_user: a longer one must end in zeros (E2BIG), a shorter one is
 * zero-extended; EFAULT if unreadable. The caller checks the minimum length.
 */
int uaccess_struct_from(struct ioasid_ctx *ctx, void *dst, size_t dst_len, uint64_t uptr,
			size_t ulen);
extern const struct ioasid_mem_ops uaccess_self_ops;

/* ---- pinned memory ----------------------------------------------------------------- */

enum pages_account_mode {
	PAGES_ACCOUNT_NONE, /* CAP_IPC_LOCK: nothing charged */
	PAGES_ACCOUNT_USER, /* per user (default) */
	PAGES_ACCOUNT_MM,   /* per process (IOMMU_OPTION_RLIMIT_MODE 1) */
};

struct acct_user;
struct pt_arena;
struct acct_proc;

enum pages_kind {
	PAGES_USER, /* a range of the client's address space */
	PAGES_FILE, /* a range of a file (memfd, tmpfs ...) */
};

/*
 * Memory behind one or more areas. Page index i covers bytes [i * PAGE, (i+1) * PAGE) of
 * the source starting at uptr (USER) or file_start (FILE), both page aligned. pinrefs, at
 * i, counts the holders of page i (each area while its IOAS has a domain, each access pin);
 * npinned counts pages with pinrefs > 0 and is what is charged.
 */
struct pages {
	unsigned int refs; /* areas + in-flight lists holding this object */
	enum pages_kind kind;
	uint64_t uptr;		 /* USER: page aligned start */
	int fd;			 /* FILE: the shared file's fd (file->fd), -1 otherwise */
	struct pages_file *file; /* FILE: one dup per open file, shared (pages.c) */
	uint64_t file_start;	 /* FILE: page aligned offset */
	uint64_t npages;
	bool writable;
	int account_mode;
	struct acct_user *acct_user;
	struct acct_proc *acct_proc;
	const struct ioasid_mem_ops *mem;
	void *mem_priv;		  /* the source (mem->source_get), else the context's mem_priv */
	struct pages *pin_next;	  /* on the list of pinned pages objects (acct_lock) */
	struct pages **pin_pprev; /* NULL while nothing is pinned */
	/* IOMMU_IOAS_CHANGE_PROCESS in progress (pages_change_prepare .. commit or abort) */
	void *chg_source;
	bool chg_pending;
	bool chg_charged;
	struct scount pinrefs; /* npages counters, sparse: leaves made as pages are pinned */
	uint64_t npinned;
	uint8_t *host; /* where page 0 is reachable while anything is pinned */
	uint64_t host_len;
	/* the emulated physical addresses of host (iommu/phys.h), while host is set */
	struct iommu_phys_region *phys;
	/*
	 * A dma-buf's range (MAP_FILE of a dma-buf): kind FILE over the exporter's memory, with
	 * no accounting; a reference to the entry; the revoke generation it was imported at;
	 * revoked (ctx->lock): unmapped for good, never pinned again.
	 */
	struct ioasid_dmabuf *dmabuf;
	struct ioasid_ctx *dmabuf_ctx; /* the importing context (pages live in one) */
	unsigned int dmabuf_gen;
	bool dmabuf_revoked;
};

struct pages *pages_new_user(struct ioasid_ctx *ctx, uint64_t uptr, uint64_t length, bool writable);
struct pages *pages_new_file(struct ioasid_ctx *ctx, int fd, uint64_t start, uint64_t length,
			     bool writable, int *out_err);
/* MAP_FILE of a dma-buf: [start, start + length) of b (dmabuf_import's checks). */
struct pages *pages_new_dmabuf(struct ioasid_ctx *ctx, struct ioasid_dmabuf *b, uint64_t start,
			       uint64_t length, bool writable, int *out_err);
void pages_get(struct pages *p);
void pages_put(struct pages *p);
/* Pin pages [first, last] (indexes): all or nothing; -EFAULT, -ENOMEM (limit). */
int pages_pin(struct pages *p, uint64_t first, uint64_t last);
/* Does any holder pin page idx (false past the end)? Safe beside the writer. */
bool pages_is_pinned(const struct pages *p, uint64_t idx);
void pages_unpin(struct pages *p, uint64_t first, uint64_t last);
/* Host address of byte `offset` of the pages; valid only while that page is pinned. */
static inline void *pages_host(struct pages *p, uint64_t offset)
{
	return p->host + offset;
}

/*
 * The emulated physical address (iommu/phys.h) of byte `offset`: what a domain maps and
 * NOIOMMU_GET_PA answers. Valid only while that page is pinned.
 */
static inline uint64_t pages_name(const struct pages *p, uint64_t offset)
{
	return p->phys->name + offset;
}

/* ---- dma-bufs (dmabuf.c, dmabuf.h): what the importer uses ------------------------------ */

struct ioasid_dmabuf;
/* The dma-buf fd's token names, with a reference; NULL if fd is no dma-buf. */
struct ioasid_dmabuf *dmabuf_get_fd(int fd);
void dmabuf_put(struct ioasid_dmabuf *b);
/*
 * Import [start, start + length) of b into ctx (ctx->lock): -EINVAL (outside b), -ENODEV
 * (revoked), -EOPNOTSUPP (not one range of memory we reach), or 0 with a duplicate of the
 * memory's fd, its offset, the revoke generation, and a reference on b for the importer.
 */
int dmabuf_import(struct ioasid_dmabuf *b, struct ioasid_ctx *ctx, uint64_t start, uint64_t length,
		  int *out_fd, uint64_t *out_off, unsigned int *out_gen);
/* An importer of ctx (a pages object, pages_put) lets go of b. */
void dmabuf_release(struct ioasid_dmabuf *b, struct ioasid_ctx *ctx);
/* Was b revoked since generation gen? */
bool dmabuf_stale(struct ioasid_dmabuf *b, unsigned int gen);
/* ioasid_ctx_free, with ctx->lock released: no revoke visits ctx after this. */
void dmabuf_ctx_fini(struct ioasid_ctx *ctx);
/* ioas.c, under ctx->lock: unmap, for good, every area of a revoked dma-buf. */
void ioas_dmabuf_revoke(struct ioasid_ctx *ctx);

/*
 * How many pages objects reached through mem/source hold the user page at uptr pinned:
 * the kernel's pin count of that page (one pin per pages object, however many holders),
 * across every context whose calls come from the source's process.
 */
unsigned int pages_count_user_pins(const struct ioasid_mem_ops *mem, void *source, uint64_t uptr);
/* The same for the page at offset of file (dev, ino): pages objects of IOMMU_IOAS_MAP_FILE. */
unsigned int pages_count_file_pins(uint64_t dev, uint64_t ino, uint64_t offset);
bool pages_any_file_pinned(void);
/*
 * The source of the call being served on ctx (mem->source_get), or the context's mem_priv
 * when the ops have none. 0 or -ENOMEM. Give it back with pages_source_put.
 */
int pages_source_get(struct ioasid_ctx *ctx, void **out_source);
void pages_source_put(const struct ioasid_mem_ops *mem, void *source);

void acct_put_user(struct acct_user *u);
void acct_put_proc(struct acct_proc *p);
struct acct_user *acct_get_user(uid_t uid);
struct acct_proc *acct_get_proc(pid_t pid);

/* ---- the I/O page table -------------------------------------------------------------- */

struct iopt_area {
	struct itree_node node; /* [iova, last] */
	struct iopt *iopt;
	struct pages *pages;	   /* NULL while being created or destroyed */
	uint64_t start_byte;	   /* offset within pages of this area's first IOVA */
	int prot;		   /* enum iommu_prot */
	bool filled;		   /* pinned and mapped into every domain */
	bool small;		   /* mapped with pages no larger than IOASID_PAGE_SIZE */
	bool prevent_access;	   /* being unmapped: no new access pins or rw */
	unsigned int num_accesses; /* access pins inside this area */
	unsigned int num_locks;	   /* of them, pins of internal accesses: unmap is EBUSY */
};

/*
 * An access as the iopt sees it (embedded in struct access): its alignment and the call
 * that asks its owner to drop every pin inside [iova, iova + length - 1].
 */
struct iopt_access {
	struct iopt_access *next;
	uint64_t iova_alignment;
	void (*unmap)(struct iopt_access *ia, uint64_t iova, uint64_t length);
};

struct iopt_reserved {
	struct itree_node node;
	const void *owner; /* a domain, a device, or NULL for test reservations */
};

struct iopt_allowed {
	struct itree_node node;
};

#define IOPT_MAX_DOMAINS 64

struct iopt {
	struct itree areas;
	struct itree allowed; /* empty: everything not reserved is allowed */
	struct itree reserved;
	uint64_t iova_alignment; /* power of two; max of domains' and accesses' page sizes */
	bool disable_large_pages;
	unsigned int ndomains;
	struct iommu_domain *domains[IOPT_MAX_DOMAINS];
	struct iopt_access *accesses; /* singly linked */
};

void iopt_init(struct iopt *iopt);
void iopt_destroy(struct iopt *iopt);
int iopt_map_pages(struct iopt *iopt, struct pages *pages, uint64_t start_byte, uint64_t length,
		   uint64_t *inout_iova, int prot, bool alloc_iova);
/* Copy [src_iova, +length) of src into dst: the same pages, a new IOVA. */
/* Is [iova, iova + length) covered by areas without a gap? 0, EINVAL, EOVERFLOW or ENOENT */
int iopt_check_contig(struct iopt *iopt, uint64_t iova, uint64_t length);
int iopt_copy(struct iopt *dst, struct iopt *src, uint64_t src_iova, uint64_t length,
	      uint64_t *inout_iova, int prot, bool alloc_iova);
int iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length, uint64_t *out_unmapped);
int iopt_unmap_all(struct iopt *iopt, uint64_t *out_unmapped);
/*
 * Make each of iovas the last byte of an area, splitting the area holding it (VFIO type1
 * v1 unmaps part of a mapping this way). -EINVAL (misaligned, pinned by an access, mapped
 * with large pages), -EBUSY, -ENOMEM; cuts made before a failure stay.
 */
int iopt_cut_iova(struct iopt *iopt, const uint64_t *iovas, unsigned int n);
int iopt_set_allow(struct iopt *iopt, struct itree *new_allowed);
int iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last, const void *owner);
void iopt_unreserve_owner(struct iopt *iopt, const void *owner);
int iopt_add_domain(struct iopt *iopt, struct iommu_domain *d);
void iopt_remove_domain(struct iopt *iopt, struct iommu_domain *d);
/* A revoked dma-buf's area: out of every domain and unpinned (its IOVA stays taken). */
void iopt_area_revoke(struct iopt_area *a);
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
/* Accesses: -EADDRINUSE if the access's alignment breaks existing areas. */
int iopt_add_access(struct iopt *iopt, struct iopt_access *ia);
void iopt_remove_access(struct iopt *iopt, struct iopt_access *ia);
/*
 * Pin [iova, iova + length - 1] for an access: all or nothing. -EINVAL (not page aligned
 * inside the pages, or being unmapped), -EPERM (prot), -ENOENT (a hole), -ENOMEM, -EFAULT.
 * out_host, if not NULL, receives the host address of each CPU page of the range.
 */
/* lock: an internal access's pin (a HW queue's), which an unmap refuses with EBUSY */
int iopt_access_pin(struct iopt *iopt, uint64_t iova, uint64_t length, bool write, bool lock,
		    void **out_host);
void iopt_access_unpin(struct iopt *iopt, uint64_t iova, uint64_t length, bool lock);
/* CPU access through the areas for an access: as iopt_rw, EINVAL while being unmapped. */
int iopt_access_rw(struct iopt *iopt, uint64_t iova, void *buf, uint64_t len, bool write);

/* ---- IOAS ---------------------------------------------------------------------------- */

struct hwpt_paging;

struct ioas {
	struct obj obj;
	struct iopt iopt;
	struct hwpt_paging *hwpts; /* paging HWPTs on this IOAS, linked by ioas_next */
};

struct ioas *ioas_alloc(struct ioasid_ctx *ctx);
struct ioas *ioas_get(struct ioasid_ctx *ctx, uint32_t id);

/* ---- devices and their IOMMU models ------------------------------------------------- */

struct device;

/*
 * An IOMMU model: what an emulated IOMMU offers a device. Every device reaches its IOMMU
 * through one of these, so a new IOMMU is a new table, never a new attach path.
 */
struct dev_model_ops {
	const char *name;
	/*
	 * A paging domain for dev. flags are IOMMU_HWPT_ALLOC_NEST_PARENT, _DIRTY_TRACKING and
	 * _PASID, already checked against the device's capabilities. 0, -EOPNOTSUPP, -ENOMEM.
	 */
	int (*domain_alloc_paging)(struct device *dev, uint32_t flags, struct iommu_domain **out);
	/*
	 * Optional: a paging domain with driver data of type paging_data_type (IOMMU_HWPT_ALLOC
	 * on an IOAS with data), copied into paging_data_max bytes, zero-extended, at least
	 * paging_data_min long. Errors as domain_alloc_paging.
	 */
	int (*domain_alloc_paging_data)(struct device *dev, uint32_t flags, const void *data,
					struct iommu_domain **out);
	uint32_t paging_data_type, paging_data_min, paging_data_max;
	/* May dev attach to this HWPT (made by the same model)? 0 or -EINVAL. */
	int (*attach_check)(struct device *dev, const struct hwpt_paging *hwpt);
	/*
	 * Hardware info: fills up to buf_len bytes of buf, the whole data's length and its
	 * IOMMU_HW_INFO_TYPE_*. NULL: type NONE, no data.
	 */
	int (*hw_info)(struct device *dev, void *buf, uint32_t buf_len, uint32_t *out_len,
		       uint32_t *out_type);
	/* Test hook: a DMA write at iova sets the domain's dirty state. Optional. */
	int (*mark_dirty)(struct iommu_domain *d, uint64_t iova);
	void (*release)(struct device *dev); /* frees model_priv; optional */
};

enum dev_caps {
	DEV_CAP_DIRTY = 1 << 0, /* its IOMMU can track dirty pages */
	DEV_CAP_PASID = 1 << 1, /* PASID capable, max_pasid_log2 bits */
};

#define DEV_MAX_RESV 4
/* PASID table width of every device; the model's max_pasid_log2 narrows what is valid */
#define DEV_PASID_BITS 20

struct dev_pasid {
	uint32_t pasid;
	struct hwpt_paging *hwpt;   /* holds a device reference on it (hwpt_put_device) */
	struct hwpt_nested *nested; /* a nested HWPT on hwpt the PASID is attached to, or NULL */
};

/*
 * A device bound to a context. users: the table's 1, the binder's 1 (an owner outside
 * the table: a selftest object or the in-process API), 1 while attached. So IOMMU_DESTROY
 * of a device is EBUSY, as in the kernel; the binder unbinds it (dev_unbind).
 */
struct device {
	struct obj obj;
	const struct dev_model_ops *model;
	void *model_priv;
	uint32_t model_flags; /* model-specific (mock: MOCK_FLAGS_DEVICE_*) */
	unsigned int caps;    /* enum dev_caps */
	unsigned int max_pasid_log2;
	unsigned int nr_resv; /* reserved IOVA regions (an MSI window ...) */
	struct iommu_iova_range resv[DEV_MAX_RESV];
	struct hwpt_paging *hwpt; /* what the RID is attached to; NULL: blocked */
	struct iommu_dev *iommu;  /* PASID table the DMA path reads (src/iommu) */
	struct dev_pasid *pasids; /* PASIDs other than 0 attached, unordered */
	unsigned int nr_pasids;
	/* a nested HWPT on hwpt the RID is attached to instead (hwpt is its parent), or NULL */
	struct hwpt_nested *nested;
	bool ctx_owned; /* bound by ioasid_device_new: context close unbinds */
};

/* A paging HWPT: one domain kept in step with its IOAS. users: 1 + devices attached. */
struct hwpt_paging {
	struct obj obj;
	struct iommu_domain *domain;
	const struct dev_model_ops *model; /* whose domain it is */
	struct ioas *ioas;		   /* holds a user reference on it */
	struct hwpt_paging *ioas_next;
	uint32_t alloc_flags; /* IOMMU_HWPT_ALLOC_* it was made with */
	bool auto_domain;     /* made by an attach to an IOAS; dies with its last device */
	bool in_iopt;	      /* the domain is in ioas->iopt */
	unsigned int ndevices;
	struct fault_queue *fault; /* IOMMU_HWPT_FAULT_ID_VALID: holds a user reference */
};

struct iommu_fault;
struct device *dev_get(struct ioasid_ctx *ctx, uint32_t id);
/* ioasid_device_new under ctx->lock: a context-owned device, pending until the call commits. */
int device_new_locked(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
		      uint32_t *out_dev_id);
/* Page requests one DMA call makes at most before it gives up on a fault. */
#define DEV_DMA_MAX_PAGE_REQUESTS 16
/*
 * Device DMA with I/O page faults: copy len bytes between buf and [iova, iova + len - 1]
 * (not wrapping) of device dev_id at pasid, lock-free; a fault on a fault-capable HWPT is
 * reported to its fault queue and the DMA waits for the answer (taking ctx->lock unless
 * locked says the caller holds it; dropped while waiting), then retries from the faulting
 * byte (SUCCESS) or stops (INVALID, a closed queue, a timeout). 0, or -EFAULT with *fault,
 * -ENODEV (nothing attached), -ENOENT (no device); *out_done: bytes copied.
 */
int dev_dma_iopf(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova, void *buf,
		 size_t len, bool write, bool locked, struct iommu_fault *fault, size_t *out_done);
/* Bind a new device (published, users 2). 0, -ENOMEM. */
int dev_bind(struct ioasid_ctx *ctx, const struct dev_model_ops *model, void *model_priv,
	     struct device **out);
void dev_unbind(struct device *dev);
/* pt_id: an HWPT or an IOAS (auto domain); on success *inout_pt_id is the HWPT used. */
int dev_attach(struct device *dev, uint32_t *inout_pt_id);
int dev_replace(struct device *dev, uint32_t *inout_pt_id);
void dev_detach(struct device *dev);
/*
 * Per PASID (IOMMU_NO_PASID is the RID: the calls above). Errnos as the kernel's: EINVAL for
 * a PASID the device lacks, an HWPT not allocated with IOMMU_HWPT_ALLOC_PASID (or a RID on
 * such an HWPT), attach of a PASID attached elsewhere, replace of one not attached; EBUSY
 * for attach of a PASID already on that HWPT. Detach of a PASID not attached does nothing.
 */
int dev_pasid_attach(struct device *dev, uint32_t pasid, uint32_t *inout_pt_id);
int dev_pasid_replace(struct device *dev, uint32_t pasid, uint32_t *inout_pt_id);
void dev_pasid_detach(struct device *dev, uint32_t pasid);
/* The same, EINVAL for a PASID the device lacks or that is not attached (the C API's). */
int dev_pasid_detach_checked(struct device *dev, uint32_t pasid);
/* The HWPT object a PASID of dev is attached to: a nested HWPT, else the paging one, or NULL. */
struct obj *dev_pasid_attached(struct device *dev, uint32_t pasid);
/* The paging HWPT a PASID of dev is attached to (a nested HWPT's parent), or NULL. */
struct hwpt_paging *dev_pasid_hwpt(const struct device *dev, uint32_t pasid);
void device_destroy(struct obj *obj);
void device_close(struct obj *obj);

struct hwpt_paging *hwpt_paging_get(struct ioasid_ctx *ctx, uint32_t id);
/* A new, unpublished paging HWPT on ioas for dev's model, its domain in the iopt. */
int hwpt_paging_alloc(struct ioas *ioas, struct device *dev, uint32_t flags,
		      struct hwpt_paging **out);
/* The same with the model's driver data (NULL: none), already copied and checked. */
int hwpt_paging_alloc_data(struct ioas *ioas, struct device *dev, uint32_t flags, const void *data,
			   struct hwpt_paging **out);
/* The flag rules of a paging HWPT for dev: 0 or -EOPNOTSUPP. */
int hwpt_paging_check_flags(const struct device *dev, uint32_t flags);
/* Drop a device's reference; an auto domain with no device left is destroyed. */
void hwpt_put_device(struct hwpt_paging *hwpt);
void hwpt_paging_destroy(struct obj *obj);
void hwpt_paging_abort(struct obj *obj);

/* The mock IOMMU (mock_domain.c): the kernel selftest's, with MOCK_FLAGS_DEVICE_* flags. */
extern const struct dev_model_ops mock_model_ops;
int mock_dev_new(struct ioasid_ctx *ctx, uint32_t dev_flags, struct device **out);
bool mock_is_domain(const struct iommu_domain *d);

/* ---- nesting, fault queues, vIOMMUs (hwpt_nested.c, fault.c, viommu.c) ------------------- */

struct viommu;
struct fault_group;
struct vevent;

/*
 * A nested HWPT: a stage-1 table the user owns, in a hardware format, translated through
 * the stage 2 of its parent (a paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT).
 * data is a copy of the user's IOMMU_HWPT_ALLOC data, data_type its IOMMU_HWPT_DATA_*: the
 * translation side reads the stage-1 root and attributes from it (hwpt_nested_stage1).
 * users: the table's 1 + each attached device. Holds a user reference on its parent, its
 * vIOMMU (when allocated on one) and its fault queue.
 */
struct iommu_xlate;

struct hwpt_nested {
	struct obj obj;
	struct hwpt_paging *parent;
	struct viommu *viommu; /* NULL when allocated on the parent HWPT directly */
	const struct dev_model_ops *model;
	uint32_t data_type;
	uint32_t data_len;
	void *data;
	uint32_t alloc_flags; /* IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_ALLOC_PASID */
	/* the translation devices on it use (src/iommu nested.c), or NULL: the parent's only */
	struct iommu_xlate *xlate;
	int attach_err; /* data the kernel rejects at attach, not at allocation (VT-d) */
	struct fault_queue *fault;
	unsigned int ndevices;
	/* caches the user invalidates (the mock's IOTLB of IOMMU_HWPT_DATA_SELFTEST) */
	uint32_t mock_iotlb[4];
	uint64_t invalidations; /* entries handled by IOMMU_HWPT_INVALIDATE */
};

struct hwpt_nested *hwpt_nested_get(struct ioasid_ctx *ctx, uint32_t id);
/* IOMMU_HWPT_ALLOC of a nested HWPT on parent (or on viommu, whose parent it is): pending. */
int hwpt_nested_alloc(struct ucmd *ucmd, struct hwpt_paging *parent, struct viommu *viommu,
		      struct device *dev, struct hwpt_nested **out);
/*
 * The stage-1 data of a nested HWPT, for the translation side: its type and bytes (valid
 * while the HWPT lives) and its parent's stage-2 domain.
 */
void hwpt_nested_stage1(const struct hwpt_nested *n, uint32_t *out_type, const void **out_data,
			uint32_t *out_len, struct iommu_domain **out_stage2);
/* May dev attach to nested (its model made the parent)? 0 or -EINVAL. */
int hwpt_nested_attach_check(struct device *dev, const struct hwpt_nested *n);
/*
 * Link and unlink a device at a PASID (slot: where the device records the nested HWPT of
 * that PASID; a user reference each); the parent is linked by device.c.
 */
void hwpt_nested_link(struct device *dev, struct hwpt_nested **slot, struct hwpt_nested *n);
void hwpt_nested_unlink(struct device *dev, struct hwpt_nested **slot);
/* The user's invalidation scoped to a vIOMMU: every nested HWPT on v drops its IOTLB entries. */
void hwpt_nested_flush_viommu(struct viommu *v);
void hwpt_nested_destroy(struct obj *obj);
/*
 * The fault queue of whatever dev's RID (or, pasid_valid, that PASID; with nothing there, a
 * nested RID) is attached to, and that HWPT (as an owner). The selftest's TRIGGER_IOPF.
 */
struct fault_queue *dev_fault_queue(struct device *dev, bool pasid_valid, uint32_t pasid,
				    const void **out_owner);
/*
 * The fault queue a DMA fault of dev at pasid goes to, and its owner (the HWPT): the nested
 * HWPT's for a stage-1 fault, else the paging HWPT's. NULL: not fault-capable.
 */
struct fault_queue *dev_pasid_fault_queue(struct device *dev, uint32_t pasid, unsigned int stage,
					  const void **out_owner);

/* A page request answered: code is IOMMUFD_PAGE_RESP_*. */
typedef void (*fault_done_fn)(void *arg, uint32_t code);

/*
 * A fault queue. users: the table's 1, the program's fd while any copy of it is open, one
 * per HWPT that names it. The fd is one end of a socketpair; core_fd is ours (fault.c).
 */
struct fault_queue {
	struct obj obj;
	int core_fd;
	bool fd_open; /* the program's end still open: its reference is held */
	bool hung_up;
	uint32_t next_cookie;
	struct fault_group *pending; /* groups reported, waiting for the program's response */
	unsigned int npending;
	size_t out_len, in_len;
	uint8_t out[64 * sizeof(struct iommu_hwpt_pgfault)]; /* records not yet taken */
	uint8_t in[64 * sizeof(struct iommu_hwpt_page_response)];
	uint64_t stats_reported, stats_responses, stats_bad_responses, stats_dropped;
};

struct fault_queue *fault_get(struct ioasid_ctx *ctx, uint32_t id);
/*
 * Report one group of page requests (n records, dev_id and the request fields filled in;
 * the last gets LAST_PAGE, all get the group's cookie) from a device attached to owner (an
 * HWPT). done(done_arg, code) runs once the program answers, or with RESP_INVALID when the
 * group is cancelled. 0, -ENOSPC (queue full or fd closed: answer it yourself), -ENOMEM.
 */
int fault_report(struct fault_queue *fq, const void *owner, const struct iommu_hwpt_pgfault *recs,
		 unsigned int n, fault_done_fn done, void *done_arg);
/* Answer RESP_INVALID every group from owner (and dev_id, if not 0): a device detached. */
void fault_cancel_owner(struct fault_queue *fq, const void *owner, uint32_t dev_id);
/*
 * A device's DMA that faulted on a fault-capable HWPT: report rec (one group) on fq and wait
 * for the program's answer. ctx->lock held; dropped while waiting (the program may map,
 * or answer from another thread) and taken again before returning. The response code
 * (IOMMUFD_PAGE_RESP_SUCCESS: retry; RESP_INVALID, also when the fd is closed or the device
 * detaches), or -ETIMEDOUT (no answer in time: the group is withdrawn), -ECANCELED (the
 * caller exited, mem ops' caller_gone, or ioasid_ctx_cancel_waits(): withdrawn too),
 * -ENOSPC, -ENOMEM.
 */
int fault_dma_wait(struct ioasid_ctx *ctx, struct fault_queue *fq, const void *owner,
		   const struct iommu_hwpt_pgfault *rec);
/* Take the program's responses and push out pending records. */
void fault_service(struct fault_queue *fq);
/* Every fault queue of ctx: service, and drop the fd's reference once it is closed. */
void fault_sweep(struct ioasid_ctx *ctx);
void fault_destroy(struct obj *obj);
void fault_close(struct obj *obj);
int fault_alloc_ioctl(struct ucmd *ucmd);

/*
 * A vIOMMU: one VM's slice of the IOMMU of dev, on a nest-parent HWPT (its stage 2). Holds
 * a user reference on the parent; each vDEVICE, nested HWPT, vEVENTQ and HW queue on it
 * holds one on the vIOMMU.
 */
struct viommu {
	struct obj obj;
	uint32_t type; /* IOMMU_VIOMMU_TYPE_* */
	struct hwpt_paging *parent;
	const struct dev_model_ops *model;
	struct vdevice *vdevs;		   /* linked by next */
	struct veventq *veventqs;	   /* linked by next; at most one per type */
	struct hw_queue *hw_queues;	   /* linked by next */
	uint32_t data;			   /* the mock's in_data */
	uint64_t mmap_offset, mmap_length; /* the pages it offers through mmap of the iommufd */
	int mmap_fd;			   /* a read-only fd of the memfd holding them, or -1 */
	uint64_t invalidations;
};

/* A vDEVICE: dev as the vIOMMU's guest sees it, virt_id its guest ID. */
struct vdevice {
	struct obj obj;
	struct viommu *viommu;
	struct device *dev; /* holds a user reference */
	uint64_t virt_id;
	struct vdevice *next;
	uint32_t cache[4]; /* the mock device cache of IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST */
};

/* A vEVENTQ: events of one type for the vIOMMU's guest, on an fd (viommu.c). */
struct veventq {
	struct obj obj;
	struct viommu *viommu;
	struct veventq *next;
	uint32_t type;
	uint32_t depth;	   /* events held at most */
	uint32_t sequence; /* of the next event, 0..INT32_MAX */
	int core_fd;
	bool fd_open;
	bool lost;	   /* events were dropped and the pipe had no room to say so yet */
	bool lost_at_tail; /* the last record written is a LOST_EVENTS header */
	uint32_t nqueued;
	struct vevent *head, **tail;
};

/* A HW queue: guest queue memory handed to the (virtual) hardware. */
struct hw_queue {
	struct obj obj;
	struct viommu *viommu;
	struct hw_queue *next;
	uint32_t type;
	uint32_t index;
	uint64_t base_iova, length;
	struct access *access;	/* pins the queue memory in the parent's IOAS */
	struct hw_queue *below; /* index - 1 of the same type: held, freed after us */
};

struct viommu *viommu_get(struct ioasid_ctx *ctx, uint32_t id);
struct vdevice *viommu_find_vdev(struct viommu *v, uint64_t virt_id);
struct vdevice *vdevice_of_dev(struct ioasid_ctx *ctx, struct device *dev);
/* Queue one event of type for the guest: 0, -ENOENT (no vEVENTQ of that type). */
int veventq_report(struct viommu *v, uint32_t type, const void *data, size_t len);
/* vIOMMU-scoped IOMMU_HWPT_INVALIDATE (hwpt_id names a vIOMMU). */
int viommu_invalidate(struct viommu *v, uint32_t type, uint64_t uptr, uint32_t entry_len,
		      uint32_t *inout_num);
void viommu_destroy(struct obj *obj);
bool viommu_busy(struct obj *obj);
void vdevice_destroy(struct obj *obj);
void veventq_destroy(struct obj *obj);
void veventq_close(struct obj *obj);
void hw_queue_destroy(struct obj *obj);
/* Every vEVENTQ of ctx: drop the fd's reference once it is closed. */
void viommu_sweep(struct ioasid_ctx *ctx);
/* dev is going away: its vDEVICE goes first. */
void viommu_dev_gone(struct device *dev);
int viommu_alloc_ioctl(struct ucmd *ucmd);
int vdevice_alloc_ioctl(struct ucmd *ucmd);
int veventq_alloc_ioctl(struct ucmd *ucmd);
int hw_queue_alloc_ioctl(struct ucmd *ucmd);

/*
 * hw_info.c: the IOMMU_GET_HW_INFO data of an IOMMU walking cfg's format (VT-d, SMMUv3, AMD;
 * others: type NONE, no data), as the dev_model_ops hw_info call.
 */
struct pt_config;
int hw_info_of_config(const struct pt_config *cfg, bool dirty, void *buf, uint32_t buf_len,
		      uint32_t *out_len, uint32_t *out_type);

/* ---- accesses -------------------------------------------------------------------------- */

struct access;

/* What the access's owner supplies. */
struct access_ops {
	bool needs_pin_pages; /* pins pages: IOVA alignment becomes the CPU page */
	/*
	 * An object of the context's own (a HW queue), as the kernel's internal accesses: its
	 * pins lock the areas, so an unmap of them is EBUSY instead of a request to let go.
	 */
	bool internal;
	/* Unpin everything inside [iova, iova + length - 1]; the IOAS is being unmapped. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
	/* The context is closing: the owner lets go (access_destroy). */
	void (*close)(void *data);
};

/* users: the table's 1 and the owner's 1: IOMMU_DESTROY of an access is EBUSY. */
struct access {
	struct obj obj;
	struct iopt_access hook;
	struct ioas *ioas;	 /* NULL while detached */
	struct ioas *ioas_unpin; /* where pins live (differs from ioas during a replace) */
	const struct access_ops *ops;
	void *data;
};

int access_create(struct ioasid_ctx *ctx, const struct access_ops *ops, void *data,
		  struct access **out);
void access_destroy(struct access *access);
int access_attach(struct access *access, uint32_t ioas_id);
int access_replace(struct access *access, uint32_t ioas_id);
int access_pin_pages(struct access *access, uint64_t iova, uint64_t length, bool write,
		     void **out_host);
void access_unpin_pages(struct access *access, uint64_t iova, uint64_t length);
int access_rw(struct access *access, uint64_t iova, void *buf, uint64_t length, bool write);
void access_obj_destroy(struct obj *obj);
void access_obj_close(struct obj *obj);

/* ---- handlers (one per ioctl) -------------------------------------------------------- */

int ioas_alloc_ioctl(struct ucmd *ucmd);
int ioas_allow_iovas_ioctl(struct ucmd *ucmd);
int ioas_copy_ioctl(struct ucmd *ucmd);
int ioas_iova_ranges_ioctl(struct ucmd *ucmd);
int ioas_map_ioctl(struct ucmd *ucmd);
int ioas_map_file_ioctl(struct ucmd *ucmd);
int ioas_unmap_ioctl(struct ucmd *ucmd);
int ioas_change_process_ioctl(struct ucmd *ucmd);
int ioas_noiommu_get_pa_ioctl(struct ucmd *ucmd);
int pages_change_prepare(struct pages *p, struct ioasid_ctx *ctx);
void pages_change_abort(struct pages *p, struct ioasid_ctx *ctx);
void pages_change_commit(struct pages *p, struct ioasid_ctx *ctx);
int option_ioctl(struct ucmd *ucmd);
int vfio_ioas_ioctl(struct ucmd *ucmd);

void ioas_destroy(struct obj *obj);

int hwpt_alloc_ioctl(struct ucmd *ucmd);
int hwpt_set_dirty_tracking_ioctl(struct ucmd *ucmd);
int hwpt_get_dirty_bitmap_ioctl(struct ucmd *ucmd);
int hwpt_invalidate_ioctl(struct ucmd *ucmd);
int get_hw_info_ioctl(struct ucmd *ucmd);

#ifdef IOASID_TEST_HOOKS
/* selftest.c. OBJ_SELFTEST: the stdev of IOMMU_TEST_OP_MOCK_DOMAIN, owner of a mock device. */
struct selftest_obj {
	struct obj obj;
	struct device *dev;
	/*
	 * The mock driver's planted failure (Linux 6.15 and later): a PASID 1024 that was
	 * attached fails its next change with ENOMEM and stays where it was, to show the
	 * core rolls back; detach disarms it. Under ctx->lock.
	 */
	bool pasid_1024_armed;
};

int selftest_ioctl(struct ucmd *ucmd);
void selftest_obj_destroy(struct obj *obj);
void selftest_obj_abort(struct obj *obj);
/*
 * MAP_FILE of fd [start, start + length): 0 if fd is not a test dma-buf or may be mapped so;
 * -EINVAL (a dma-buf maps whole), -ENODEV (revoked).
 */
void selftest_dmabuf_free_all(struct ioasid_ctx *ctx);
/* Destroy the accesses whose fd the caller has closed. */
void selftest_sweep_access_fds(struct ioasid_ctx *ctx);
#endif

/* vfio_compat.c: VFIO type1 ioctls on an iommufd */
int vfio_compat_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, uint64_t arg);

#endif
