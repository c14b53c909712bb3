/* h2k-fetch: sources that live on another machine (URLs).
 *
 * `h2k-fetch https://host/x.ova` or `ssh://root@esxi/vmfs/.../web01.vmx`:
 * remote.c recognises the URL, downloads every file the source needs
 * into WORKDIR/download/ (keeping the remote relative layout, so that a
 * VMDK descriptor's extents and parents sit beside it as on the
 * source), then main.c runs the local path (fetch_vmx, fetch_ovf, ...)
 * on the downloaded top file, and remote.c records where each file came
 * from in vm.source (the URL never carries a credential).
 *
 *   remote.c   URL parsing, secrets, dispatch by scheme, the manifest's
 *              record of the transfer
 *   partial.c  a resumable, verified download of one file: the part
 *              file and its state, chunk bookkeeping, sparse writes,
 *              progress, atomic publish
 *   http.c     http:// and https:// (libcurl): parallel Range requests
 *   ssh.c      ssh:// and sftp:// (libssh): host key check, auth,
 *              pipelined SFTP reads, the VMX's VMDK family
 *
 * Changes since the first version of this header (for ssh.c):
 *  - struct remote_url has request_path (encoded path + query, HTTP);
 *  - fetch_remote no longer takes M: main.c calls
 *    remote_record_manifest (m) after the local path (which replaces
 *    vm.source), so records made by remote_record_file all end up there;
 *  - partial_resumed () and partial_sha256 () for the record;
 *  - partial_open with *COMPLETE = 1 still returns a handle (for those
 *    two getters): just partial_close it, do not commit.
 *  - ro->verbose is h2k_verbose (count of -v).
 *  - partial_chunk_done no longer blocks on fdatasync: a thread of
 *    partial.c syncs and records chunks; partial_commit and
 *    partial_close wait for it.  Call partial_* from one thread only.
 *
 * Downloads are never taken back by fetch_undo: a failed or killed run
 * leaves resumable part files (and the files it finished), and the same
 * command continues from them.
 */
#ifndef H2K_FETCH_REMOTE_H
#define H2K_FETCH_REMOTE_H

#include <signal.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fetch.h"

#define REMOTE_DEFAULT_CONNECTIONS 4
#define REMOTE_MAX_CONNECTIONS 16
#define REMOTE_DOWNLOAD_DIR "download"

/* Options for network sources (h2k-fetch's command line and the
 * configuration's fetch section).  Secrets are named, never given:
 * *_file is a file holding the secret, *_env an environment variable.
 */
struct remote_opts {
  const char *cacert;           /* --cacert FILE: trust these CAs */
  int insecure;                 /* --insecure: no TLS verification */
  const char *known_hosts;      /* --known-hosts FILE (default:
                                   ~/.ssh/known_hosts) */
  const char *identity_file;    /* --identity-file FILE: SSH private key */
  const char *password_file;    /* --password-file FILE */
  const char *password_env;     /* --password-env VAR */
  const char *token_file;       /* --token-file FILE: HTTP bearer token */
  const char *token_env;        /* --token-env VAR */
  unsigned connections;         /* --connections N (HTTP streams per file) */
  const char *sha256;           /* --sha256 HEX: a single image's digest */
  int verbose;                  /* -v count, passed on to curl/libssh */
  /* --dry-run: plan only.  The walk connects, authenticates and checks
   * TLS certificates and host keys as a real run does, but sizes each
   * file (HTTP HEAD, SFTP stat) instead of downloading it; only the
   * small text files the walk must read (remote_plan_reads) are
   * downloaded, into a private temporary directory that fetch_remote
   * removes.  Every file is recorded with planned = 1.
   */
  int plan;
  /* vsphere.c, for its datastore downloads: TLS_SETUP (when set) is
   * called with each easy handle and TLS_DATA after the TLS options (a
   * --thumbprint pin), 0 or -1; while *INTERRUPTED (when set) is non-zero
   * (SIGINT/SIGTERM) transfers stop with an error.
   */
  int (*tls_setup) (void *curl, void *tls_data);
  void *tls_data;
  const volatile sig_atomic_t *interrupted;
};

/* A parsed URL.  Credentials are never kept: a password in the URL is
 * refused.  display is scheme://[user@]host[:port]/path, for messages and
 * the manifest.
 */
struct remote_url {
  char *scheme;                 /* "http", "https", "ssh" or "sftp";
                                   "vsphere" or "esxi" */
  char *user;                   /* or NULL */
  char *host;
  unsigned port;                /* 0: the scheme's default */
  char *path;                   /* percent-decoded, absolute (vSphere:
                                   see REMOTE_URL_VSPHERE) */
  char *request_path;           /* as written (still encoded), with any
                                   ?query: what HTTP requests ask for */
  char *display;                /* never shows a ?query (it may hold a
                                   signature) */
};

/* Is S a URL of a scheme we fetch (http, https, ssh, sftp)? */
int remote_is_url (const char *s);

/* Parse S into U (fields allocated; free with remote_url_free).  -1
 * reported: "URL: problem" (a password in the URL, an unknown scheme,
 * no host, no path).
 */
int remote_url_parse (const char *s, struct remote_url *u);

/* The kinds of URL remote_url_parse_as accepts. */
enum remote_url_kind {
  REMOTE_URL_FILE,      /* http, https, ssh, sftp naming a file
                           (remote_url_is, remote_url_parse) */
  REMOTE_URL_VSPHERE,   /* vsphere:// or esxi:// (vsphere.c):
                           [user@]host[:port][/path], the host a plain
                           name or IPv4 address, no ?query or #fragment;
                           path is "" or "DC1/vm/Folder/web01" (no
                           leading or trailing '/'), display
                           scheme://[user@]host[:port]/path */
};

/* Is S a URL of KIND's schemes? */
int remote_url_is (const char *s, enum remote_url_kind kind);

/* remote_url_parse for URLs of KIND.  -1 reported. */
int remote_url_parse_as (const char *s, enum remote_url_kind kind,
                         struct remote_url *u);
void remote_url_free (struct remote_url *u);
#define CLEANUP_REMOTE_URL __attribute__((cleanup (remote_url_free)))

/* The default VM name for URL S: the last path segment without its
 * extension.  Caller frees; NULL reported.
 */
char *remote_default_name (const char *s);

/* Read a secret from FILE (first line, without its newline) or from the
 * environment variable ENV (exactly one of them non-NULL; neither: *SECRET
 * = NULL and 0).  WHAT names it in errors ("--password-file").  The
 * caller frees it with remote_secret_free, which wipes it.
 */
int remote_secret_load (const char *file, const char *env, const char *what,
                        char **secret);
void remote_secret_free (char **secret);

/* Fetch the source at URL into O->workdir/download/ (created, and never
 * removed by fetch_undo) and set *TOP to the local path of the file
 * main.c must then read as a local source (the .vmx, .ovf, .ova or disk
 * image; caller frees), and *KIND_HINT to "vmx", "ovf", "ova" or NULL (a
 * disk image: main sniffs it).  -1 reported, as one line naming the URL.
 * Each downloaded file is noted with remote_record_file.
 */
int fetch_remote (const char *url, const struct fetch_opts *o,
                  const struct remote_opts *ro, char **top,
                  const char **kind_hint);

/* After the local path filled M: set vm.source.url and vm.source.remote
 * {protocol, insecure, warning?, files[]} (see h2k-manifest(5)); after
 * a plan (ro->plan), each file has planned: true and no resumed_from,
 * and remote.total_bytes is the sum of the sizes.  -1 reported (ENOMEM).
 */
int remote_record_manifest (json_object *m);

/* Largest file a plan downloads to read it: a .vmdk (a text
 * descriptor), a .vmx or an .ovf.
 */
#define REMOTE_PLAN_DESCRIPTOR_MAX (64u << 10)
#define REMOTE_PLAN_TEXT_MAX (16u << 20)

/* In a plan: must the walk read the file DEST of SIZE bytes (a small
 * .ovf, .vmx or VMDK descriptor)?  Then it is downloaded (into the
 * plan's temporary directory); else it is only sized.
 */
int remote_plan_reads (const char *dest, uint64_t size);

/* For sources that download through http_download without
 * fetch_remote (vsphere.c): what remote_record_manifest records as
 * vm.source.url (DISPLAY, copied), remote.protocol (PROTOCOL, static)
 * and remote.insecure.  -1 reported (ENOMEM).
 */
int remote_set_source (const char *display, const char *protocol,
                       int insecure);

/* A line of information about the transfer (a resume, a restart,
 * retries) kept until remote_record_manifest, which says them all with
 * h2k_info: so a failure, at any point, is one line on stderr.  Not
 * reported on ENOMEM (the note is lost).
 */
void remote_note (const char *fs, ...)
  __attribute__((format (printf, 1, 2)));

/* Free the records (at exit; for valgrind). */
void remote_free (void);

/* ---------------------------------------------------------------- */
/* partial.c: one file downloaded resumably.
 *
 * DEST's bytes go to DEST.part; DEST.part.state (JSON) records the URL
 * (display form), the remote identity (size and validator: ETag or
 * Last-Modified for HTTP, size and mtime for SFTP) and which chunks are
 * complete.  Reopening with the same identity resumes; with another, the
 * part file is started again (said on stderr).  Chunks are
 * PARTIAL_CHUNK bytes (the last one shorter); a chunk is marked done
 * only after its bytes are fdatasync'ed.  All-zero blocks are not
 * written (the part file is sized with ftruncate first, so they stay
 * holes).  On commit the file is checked (size; sha256 when one is
 * expected), fsync'ed and renamed to DEST, and the state file is
 * replaced by DEST.h2k-remote (the identity, so that a rerun knows DEST
 * is complete and still the same remote file).
 */
#define PARTIAL_CHUNK (32u << 20)

struct partial;

/* Open (or resume) the download of a file of SIZE bytes with remote
 * identity VALIDATOR (may be "" when the server gives none: then no
 * resume across runs) into DEST.  *COMPLETE is set to 1 when DEST already
 * holds this very file (nothing to do).  LABEL (the URL's display form)
 * names it in messages.  Returns a handle, or NULL reported.
 */
struct partial *partial_open (const char *dest, const char *label,
                              uint64_t size, const char *validator,
                              int *complete);

uint64_t partial_size (const struct partial *p);
/* Bytes already on disk when opened (chunks done by an earlier run). */
uint64_t partial_resumed (const struct partial *p);
/* The file's sha256 (hex) when known: verified by partial_commit, or
 * recorded by the run that finished it; else NULL.
 */
const char *partial_sha256 (const struct partial *p);
size_t partial_nchunks (const struct partial *p);
int partial_chunk_is_done (const struct partial *p, size_t chunk);
/* [*OFF, *OFF + *LEN) of chunk CHUNK. */
void partial_chunk_range (const struct partial *p, size_t chunk,
                          uint64_t *off, uint64_t *len);

/* Write LEN bytes at OFF (zero blocks skipped); -1 reported (ENOSPC
 * names the workdir).  Thread-compatible: one caller at a time.
 */
int partial_write (struct partial *p, uint64_t off, const void *buf,
                   size_t len);
/* Chunk CHUNK's bytes are all written: a thread (the syncer)
 * fdatasyncs the part file and records it in the state in the
 * background; partial_chunk_is_done is true at once.  -1 reported when
 * an earlier background sync failed (ENOSPC, EIO).
 */
int partial_chunk_done (struct partial *p, size_t chunk);

/* Progress on stderr (a redrawn line when stderr is a terminal; with -v
 * otherwise, a debug line every 10%).  BYTES is the total received so
 * far, including resumed chunks.
 */
void partial_progress (struct partial *p, uint64_t bytes);

/* Every chunk done: verify (size, and SHA256 hex when not NULL), publish
 * DEST atomically.  HEX (65 bytes, may be NULL) gets the sha256 when one
 * was computed.  -1 reported; the part file is kept for a retry unless
 * the content is proven wrong (digest mismatch: then it is removed).
 */
int partial_commit (struct partial *p, const char *sha256, char *hex);

/* Close; keeps the part file and its state for a later resume. */
void partial_close (struct partial *p);
#define CLEANUP_PARTIAL __attribute__((cleanup (partial_closep)))
void partial_closep (struct partial **p);

/* ---------------------------------------------------------------- */
/* One file the transfer produced, for vm.source.remote.files. */
struct remote_record {
  char *url;                    /* display form */
  char *path;                   /* local, absolute */
  uint64_t size;
  uint64_t resumed_from;        /* bytes already there when this run began */
  char *validator;
  char *sha256;                 /* when verified, or NULL */
  int planned;                  /* a plan's (--dry-run): not downloaded
                                   into PATH (remote_record_file sets it
                                   during a plan, and maps PATH from the
                                   plan's temporary directory to the
                                   workdir's download directory) */
};

/* remote.c: append a record to the transfer's list (copies the strings). */
int remote_record_file (const struct remote_record *r);

/* http.c: fetch the source at U (http/https).  Same contract as
 * fetch_remote, minus the manifest (remote.c records).
 */
int http_fetch_source (const struct remote_url *u, const struct fetch_opts *o,
                       const struct remote_opts *ro, const char *dldir,
                       char **top, const char **kind_hint);

/* http.c: download the one file at URL (http or https) into DEST with
 * the whole engine (parallel Range requests, resume, retries, sparse
 * writes, progress), verify it against SHA256 when not NULL, publish it
 * and record it (remote_record_file, under LABEL: the URL as it may be
 * shown).  HEADERS: extra request headers ("Cookie: ...", NULL-terminated
 * array, or NULL); they may carry credentials, so they are never logged.
 * This is the data plane the vSphere source (vsphere.c, a later issue)
 * uses for datastore /folder downloads with its session cookie; every
 * file http_fetch_source downloads goes through it too.
 */
int http_download (const char *url, const char *label,
                   const char *const *headers, const char *dest,
                   const struct remote_opts *ro, const char *sha256);

/* ssh.c: fetch the source at U (ssh/sftp). */
int ssh_fetch_source (const struct remote_url *u, const struct fetch_opts *o,
                      const struct remote_opts *ro, const char *dldir,
                      char **top, const char **kind_hint);

#endif
