/* h2k-validate: the QEMU command line, as the VM will run on KVM. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "validate.h"

#define ARGV_MAX 512

struct argv {
  char **v;
  size_t n;
  int failed;
};

static void add (struct argv *a, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* Append one formatted argument; a failure is remembered and reported
 * once by the caller.
 */
static void
add (struct argv *a, const char *fs, ...)
{
  va_list ap;
  char *s;

  if (a->failed)
    return;
  if (a->n + 2 > ARGV_MAX) {
    a->failed = 1;
    return;
  }
  va_start (ap, fs);
  if (vasprintf (&s, fs, ap) == -1) {
    a->failed = 1;
    s = NULL;
  }
  va_end (ap);
  if (s) {
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
  }
}

int
qemu_find_ovmf (const char **code, const char **vars)
{
  static const char *const pairs[][2] = {
    { "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
    { "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
    { "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd" },
  };

  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; ++i)
    if (access (pairs[i][0], R_OK) == 0 && access (pairs[i][1], R_OK) == 0) {
      *code = pairs[i][0];
      *vars = pairs[i][1];
      return 0;
    }
  h2k_error ("vm.firmware is uefi but no OVMF firmware was found "
             "(/usr/share/OVMF/OVMF_CODE_4M.fd: install ovmf)");
  return -1;
}

static void
add_disks (struct argv *a, const struct qemu_cfg *cfg)
{
  if (strcmp (cfg->bus, "virtio-scsi") == 0)
    add (a, "-device"), add (a, "virtio-scsi-pci,id=scsi0");
  else if (strcmp (cfg->bus, "sata") == 0)
    add (a, "-device"), add (a, "ich9-ahci,id=ahci0");
  for (size_t i = 0; i < cfg->n_disks; ++i) {
    /* The first disk boots, unless the kernel is given (-kernel). */
    char boot[32] = "";

    if (cfg->kernel == NULL)
      snprintf (boot, sizeof boot, ",bootindex=%zu", i + 1);
    add (a, "-drive");
    add (a, "file=%s,format=qcow2,if=none,id=disk%zu,cache=unsafe",
         cfg->disks[i].overlay, i);
    add (a, "-device");
    if (strcmp (cfg->bus, "virtio-scsi") == 0)
      add (a, "scsi-hd,drive=disk%zu,bus=scsi0.0,channel=0,scsi-id=%zu,lun=0%s",
           i, i, boot);
    else if (strcmp (cfg->bus, "sata") == 0)
      add (a, "ide-hd,drive=disk%zu,bus=ahci0.%zu%s", i, i, boot);
    else
      add (a, "virtio-blk-pci,drive=disk%zu%s", i, boot);
  }
}

/* A blank disk that is not booted, on its own controller (Windows
 * two-phase: the guest installs the driver for it).
 */
static void
add_scratch (struct argv *a, const struct qemu_cfg *cfg)
{
  if (cfg->scratch == NULL)
    return;
  add (a, "-drive");
  add (a, "file=%s,format=qcow2,if=none,id=scratch0,cache=unsafe", cfg->scratch);
  add (a, "-device");
  if (strcmp (cfg->scratch_bus, "virtio-scsi") == 0) {
    add (a, "virtio-scsi-pci,id=scsi1");
    add (a, "-device");
    add (a, "scsi-hd,drive=scratch0,bus=scsi1.0,channel=0,scsi-id=0,lun=0");
  }
  else
    add (a, "virtio-blk-pci,drive=scratch0");
}

static void
add_nics (struct argv *a, const struct net_plan *net)
{
  for (size_t i = 0; net && i < net->n_nics; ++i) {
    const struct net_nic *nic = &net->nics[i];
    add (a, "-netdev");
    add (a, "socket,id=net%zu,udp=127.0.0.1:%u,localaddr=127.0.0.1:%u", i,
         (unsigned) nic->our_port, (unsigned) nic->qemu_port);
    add (a, "-device");
    add (a, "virtio-net-pci,netdev=net%zu,mac=%s", i, nic->mac_text);
  }
}

char **
qemu_build_argv (const struct qemu_cfg *cfg)
{
  struct argv a = { .v = calloc (ARGV_MAX, sizeof (char *)) };
  int kvm = strcmp (cfg->accel, "kvm") == 0;

  if (a.v == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  add (&a, "qemu-system-x86_64");
  add (&a, "-name"), add (&a, "h2k-validate");
  add (&a, "-nodefaults"), add (&a, "-no-user-config");
  add (&a, "-machine"), add (&a, "%s", cfg->machine);
  add (&a, "-accel"), add (&a, "%s", cfg->accel);
  /* TCG's default CPU lacks x86-64-v2, which RHEL 9 needs. */
  add (&a, "-cpu"), add (&a, "%s", kvm ? "host" : "max");
  add (&a, "-m"), add (&a, "%d", cfg->memory_mb);
  add (&a, "-smp"), add (&a, "%d", cfg->cpus);
  add (&a, "-display"), add (&a, "none");
  add (&a, "-monitor"), add (&a, "none");
  if (!cfg->allow_reboot)
    add (&a, "-no-reboot");
  add (&a, "-serial"), add (&a, "file:%s", cfg->serial_log);
  if (strcmp (cfg->firmware, "uefi") == 0) {
    add (&a, "-drive");
    add (&a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", cfg->ovmf_code);
    add (&a, "-drive");
    add (&a, "if=pflash,format=raw,unit=1,file=%s", cfg->ovmf_vars);
  }
  if (cfg->kernel) {
    add (&a, "-kernel"), add (&a, "%s", cfg->kernel);
    if (cfg->initrd)
      add (&a, "-initrd"), add (&a, "%s", cfg->initrd);
    if (cfg->append)
      add (&a, "-append"), add (&a, "%s", cfg->append);
  }
  add_disks (&a, cfg);
  add_scratch (&a, cfg);
  add_nics (&a, cfg->net);
  if (a.failed) {
    h2k_error ("building the qemu command line: %s",
               a.n + 2 > ARGV_MAX ? "too many arguments" : "out of memory");
    h2k_free_strv (a.v);
    return NULL;
  }
  return a.v;
}
