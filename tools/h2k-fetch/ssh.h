/* h2k-fetch: ssh:// and sftp:// sources, private to ssh.c and esxi.c.
 *
 *   ssh.c   the session: host key check, authentication, SFTP
 *   sftp.c  the transfer of one file (pipelined reads into a
 *           resumable partial download)
 *   esxi.c  where a VMX's disks live on the host (ESXi's path forms,
 *           confinement to the VM's directory) and the walk over the
 *           VMDK family: descriptors, extents, snapshot parents
 *
 * The path functions at the end are pure, for the unit tests.
 */
#ifndef H2K_FETCH_SSH_H
#define H2K_FETCH_SSH_H

#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "remote.h"

/* Limits: files in one source, depth of a snapshot chain. */
#define SSH_MAX_FILES 1024
#define SSH_MAX_CHAIN 64

/* An authenticated session with SFTP. */
struct ssh_conn {
  ssh_session s;
  sftp_session sftp;
  const struct remote_url *u;
  char hostport[300];           /* "host:port", for messages */
  int plan;                     /* ro->plan: ssh_download sizes only
                                   what the walk need not read */
};

/* Connect to U's host, check its host key against known_hosts, log in,
 * start SFTP.  Errors are one line naming U->display.  NULL reported.
 */
struct ssh_conn *ssh_conn_open (const struct remote_url *u,
                                const struct remote_opts *ro);
void ssh_conn_close (struct ssh_conn *c);
#define CLEANUP_SSH_CONN __attribute__((cleanup (ssh_conn_closep)))
void ssh_conn_closep (struct ssh_conn **c);

/* The display form of remote PATH on C's host ("ssh://u@h:p/PATH").
 * Caller frees; NULL reported.
 */
char *ssh_conn_label (const struct ssh_conn *c, const char *path);

/* stat PATH on the host.  Returns 1 and fills *SIZE, *MTIME for a
 * regular file; 0 if it does not exist (not reported); -1 reported
 * (another error, or not a regular file).  WHAT prefixes messages
 * (e.g. "ssh://h/vm.vmx: scsi0:0.fileName").
 */
int ssh_conn_stat (struct ssh_conn *c, const char *path, const char *what,
                   uint64_t *size, uint64_t *mtime);

/* The SFTP error of C's last call, in words. */
const char *ssh_conn_strerror (struct ssh_conn *c);

/* A file's modification time, whichever SFTP version gave it. */
uint64_t ssh_attr_mtime (sftp_attributes a);

/* The host's canonical form of directory PATH (symlinks resolved), or
 * NULL (not reported: the caller falls back on the path as written).
 */
char *ssh_conn_canonical (struct ssh_conn *c, const char *path);

/* sftp.c: download remote PATH into local DEST (resumable; directories made),
 * check it against SHA256 (hex, or NULL), publish it and record it
 * (remote_record_file).  -1 reported, naming the file's URL.  In a plan
 * (C->plan), a file is downloaded only when the walk READs it and
 * remote_plan_reads agrees; any other is only stat'ed and recorded (DEST
 * is not made).
 */
int ssh_download (struct ssh_conn *c, const char *path, const char *dest,
                  const char *sha256, int read);

/* ---------------------------------------------------------------- */
/* esxi.c, pure. */

/* Normalise the absolute path PATH: empty and "." segments dropped,
 * ".." taken back lexically.  NULL if PATH is not absolute or ".." goes
 * above "/" (errno EINVAL), or on ENOMEM.  Caller frees.
 */
char *esxi_normalize (const char *path);

/* The remote path a VMX or VMDK reference REF names, read in the remote
 * directory DIR (absolute), as ESXi resolves it:
 *   "[datastore1] web01/web01.vmdk"  /vmfs/volumes/datastore1/web01/...
 *   "/vmfs/volumes/ds/web01/x.vmdk"  as written
 *   "web01_1.vmdk", "sub/x.vmdk"     DIR/REF
 * normalised.  NULL with *WHY set (a static string, not reported) when
 * REF is malformed; or NULL on ENOMEM (*WHY "out of memory").  Caller
 * frees.
 */
char *esxi_map_path (const char *dir, const char *ref, const char **why);

/* PATH relative to the directory BASE (both normalised), or NULL when
 * PATH is not strictly below BASE.  Points into PATH.
 */
const char *esxi_relative (const char *base, const char *path);

/* The last component of a parent hint, either separator ("C:\vms\b.vmdk"
 * and "/vmfs/volumes/ds/vm/b.vmdk" both give "b.vmdk"); points into
 * HINT.
 */
const char *esxi_hint_base (const char *hint);

/* Is HINT absolute (on ESXi, Linux or Windows)? */
int esxi_hint_is_absolute (const char *hint);

#endif
