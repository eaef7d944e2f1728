/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xlate.c - the one translation call, the paging kind of translation, device DMA, and the
 * read-side sections that let DMA run without the context's lock.
 *
 * iommu_translate(x, pasid, iova, access) asks the IOTLB, and on a miss runs the
 * translation's walk (x->ops->walk) and fills the IOTLB with the result. The paging kind
 * (this file) walks one page-table domain with the format's walker (pt_translate): one pass
 * that checks permissions and sets the accessed/dirty bits a write sets when the domain
 * tracks dirty pages. Faults are typed (not present, permission, address size) with the
 * level and stage that faulted.
 *
 * Read sections: a DMA reads PASID slots, translations and page tables that the ioctl side
 * may unpublish at any moment. Readers announce themselves on one of two counters (the
 * epoch's parity) and never wait; iommu_synchronize() flips the epoch twice, each time
 * waiting for the counter of the old parity to drain, so that every reader that might still
 * hold an old pointer is done before the caller frees it. (One flip is not enough: a reader
 * may read the epoch, stall, and count itself on the new parity after the flip.)
 * Page-table domains get an iotlb_sync hook (iommu_domain_track) that flushes the domain's
 * IOTLB entries and synchronizes before the gathered table pages go back to the arena, and
 * before the core unpins the pages an unmap released.
 *
 * Emulated physical addresses: a leaf's output address is a name (iommu/phys.h: a region ID
 * and an offset), which the DMA resolves to this process's pointer right before it copies;
 * a name that resolves to nothing (its region withdrawn, forged, or a piece running past
 * the region) is an address-size fault, never an access. Table addresses are names of the
 * table arena's region, which the walker resolves the same way; the models' own structures
 * are still pointers in this process.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"

/* ---- read sections ----------------------------------------------------------------------- */

/*
 * Each thread that reads has a record on a global list (registered at its first read
 * section, gone at its exit): ctr is 0 while the thread is outside any read section, else
 * the grace-period phase it saw when it entered. Entering costs one exchange (it must be
 * ordered before the loads of the section); leaving is a release store. So readers share no
 * cache line and take no lock (measured, dma_copy 4 KiB: two locked adds on one shared
 * counter pair before, see docs/translation.md).
 */
struct rs_reader {
	uint64_t ctr;	   /* atomic: 0, or RS_ACTIVE | the phase bit seen at entry */
	unsigned int nest; /* this thread's nesting depth (its own) */
	struct rs_reader *next;
};

#define RS_ACTIVE UINT64_C(1)
#define RS_PHASE  UINT64_C(2)

static uint64_t rs_gp = RS_ACTIVE; /* RS_ACTIVE | the current phase */
static struct rs_reader *rs_readers;
static pthread_mutex_t rs_lock = PTHREAD_MUTEX_INITIALIZER; /* the list; held by synchronize */
static pthread_key_t rs_key;
static pthread_once_t rs_once = PTHREAD_ONCE_INIT;
/* The thread's own record lives in its TLS: registering never allocates, never fails. */
static __thread struct rs_reader rs_self __attribute__((tls_model("initial-exec")));
static __thread struct rs_reader *rs_me __attribute__((tls_model("initial-exec")));

static void rs_unregister(void *arg)
{
	struct rs_reader *r = arg, **pp;

	pthread_mutex_lock(&rs_lock);
	for (pp = &rs_readers; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_unlock(&rs_lock);
	rs_me = NULL;
}

/* A forked child has one thread: the other records are copies of threads that are gone. */
static void rs_atfork_child(void)
{
	pthread_mutex_init(&rs_lock, NULL);
	rs_readers = rs_me;
	if (rs_me)
		rs_me->next = NULL;
}

static void rs_init(void)
{
	pthread_key_create(&rs_key, rs_unregister);
	pthread_atfork(NULL, NULL, rs_atfork_child);
}

static struct rs_reader *rs_register(void)
{
	struct rs_reader *r = &rs_self;

	pthread_once(&rs_once, rs_init);
	pthread_mutex_lock(&rs_lock);
	r->next = rs_readers;
	rs_readers = r;
	pthread_mutex_unlock(&rs_lock);
	pthread_setspecific(rs_key, r);
	rs_me = r;
	return r;
}

unsigned int iommu_read_lock(void)
{
	struct rs_reader *r = rs_me ? rs_me : rs_register();

	if (!r->nest++)
		__atomic_exchange_n(&r->ctr, __atomic_load_n(&rs_gp, __ATOMIC_RELAXED),
				    __ATOMIC_SEQ_CST);
	return 0;
}

void iommu_read_unlock(unsigned int token)
{
	struct rs_reader *r = rs_me;

	(void)token;
	if (!--r->nest)
		__atomic_store_n(&r->ctr, 0, __ATOMIC_RELEASE);
}

/* Wait for every reader that entered before the phase flip (still showing the old phase). */
static void rs_wait_old_phase(void)
{
	uint64_t gp = __atomic_load_n(&rs_gp, __ATOMIC_RELAXED);

	for (struct rs_reader *r = rs_readers; r; r = r->next) {
		unsigned int spins = 0;

		for (;;) {
			uint64_t c = __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE);

			if (!c || !((c ^ gp) & RS_PHASE))
				break;
			if (++spins > 64)
				sched_yield();
		}
	}
}

/*
 * Two flips, as in user-space RCU: a reader that read the phase just before one flip and
 * announced it just after looks "new" to that flip; the second flip catches it.
 */
void iommu_synchronize(void)
{
	pthread_mutex_lock(&rs_lock);
	for (int i = 0; i < 2; i++) {
		__atomic_fetch_xor(&rs_gp, RS_PHASE, __ATOMIC_SEQ_CST);
		rs_wait_old_phase();
	}
	pthread_mutex_unlock(&rs_lock);
}

/* ---- translations -------------------------------------------------------------------------- */

uint32_t iommu_new_tag(void)
{
	/* Domains count up from 1 (pt_domain_tag); nested tags count down from the top. */
	static uint32_t next = UINT32_MAX;

	return __atomic_sub_fetch(&next, 1, __ATOMIC_RELAXED) + 1;
}

int iommu_xlate_init(struct iommu_xlate **out, const struct iommu_xlate_ops *ops,
		     struct iommu_domain *s2, uint32_t tag)
{
	struct iommu_xlate *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->ops = ops;
	x->refs = 1;
	x->tag = tag;
	x->s2 = s2;
	x->s2_tag = pt_domain_tag(s2);
	*out = x;
	return 0;
}

void iommu_xlate_get(struct iommu_xlate *x)
{
	__atomic_add_fetch(&x->refs, 1, __ATOMIC_RELAXED);
}

void iommu_xlate_put(struct iommu_xlate *x)
{
	if (!x || __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (x->ops->release)
		x->ops->release(x);
	free(x);
}

struct iommu_domain *iommu_xlate_domain(const struct iommu_xlate *x)
{
	return x->s2;
}

void iommu_fault_from_pt(const struct pt_walk_result *r, unsigned int stage, struct iommu_fault *f)
{
	static const enum iommu_fault_type map[] = {
		[PT_FAULT_NONE] = IOMMU_FAULT_NONE,
		[PT_FAULT_NOT_PRESENT] = IOMMU_FAULT_NOT_PRESENT,
		[PT_FAULT_PERMISSION] = IOMMU_FAULT_PERMISSION,
		[PT_FAULT_ADDR_SIZE] = IOMMU_FAULT_ADDR_SIZE,
	};

	f->type = map[r->fault];
	f->stage = r->stage ? r->stage : stage;
	f->level = r->level;
	f->addr = r->fault_addr;
}

unsigned int iommu_pt_access(unsigned int access)
{
	return ((access & IOMMU_ACCESS_READ) ? PT_ACC_READ : 0) |
	       ((access & IOMMU_ACCESS_WRITE) ? PT_ACC_WRITE : 0);
}

int iommu_walk_root(struct iommu_xlate *x, uint64_t root, uint64_t iova, unsigned int access,
		    bool dirty, struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct pt_walk_result r;

	if (pt_translate(x->s2, NULL, root, iova, iommu_pt_access(access), dirty, &r)) {
		iommu_fault_from_pt(&r, 1, fault);
		return -EFAULT;
	}
	out->oa = r.oa;
	out->size_lg2 = r.size_lg2;
	out->prot = r.prot;
	return 0;
}

int iommu_ctx_fault(struct iommu_fault *f, enum iommu_fault_type t, unsigned int level,
		    uint64_t addr)
{
	f->type = t;
	f->stage = 1;
	f->level = level;
	f->addr = addr;
	return -EFAULT;
}

static int paging_walk(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		       struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	(void)pasid;
	return iommu_walk_root(x, PT_ROOT_OWN, iova, access, x->s2->dirty_tracking, out, fault);
}

static const struct iommu_xlate_ops paging_ops = {
	.name = "paging",
	.walk = paging_walk,
};

int iommu_xlate_paging(struct iommu_domain *d, struct iommu_xlate **out)
{
	if (!pt_is_domain(d))
		return -EOPNOTSUPP;
	return iommu_xlate_init(out, &paging_ops, d, pt_domain_tag(d));
}

int iommu_translate(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		    struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	uint64_t gen;
	int rc;

	if (__builtin_expect(x->uncached, 0))
		return x->ops->walk(x, pasid, iova, access, out, fault);
	if (iotlb_l0_hit(x, pasid, iova, access, out) || iotlb_lookup(x, pasid, iova, access, out))
		return 0;
	gen = iotlb_gen();
	rc = x->ops->walk(x, pasid, iova, access, out, fault);
	if (!rc)
		iotlb_fill(x, pasid, iova, access, out, gen);
	return rc;
}

/* ---- the unmap side: flush, then wait out the walkers ------------------------------------- */

static void track_flush(void *ctx, struct iommu_domain *d, const struct iommu_gather *g)
{
	(void)ctx;
	if (g->start <= g->last)
		iommu_iotlb_flush_domain(pt_domain_tag(d), g->start, g->last);
	iommu_synchronize();
}

void iommu_domain_track(struct iommu_domain *d)
{
	if (pt_is_domain(d))
		pt_domain_set_flush(d, track_flush, NULL);
}

/* ---- device DMA ---------------------------------------------------------------------------- */

int iommu_phys_fault(struct iommu_fault *f, uint64_t iova)
{
	f->type = IOMMU_FAULT_ADDR_SIZE;
	f->stage = 1;
	f->level = 0;
	f->addr = iova;
	return -EFAULT;
}

/* Walks that find the structures out of step with an unchanged slot before it is a fault. */
#define IOMMU_HW_RETRIES 1000

/* The translation a request at pasid goes through: its own slot, or the RID's PASID table. */
static struct iommu_xlate *dma_xlate_of(struct iommu_dev *idev, uint32_t pasid)
{
	struct iommu_xlate *x = iommu_dev_pasid(idev, pasid);

	if (!x && pasid != IOMMU_NO_PASID) {
		/* nothing on the PASID itself: the RID's guest PASID table, if it has one */
		struct iommu_xlate *rid = iommu_dev_pasid(idev, IOMMU_NO_PASID);

		if (rid && rid->owns_pasids)
			x = rid;
	}
	return x;
}

/*
 * iommu_translate for a device whose model has context structures: the IOTLB first (the
 * slot's translation gives the tag, as a context cache would), then the model reads its
 * structures and walks. -EAGAIN from the model: the slot is being changed, read it again.
 */
static int translate_hw(struct iommu_dev *idev, struct iommu_hwctx *hw, struct iommu_xlate **xp,
			uint32_t pasid, uint64_t iova, unsigned int access,
			struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	for (unsigned int spins = 0;; spins++) {
		struct iommu_xlate *x = *xp;
		uint64_t gen;
		int rc;

		if (!x->uncached && (iotlb_l0_hit(x, pasid, iova, access, out) ||
				     iotlb_lookup(x, pasid, iova, access, out)))
			return 0;
		gen = iotlb_gen();
		rc = hw->ops->walk(hw, x, pasid, iova, access, out, fault);
		if (rc != -EAGAIN) {
			if (!rc && !x->uncached)
				iotlb_fill(x, pasid, iova, access, out, gen);
			return rc;
		}
		if (spins > 64)
			sched_yield();
		*xp = dma_xlate_of(idev, pasid);
		if (!*xp)
			return -ENODEV;
		if (*xp == x && spins >= IOMMU_HW_RETRIES)
			return -EFAULT; /* not a change in progress: the structures say so */
	}
}

int iommu_dev_translate(struct iommu_dev *idev, uint32_t pasid, uint64_t iova, unsigned int access,
			struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct iommu_xlate *x = dma_xlate_of(idev, pasid);
	struct iommu_hwctx *hw = iommu_dev_hw(idev);
	int rc = -ENODEV;

	if (__builtin_expect(x != NULL, 1))
		rc = hw ? translate_hw(idev, hw, &x, pasid, iova, access, out, fault) :
			  iommu_translate(x, pasid, iova, access, out, fault);
	if (rc == -ENODEV) {
		fault->type = IOMMU_FAULT_NOT_PRESENT;
		fault->stage = 1;
		fault->level = 0;
		fault->addr = iova;
	}
	return rc;
}

int iommu_dma(struct iommu_dev *idev, uint32_t pasid, uint64_t iova, void *buf, size_t len,
	      bool write, struct iommu_fault *fault, size_t *out_done)
{
	unsigned int access = write ? IOMMU_ACCESS_WRITE : IOMMU_ACCESS_READ;
	struct iommu_xlate *x = dma_xlate_of(idev, pasid);
	struct iommu_hwctx *hw = iommu_dev_hw(idev);
	uint8_t *p = buf;
	size_t dummy;
	int rc = 0;

	if (!out_done)
		out_done = &dummy;
	*out_done = 0;
	fault->type = IOMMU_FAULT_NONE;
	while (len && x) {
		struct iommu_xlate_result r;
		uint64_t n;
		void *host;

		rc = hw ? translate_hw(idev, hw, &x, pasid, iova, access, &r, fault) :
			  iommu_translate(x, pasid, iova, access, &r, fault);
		if (rc)
			break;
		n = r.size_lg2 >= 63 ? UINT64_MAX :
				       (UINT64_C(1) << r.size_lg2) -
					       (iova & ((UINT64_C(1) << r.size_lg2) - 1));
		if (n > len)
			n = len;
		host = iommu_phys_resolve(r.oa, n);
		if (__builtin_expect(!host, 0)) {
			rc = iommu_phys_fault(fault, iova);
			break;
		}
		if (write)
			memcpy(host, p, n);
		else
			memcpy(p, host, n);
		p += n;
		len -= n;
		*out_done += n;
		iova += n; /* the caller checked that the range does not wrap */
	}
	if (!x || rc == -ENODEV) {
		fault->type = IOMMU_FAULT_NOT_PRESENT;
		fault->stage = 1;
		fault->level = 0;
		fault->addr = iova;
		return -ENODEV;
	}
	return rc;
}
