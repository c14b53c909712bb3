/* h2k-fetch: the parsed VMX, shared by vmx.c, vmx-describe.c and
 * vmx-fetch.c (vmx.h keeps struct vmx opaque for everyone else).
 */
#ifndef H2K_FETCH_VMX_PRIV_H
#define H2K_FETCH_VMX_PRIV_H

#include <stddef.h>

struct vmx_entry {
  char *key;                    /* lowercase */
  char *value;                  /* unescaped */
  unsigned line;
};

struct vmx {
  struct vmx_entry *e;
  size_t n;
};

/* A copy of S fit for a one-line message in BUF (SIZE bytes): control
 * characters become '?', and long strings are cut.  Returns BUF.
 */
const char *vmx_printable (const char *s, char *buf, size_t size);

/* vmx.h: H2K_CLEANUP (vmx_free) struct vmx *, H2K_CLEANUP (vmx_vm_free)
 * struct vmx_vm.
 */
#define CLEANUP_VMX H2K_CLEANUP (vmx_free)

#endif
