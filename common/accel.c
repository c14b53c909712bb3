/* h2k: which accelerator qemu can use here, and libguestfs handles. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <guestfs.h>

#include "accel.h"
#include "error.h"
#include "run.h"

static const char *accel;

static int
kvm_boots (void)
{
  const char *argv[] = {
    "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-M", "pc",
    "-m", "64", "-nodefaults", "-display", "none", "-no-reboot",
    "-chardev", "stdio,id=fw", "-device", "isa-debugcon,iobase=0x402,chardev=fw",
    NULL
  };
  struct h2k_run_result res;
  int matched = 0;

  if (access ("/dev/kvm", R_OK | W_OK) == -1) {
    h2k_debug ("/dev/kvm: %m");
    return 0;
  }
  /* SeaBIOS prints its banner on the debug port within a fraction of a
   * second under KVM.  A broken KVM aborts or prints nothing.
   */
  if (h2k_run_until (argv, "SeaBIOS", 10, &matched, &res) == -1)
    matched = 0;
  if (!matched)
    h2k_debug ("KVM probe failed: %s", res.out ? res.out : "(no output)");
  h2k_run_result_free (&res);
  return matched;
}

const char *
h2k_accel (void)
{
  const char *env = getenv ("H2K_ACCEL");

  if (accel)
    return accel;
  if (env && (strcmp (env, "kvm") == 0 || strcmp (env, "tcg") == 0))
    accel = strcmp (env, "kvm") == 0 ? "kvm" : "tcg";
  else {
    if (env && *env)
      h2k_warning ("H2K_ACCEL=%s: expected kvm or tcg; probing", env);
    accel = kvm_boots () ? "kvm" : "tcg";
  }
  h2k_debug ("accelerator: %s", accel);
  return accel;
}

static void
on_error (guestfs_h *g, void *opaque, const char *msg)
{
  (void) g;
  h2k_error ("%s: %s", (const char *) opaque, msg);
}

guestfs_h *
h2k_guestfs_create (const char *what)
{
  guestfs_h *g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  const char *backend = getenv ("LIBGUESTFS_BACKEND");
  char *settings[] = { (char *) "force_tcg", NULL };

  if (g == NULL) {
    h2k_error ("%s: cannot create a libguestfs handle: %m", what);
    return NULL;
  }
  guestfs_set_error_handler (g, on_error, (void *) what);
  /* Keep the rest of the user's LIBGUESTFS_* environment (paths, cache
   * directory) but decide the accelerator ourselves.
   */
  if (guestfs_parse_environment (g) == -1 ||
      guestfs_set_backend (g, backend && *backend ? backend : "direct") == -1)
    goto fail;
  if (strcmp (h2k_accel (), "tcg") == 0 &&
      guestfs_set_backend_settings (g, settings) == -1)
    goto fail;
  if (h2k_verbose >= 2 &&
      (guestfs_set_verbose (g, 1) == -1 || guestfs_set_trace (g, 1) == -1))
    goto fail;
  return g;
 fail:
  guestfs_close (g);
  return NULL;
}

void
h2k_cleanup_guestfs (void *ptr)
{
  guestfs_h *g = *(guestfs_h **) ptr;

  if (g)
    guestfs_close (g);
}
