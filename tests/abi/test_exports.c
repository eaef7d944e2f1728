/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_exports.c - every public function links from the shared library, and nothing
 * internal does. Linked against libioasid.so (not the internal archive): a public function
 * missing its IOASID_EXPORT fails the link; the dlsym checks below catch internal symbols
 * that leak out of the library.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "ioasid/inspect.h"
#include "ioasid/ioasid.h"
#include "ioasid/simple.h"

int main(void)
{
	static const char *const internal[] = { "obj_alloc",	  "iopt_map_pages", "pages_pin",
						"itree_insert",	  "idt_reserve",    "uaccess_from",
						"inspect_request" };
	void *public[] = {
		(void *)ioasid_ctx_params_self,
		(void *)ioasid_ctx_new,
		(void *)ioasid_ctx_free,
		(void *)ioasid_ioctl,
		(void *)ioasid_mmap_fd,
		(void *)ioasid_acct_get,
		(void *)ioasid_simple_open,
		(void *)ioasid_simple_close,
		(void *)ioasid_simple_window,
		(void *)ioasid_simple_map,
		(void *)ioasid_simple_unmap,
		(void *)ioasid_simple_dma_read,
		(void *)ioasid_simple_dma_write,
		(void *)ioasid_simple_ctx,
		(void *)ioasid_device_new,
		(void *)ioasid_device_attach,
		(void *)ioasid_device_replace,
		(void *)ioasid_device_detach,
		(void *)ioasid_device_destroy,
		(void *)ioasid_device_dma,
		(void *)ioasid_ctx_inspect,
		(void *)ioasid_device_dma_pasid,
		(void *)ioasid_device_pasid_attach,
		(void *)ioasid_device_pasid_replace,
		(void *)ioasid_device_pasid_detach,
		(void *)ioasid_device_pasid_iova_ranges,
	};
	void *self = dlopen(NULL, RTLD_NOW);
	int bad = 0;

	for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
		if (!public[i])
			bad++;
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		if (dlsym(self ? self : RTLD_DEFAULT, internal[i])) {
			fprintf(stderr, "internal symbol %s is exported\n", internal[i]);
			bad++;
		}
	}
	printf("exports: %zu public functions linked, %d problems\n",
	       sizeof(public) / sizeof(public[0]), bad);
	return bad ? 1 : 0;
}
