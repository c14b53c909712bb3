/* h2k: which accelerator qemu can use here, and libguestfs handles that
 * use it.
 *
 * Nested KVM is often broken inside cloud VMs: /dev/kvm exists, but qemu
 * aborts ("failed to set MSR") or hangs.  So we do not trust /dev/kvm; we
 * start qemu with KVM for a moment and watch the firmware print its
 * banner.  H2K_ACCEL=kvm or H2K_ACCEL=tcg skips the probe.
 */
#ifndef H2K_ACCEL_H
#define H2K_ACCEL_H

#include <guestfs.h>

/* "kvm" or "tcg".  The probe runs once per process. */
const char *h2k_accel (void);

/* A libguestfs handle with our settings: errors reported once through
 * h2k_error (prefixed by WHAT), verbose and trace with -v -v, and
 * force_tcg when KVM is not usable.  NULL reported.
 */
guestfs_h *h2k_guestfs_create (const char *what);

void h2k_cleanup_guestfs (void *ptr);
#define CLEANUP_GUESTFS __attribute__((cleanup (h2k_cleanup_guestfs)))

#endif
