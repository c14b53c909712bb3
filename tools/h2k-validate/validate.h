/* h2k-validate: shared between its files.
 *
 * main.c parses options and calls validate_run (run.c), which plans the
 * boot (plan.c and run.c: which image of each disk, firmware, memory;
 * netcheck.c: the NICs and the addresses to prove), builds the QEMU
 * command line (qemu.c), makes the throwaway overlays (tmpfiles.c), runs
 * the offline checks (offline.c: qemu-img check, then one libguestfs
 * launch on the overlays for fstab.c and kernel.c, where inject.c puts
 * the beacon of beacon.c), starts QEMU and watches its serial console
 * (console.c, beacon.c) and its network (netcheck.c, with frame.c
 * building and parsing the Ethernet frames) in watch.c, then judges and
 * records the evidence in the manifest's "validation" object (record.c).
 * Windows guests (windows.h): the storage checks and the beacon in the
 * same launch (windows.c, windows-hive.c, windows-setup.c), the boot
 * phases (windows-boot.c), the beacon's ipconfig (windows-ipconfig.c).
 */
#ifndef H2K_VALIDATE_H
#define H2K_VALIDATE_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <guestfs.h>
#include <json-c/json.h>

#define VALIDATE_DEFAULT_MEMORY 2048    /* MiB: the cap on vm.memory_mb */
#define VALIDATE_TIMEOUT_TCG 600
#define VALIDATE_TIMEOUT_KVM 180
#define VALIDATE_NET_TIMEOUT 60
#define VALIDATE_LOGIN_REGEX "login:"

struct validate_opts {
  const char *machine;          /* q35 (default) or pc */
  const char *bus;              /* virtio-blk (default), virtio-scsi, sata */
  int bus_set;                  /* --bus was given */
  int memory_cap;               /* MiB */
  double timeout;               /* seconds to the login prompt; 0: default */
  double net_timeout;           /* seconds after it for the network proof */
  const char *expect;           /* the login regex */
  const char *kernel, *initrd, *append;   /* direct kernel boot */
  const char *signal;           /* beacon (default) or login */
  int no_offline;               /* --no-offline-checks */
  int keep_tmpdir;              /* --keep-tmpdir: for a post-mortem */
  int dry_run;
};

/* Check option values.  0, or -1 with a message (not reported) in WHY. */
int validate_check_opts (const struct validate_opts *o, const char **why);
/* Is BUS one h2k-validate boots on: virtio-blk, virtio-scsi or sata? */
int validate_bus_ok (const char *bus);

/* console.c --------------------------------------------------------------- */

#define CONSOLE_TAIL 30         /* lines kept for console_tail */
#define CONSOLE_LINE_MAX 1024   /* longer lines are cut */
#define CONSOLE_MAX_WARNINGS 64

enum console_event {
  CONSOLE_NOTHING = 0,
  CONSOLE_LOGIN,                /* the login regex matched */
  CONSOLE_FAILURE,              /* a failure signature appeared first */
};

/* What the serial console showed.  Escape sequences and carriage returns
 * are removed; lines are scanned as they complete, and the line still
 * being written (a prompt has no newline) is scanned too.
 */
struct console {
  int (*on_line) (void *opaque, const char *line);   /* each complete line */
  void *opaque;
  regex_t re;
  int have_re;
  enum console_event event;     /* the first one, sticky */
  char *failure;                /* the line that showed a failure */
  char *login_line;             /* the line that matched the regex */
  char line[CONSOLE_LINE_MAX + 1];
  size_t line_len;
  int esc;                      /* escape sequence state */
  char *tail[CONSOLE_TAIL];     /* ring of the last complete lines */
  size_t tail_next, tail_count;
  char **failed_units;          /* "[FAILED]" lines, NULL-terminated */
  size_t n_failed;
  size_t lines;
  void (*echo) (const char *line);   /* -v: each complete line */
};

/* 0, or -1 reported (bad regex). */
int console_init (struct console *c, const char *login_regex);
/* Feed LEN bytes of serial output.  Returns the first event so far
 * (sticky), or -1 reported (ENOMEM).
 */
int console_feed (struct console *c, const char *data, size_t len);
/* Feed the end: the partial last line becomes a line of the tail. */
int console_flush (struct console *c);
/* The last complete lines, oldest first, as a JSON array (caller owns);
 * NULL reported.
 */
json_object *console_tail_json (const struct console *c);
/* Does LINE show a failure signature?  Returns the signature or NULL. */
const char *console_failure_signature (const char *line);
void console_free (struct console *c);

/* netcheck.c -------------------------------------------------------------- */

#define NET_MAX_ADDRS 32        /* per NIC */

struct net_addr {
  char text[64];                /* as configured: "192.168.122.50/24" */
  uint32_t addr;                /* host order */
  int prefix;
  uint32_t sender;              /* our probe's address in that subnet */
  int pinned;                   /* tied to this NIC by a MAC pin */
  int answered;                 /* an ARP reply came from the NIC's MAC */
  int pinged;                   /* an ICMP echo reply came back */
  unsigned echo_tries;
};

struct net_nic {
  char id[64];
  char mac_text[18];
  uint8_t mac[6];
  uint8_t probe_mac[6];         /* the made-up MAC we probe from */
  int mac_generated;            /* vm.nics[].mac was null */
  int fd;                       /* our end: UDP on 127.0.0.1 */
  uint16_t our_port, qemu_port;
  struct net_addr addrs[NET_MAX_ADDRS];
  size_t n_addrs;
  json_object *configs;         /* [{name, method, pinned}] */
  int dhcp_expected;            /* a pinned dhcp configuration */
  size_t frames;                /* frames the guest sent on this NIC */
  size_t frames_from_mac;       /* ... with its MAC as source */
  int dhcp_discover, dhcp_request;
};

struct net_plan {
  struct net_nic *nics;
  size_t n_nics;
  int dhcp_any;                 /* an unpinned dhcp config: any NIC */
  json_object *unpinned;        /* [{address|dhcp, interface}] */
  json_object *not_checked;     /* IPv6 etc: [{address, interface}] */
  json_object *warnings;        /* strings */
};

/* Read vm.nics and guest.network.interfaces of M into PLAN.  0, or -1
 * reported (a malformed MAC names its JSON path).
 */
int net_plan_build (json_object *m, const char *name, struct net_plan *plan);
void net_plan_free (struct net_plan *plan);

/* Handle a frame the guest sent on NIC.  If a frame must be sent back (an
 * ARP reply for our probe address, an echo request after an ARP reply),
 * it is built in OUT (FRAME_MAX bytes) and its length returned; else 0.
 */
size_t net_handle_frame (struct net_nic *nic, const uint8_t *buf, size_t len,
                         uint8_t *out);

/* Probe frames for NIC: the ARP requests for addresses not yet answered
 * and the echo requests for answered ones not yet pinged.  Calls SEND
 * for each; returns the number of frames.
 */
typedef void (*net_send_fn) (struct net_nic *nic, const uint8_t *buf,
                             size_t len, void *opaque);
size_t net_probe (struct net_nic *nic, net_send_fn send, void *opaque);

/* Is everything proven that can be (all addresses answered and echo
 * tried, DHCP seen where expected)?
 */
int net_done (const struct net_plan *plan);
/* Did every expectation succeed?  *WHY (static) says what failed. */
int net_passed (const struct net_plan *plan, const char **why);

/* The evidence: an array of per-NIC objects; caller owns; NULL reported. */
json_object *net_evidence (const struct net_plan *plan);

/* beacon.c --------------------------------------------------------------- */

#define BEACON_TAG "H2K-BEACON"
#define BEACON_TOKEN_LEN 32     /* hex digits: 128 random bits */
#define BEACON_MAX_LINES 256
#define BEACON_WAIT_MAX 300     /* seconds the script waits for the network */
#define BEACON_HOLD_EXTRA 30    /* seconds it holds beyond --net-timeout */
#define BEACON_LOGIN_GRACE 90   /* seconds after a login prompt (plus
                                   --net-timeout) to wait for the beacon */

enum { BEACON_NONE = 0, BEACON_BEGUN, BEACON_ENDED };

/* What the beacon printed on the console. */
struct beacon {
  char prefix[sizeof BEACON_TAG + BEACON_TOKEN_LEN + 2];   /* "TAG TOKEN " */
  int state;
  int waited;                   /* seconds it waited for the network */
  char format[16];              /* ip-br, ip or ifconfig */
  char **lines;                 /* the command's output, NULL-terminated */
  size_t n_lines;
};

/* A new random token (hex digits, NUL-terminated).  -1 reported. */
int beacon_token (char token[BEACON_TOKEN_LEN + 1]);
/* The beacon's /bin/sh script: wait up to WAIT_S seconds for an address,
 * print the block on /dev/ttyS0, hold HOLD_S seconds, power off.  Caller
 * frees; NULL reported.
 */
char *beacon_script (const char *token, int wait_s, int hold_s);
void beacon_init (struct beacon *b, const char *token);
void beacon_free (struct beacon *b);
/* Feed one console line.  Returns the state (BEACON_*), -1 reported. */
int beacon_feed_line (struct beacon *b, const char *line);
/* One line of `ip -br addr` appended to ARR as {name, state, addresses}.
 * 0 (a blank line adds nothing), -1 on ENOMEM (not reported).
 */
int beacon_parse_ip_br_line (const char *line, json_object *arr);
/* The interfaces the beacon reported, parsed by its format: an array of
 * {name, state, addresses}.  Caller owns; NULL reported.
 */
json_object *beacon_reported (const struct beacon *b);
/* The reported interfaces, for the parsers of beacon.c and
 * windows-ipconfig.c: a new {name, state (unless NULL), addresses: []}
 * appended to ARR (borrowed; NULL on ENOMEM); ADDR appended to IFACE's
 * addresses (-1 on ENOMEM); the prefix length of the dotted netmask MASK
 * (-1: not a netmask).  Nothing reported.
 */
json_object *beacon_new_iface (json_object *arr, const char *name,
                               const char *state);
int beacon_add_address (json_object *iface, const char *addr);
int beacon_mask_prefix (const char *mask);

/* fstab.c ----------------------------------------------------------------- */

/* A block device as the appliance sees it, and its identifiers. */
struct fs_dev {
  char *dev;                    /* /dev/sda1, /dev/vg/lv */
  char *guest_dev;              /* the name the guest will see, or NULL */
  char *uuid, *label, *partuuid, *partlabel, *type;
};

/* The name the guest sees for appliance device DEV on BUS (/dev/sda1 ->
 * /dev/vda1 on virtio-blk), or a copy of DEV.  Caller frees; NULL ENOMEM.
 */
char *fstab_guest_name (const char *dev, const char *bus);

/* Resolve the fstab spec of ENTRY (an object of h2k_linuxcfg_fstab)
 * against DEVS.  Returns the index of the device; -1 unresolved, with
 * *WHY (static) saying why; -2 when the spec is not a block device we
 * can check (nfs, tmpfs, by-id...; *WHY says which).
 */
int fstab_resolve (const struct fs_dev *devs, size_t n, json_object *entry,
                   const char *bus, const char **why);

/* The verdict on one fstab entry: a new object {line, spec, mountpoint,
 * vfstype, status, device, guest_device, why}; status is "resolved",
 * "missing" (a failure), "ignored" (missing but noauto/nofail), "skipped"
 * (nothing to resolve) or "file" (a swap file: the caller checks that it
 * exists).  NULL on ENOMEM (not reported).
 */
json_object *fstab_check_entry (const struct fs_dev *devs, size_t n,
                                json_object *entry, const char *bus);

/* offline.c --------------------------------------------------------------- */

struct run;
/* qemu-img check of each image we boot; the guest's fstab and default
 * kernel through one libguestfs launch on the throwaway overlays, where
 * the beacon is injected too (unless --signal login).  Records
 * r->offline; sets r->offline_failure (the first failed check).
 * 0, or -1 reported (could not check).
 */
int run_offline (struct run *r);
/* Note a failed offline check (in r->offline.errors; the first one is
 * r->offline_failure).  -1 reported (ENOMEM).
 */
int offline_fail (struct run *r, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* kernel.c: the default kernel, its initramfs and their virtio drivers,
 * recorded as GI.kernel.  -1 reported.
 */
int check_kernel (struct run *r, guestfs_h *g, json_object *gi);
/* The grub.cfg entry (of h2k_linuxcfg_grub_cfg's "entries") that DEF
 * (grub's "default", or grubenv's saved_entry) names: a top-level index,
 * where a submenu counts as one item (its first entry), "submenu>title",
 * or a title.  Else the first entry; NULL when there is none.  Borrowed.
 */
json_object *kernel_pick_grub_entry (json_object *entries, const char *def);

/* inject.c: the beacon into the mounted guest (read-write overlay).  Sets
 * *WHY (static) when this guest cannot run it.  -1 reported.
 */
int inject_beacon (struct run *r, guestfs_h *g, const char **why);

/* plan.c ------------------------------------------------------------------ */

struct qemu_disk;

/* Fill D from disks[I] (DISK): its output, else overlay, else current
 * image, which must be readable in a format qemu knows.  0, or -1
 * reported naming the JSON path.
 */
int plan_disk (json_object *disk, size_t i, const char *name,
               struct qemu_disk *d);

/* qemu.c ------------------------------------------------------------------ */

struct qemu_disk {
  const char *id;
  const char *path;             /* the image we boot (never written) */
  const char *format;           /* our format name */
  char *overlay;                /* our throwaway qcow2 overlay */
  char *base;                   /* or NULL: the earlier phase's overlay
                                   the overlay is backed by (Windows
                                   two-phase) */
};

struct qemu_cfg {
  const char *accel;            /* kvm or tcg */
  const char *machine, *bus;
  const char *firmware;         /* bios or uefi */
  const char *ovmf_code, *ovmf_vars;    /* uefi: vars is our copy */
  int memory_mb, cpus;
  const char *serial_log;
  struct qemu_disk *disks;
  size_t n_disks;
  const struct net_plan *net;
  const char *kernel, *initrd, *append;
  const char *scratch;          /* a blank qcow2 disk, not booted, or NULL */
  const char *scratch_bus;      /* virtio-blk or virtio-scsi */
  int allow_reboot;             /* no -no-reboot (Windows) */
};

/* The QEMU command line, NULL-terminated; caller frees with
 * h2k_free_strv.  NULL reported.
 */
char **qemu_build_argv (const struct qemu_cfg *cfg);

/* The OVMF code and vars template for UEFI boots: 0, or -1 reported. */
int qemu_find_ovmf (const char **code, const char **vars);

/* run.c ------------------------------------------------------------------- */


/* Boot the VM of M and record M.validation.  0 passed; -1 failed or
 * could not run (reported).
 */
int validate_run (json_object *m, const struct validate_opts *o);

/* One run, shared by run.c, tmpfiles.c, watch.c and record.c. */
struct run {
  json_object *m;
  const struct validate_opts *o;
  struct qemu_cfg cfg;
  struct qemu_disk *disks;
  struct net_plan net;
  struct console con;
  json_object *warnings;
  char *tmpdir;
  char *serial_log, *qemu_out, *vars;
  const char *vars_template;    /* OVMF's empty variable store */
  char **argv;
  pid_t pid;
  int serial_fd;
  double timeout, started, boot_seconds;
  int exited, exit_status, timed_out;
  char *kept_log;               /* <workdir>/validate-serial.log */
  char *kernel, *initrd;        /* --kernel, --initrd made absolute */
  json_object *offline;         /* validation.offline */
  json_object *beacon_json;     /* validation.beacon: what was injected */
  char *offline_failure;        /* the first failed offline check */
  const char *signal;           /* beacon, or login (asked or fallback) */
  char *signal_reason;          /* why login when beacon was asked */
  char token[BEACON_TOKEN_LEN + 1];
  struct beacon beacon;
  double signal_seconds;
  int signaled;                 /* the signal came (before any failure) */
  double login_seconds;         /* when a login prompt appeared, or 0 */
  struct win_plan *win;         /* a Windows guest (windows.h), or NULL */
  int win_phase;                /* the phase being booted, from 1 */
  json_object *phases;          /* validation.phases[] so far */
};

/* Add a warning to the validation (and print it).  -1 reported. */
int run_warn (struct run *r, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
/* Console callbacks of every boot (run.c, windows-boot.c): run_echo_line
 * prints LINE on stderr ("<prog>: serial: LINE", set with -v);
 * run_beacon_line feeds LINE to the beacon of OPAQUE, a struct run (-1
 * reported).
 */
void run_echo_line (const char *line);
int run_beacon_line (void *opaque, const char *line);
/* A failure before the final boot's verdict (an offline check, phase 1):
 * record the validation as failed for REASON, the network not checked,
 * and report "validation failed: REASON".  Always -1.
 */
int run_fail_unchecked (struct run *r, const char *reason);

/* tmpfiles.c -------------------------------------------------------------- */

/* Create the private directory (in $TMPDIR, else /var/tmp) and name the
 * files in it; remove them all.  -1 reported.
 */
int run_make_tmpdir (struct run *r);
void run_remove_tmpdir (struct run *r);
/* A qcow2 overlay over each image: the guest writes there.  -1 reported. */
int run_make_overlays (struct run *r);
/* Copy SRC to a new file DST (mode 0600).  -1 reported. */
int run_copy_file (const char *src, const char *dst);
/* Publish the serial log as WORKDIR/validate-serial.log (r->kept_log);
 * nothing without a workdir.  -1 reported.
 */
int run_keep_serial_log (struct run *r);
/* Publish LOG as WORKDIR/NAME, *KEPT its path (caller frees); nothing
 * without a workdir.  -1 reported.
 */
int run_keep_log_as (struct run *r, const char *log, const char *name,
                     char **kept);

/* watch.c ----------------------------------------------------------------- */

/* Our end of each NIC: UDP sockets on 127.0.0.1.  -1 reported. */
int run_open_sockets (struct run *r);
void run_close_sockets (struct run *r);
/* Start QEMU with r->argv (output to r->qemu_out); kill and reap it. */
int run_start_qemu (struct run *r);
void run_stop_qemu (struct run *r);
/* Watch until the login prompt and the network proof (or the network
 * timeout after it), a failure signature, the timeout or QEMU's exit.
 * 0, or -1 reported (interrupted, I/O error).
 */
int run_watch (struct run *r);

/* record.c ---------------------------------------------------------------- */

/* The verdict: the reason for failure (static, or in *BUF, which the
 * caller frees), or NULL for success; *NET_STATUS says how the network
 * proof went.
 */
const char *run_judge (struct run *r, char **buf, const char **net_status);
/* Record M.validation.  REASON is the failure, or NULL.  -1 reported. */
int run_record (struct run *r, const char *reason, const char *net_status);

#endif
