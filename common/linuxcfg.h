/* h2k: parsers of Linux guest configuration files.
 *
 * Pure functions: no libguestfs, no file I/O.  Each parser takes the text of
 * one file (TEXT, LEN bytes, need not be NUL-terminated) and NAME, the name
 * used in messages (normally the guest path, "/etc/fstab").  It returns a new
 * json-c object the caller owns (json_object_put), or NULL after reporting
 * one error with h2k_error as "NAME: line N: problem" ("NAME: problem" when
 * the problem is not on a line).
 *
 * Hostile input is bounded: at most LINUXCFG_MAX_FILE bytes, lines of at most
 * LINUXCFG_MAX_LINE bytes, LINUXCFG_MAX_ENTRIES entries (fstab lines,
 * variables, sections, keys, rules, YAML nodes...) and no NUL bytes.  Line
 * numbers start at 1; for continued lines they are the first physical line.
 */
#ifndef H2K_LINUXCFG_H
#define H2K_LINUXCFG_H

#include <stddef.h>

#include <json-c/json.h>

#define LINUXCFG_MAX_FILE    (1024 * 1024)
#define LINUXCFG_MAX_LINE    (64 * 1024)
#define LINUXCFG_MAX_ENTRIES 10000
#define LINUXCFG_MAX_DEPTH   64         /* YAML nesting */

/* fstab(5) (also mtab).  Returns an array, one object per entry:
 *   { "line": 3, "spec": "UUID=\"ab-12\"", "file": "/", "vfstype": "ext4",
 *     "options": "defaults", "freq": 0, "passno": 1,
 *     "spec_kind": "uuid", "spec_value": "ab-12" }
 * Fields are split on blanks; octal escapes (\040) are decoded.  Missing
 * fields take fstab(5) defaults (vfstype "auto", options "defaults", freq and
 * passno 0); a word starting with '#' after the second field starts a
 * comment; fewer than 2 or more than 6 fields, or a non-numeric
 * freq/passno, is an error.
 *
 * spec_kind is one of: "device" (/dev/sdX, /dev/vdX, /dev/mapper/..., any
 * other /dev path), "uuid", "partuuid", "label", "partlabel", "id"
 * (TAG=value, tag in any case; spec_value is the value without quotes),
 * "by-uuid", "by-label", "by-partuuid", "by-partlabel", "by-id", "by-path"
 * (/dev/disk/by-X/NAME; spec_value is NAME), "other" (nfs, tmpfs, none,
 * proc...).
 * For "device", "device_type" is "sd", "hd", "vd", "xvd", "nvme", "mmcblk",
 * "mapper", "md", "dm", "lvm" (/dev/VG/LV) or "other".
 */
json_object *h2k_linuxcfg_fstab (const char *text, size_t len,
                                 const char *name);

/* crypttab(5).  Returns an array of
 *   { "line": 1, "target": "sda5_crypt", "source": "UUID=...",
 *     "keyfile": "none", "options": "luks", "spec_kind": "uuid",
 *     "spec_value": "..." }
 * keyfile and options are absent when the line has no such field.
 * spec_kind/spec_value/device_type classify "source" as for fstab.
 */
json_object *h2k_linuxcfg_crypttab (const char *text, size_t len,
                                    const char *name);

/* Classify a block device spec (fstab first field, crypttab source, root=
 * value).  Returns the kind (a static string) and sets *VALUE to a new
 * string (caller frees; NULL when the kind has no value) and *DEVICE_TYPE
 * to a static string or NULL (only for "device").  NULL on out of memory.
 */
const char *h2k_linuxcfg_classify_spec (const char *spec, char **value,
                                        const char **device_type);

/* Debian ifupdown interfaces(5).  Returns
 *   { "interfaces": [ { "name": "eth0", "line": 5, "auto": true,
 *                       "allow_hotplug": false, "allow": ["hotplug", ...],
 *                       "stanzas": [ { "line": 7, "end_line": 10,
 *                                      "family": "inet", "method": "static",
 *                                      "inherits": "tmpl",
 *                                      "options": { "address": "1.2.3.4/24",
 *                                       "up": ["cmd", ...] } } ] } ],
 *     "auto": [ { "name": "eth0", "line": 5 } ],    (also "allow-auto")
 *     "sources": [ { "line": 3, "kind": "source"|"source-directory",
 *                    "path": "/etc/network/interfaces.d/x" } ],
 *     "mappings": [ { "line": 9, "end_line": 11, "match": ["eth0"],
 *                     "script": "/path", "map": ["a b", ...] } ] }
 * "interfaces" lists every name seen in iface, auto or allow-* lines, in
 * order of first appearance ("line" is that first line); "stanzas" may be
 * empty.  family/method are absent in "iface x inherits y".  The options
 * up, down, pre-up, post-up, pre-down, post-down are always arrays; other
 * repeated options become arrays.  Continuation lines (trailing backslash)
 * are joined.
 */
json_object *h2k_linuxcfg_ifupdown (const char *text, size_t len,
                                    const char *name);

/* Shell-variable files: RHEL/SUSE ifcfg-*, /etc/default/grub,
 * /etc/sysconfig files, os-release.  Returns
 *   { "vars": { "KEY": "value", ... },       (the last assignment wins)
 *     "lines": { "KEY": 4, ... },            (line of that assignment)
 *     "dynamic": [ "KEY", ... ],              (value has $ or ` expansions,
 *                                              kept literally)
 *     "ignored": [ { "line": 9, "text": "...", "reason": "..." } ] }
 * Quoting: '...' literal; "..." with \" \\ \$ \` \<newline> escapes;
 * unquoted with backslash escapes; $'...' ANSI-C strings; words are
 * concatenated (a"b"'c' is abc).  "export KEY=..." is accepted, and
 * "KEY+=..." appends to the value so far (dracut.conf.d files).  A line that
 * is not a single assignment (a command, KEY=a b, an unterminated quote) is
 * recorded in "ignored", not an error.
 */
json_object *h2k_linuxcfg_shellvars (const char *text, size_t len,
                                     const char *name);

/* INI-style files: NetworkManager keyfiles, systemd .network/.link/.netdev.
 *   { "sections": [ { "name": "Match", "line": 1,
 *                     "entries": [ { "key": "Name", "value": "eth0",
 *                                    "line": 2 } ] } ] }
 * Order and duplicates (keys and sections) are kept.  Comments start with
 * '#' or ';'.  Values are trimmed, otherwise raw (no NM unescaping).  A
 * trailing backslash continues the value on the next line (systemd).  A key
 * outside a section or a line that is neither is an error.
 */
json_object *h2k_linuxcfg_ini (const char *text, size_t len,
                               const char *name);

/* Value of the last KEY in the last section named SECTION that has it
 * (systemd merges repeated sections), or NULL.  Borrowed from DOC.
 */
const char *h2k_linuxcfg_ini_get (json_object *doc, const char *section,
                                  const char *key);

/* YAML (netplan) via libyaml: one document converted generically, mappings
 * to objects, sequences to arrays, every scalar to a string (null, true,
 * 12 stay "null", "true", "12"), aliases expanded.  An empty file gives {}.
 * Duplicate keys, non-scalar keys and more than one document are errors.
 */
json_object *h2k_linuxcfg_yaml (const char *text, size_t len,
                                const char *name);

/* udev rules (70-persistent-net.rules).  Returns an array with one object
 * per rule that matches SUBSYSTEM=="net" and assigns NAME:
 *   { "line": 8, "name": "eth0", "mac": "00:16:3e:...", "kernel": "eth*",
 *     "driver": "e1000", "dev_id": "0x0", "type": "1", "action": "add" }
 * Only "line" and "name" are always present; "mac" is lower-cased.
 */
json_object *h2k_linuxcfg_udev_net (const char *text, size_t len,
                                    const char *name);

/* grub.cfg.  Returns
 *   { "default": "0", "timeout": "5",                (if set)
 *     "entries": [ { "title": "Debian GNU/Linux", "line": 20,
 *                    "end_line": 35, "submenu": "Advanced options",
 *                    "linux": "/vmlinuz-6.1.0", "linux_line": 30,
 *                    "cmdline": "root=UUID=... ro quiet",
 *                    "initrd": "/initrd.img-6.1.0", "initrd_line": 33,
 *                    "root": "hd0,msdos1", "search": "--no-floppy --fs-uuid
 *                    --set=root 1234" } ] }
 * linux/linux16/linuxefi and initrd/initrd16/initrdefi are recognised;
 * several initrds are joined with a space.
 */
json_object *h2k_linuxcfg_grub_cfg (const char *text, size_t len,
                                    const char *name);

/* A Boot Loader Specification entry (/boot/loader/entries/x.conf):
 *   { "title": "...", "version": "...", "linux": "...",
 *     "initrd": ["...", ...], "options": "...", ... (every key, last wins;
 *     initrd always an array), "lines": { "title": 1, "options": 4, ... } }
 */
json_object *h2k_linuxcfg_bls (const char *text, size_t len,
                               const char *name);

/* GRUB's environment block (/boot/grub2/grubenv, /boot/grub/grubenv:
 * "saved_entry=...", RHEL 8's "kernelopts=root=... ro"):
 *   { "vars": { "kernelopts": "root=/dev/mapper/rhel-root ro", ... },
 *     "lines": { "kernelopts": 3, ... } }
 * '#' lines (the header and the padding) are skipped; a line without '='
 * is an error.
 */
json_object *h2k_linuxcfg_grubenv (const char *text, size_t len,
                                   const char *name);

/* Split a kernel command line ("root=/dev/sda1 ro quiet
 * resume=UUID=1-2") into an ordered array:
 *   [ { "key": "root", "value": "/dev/sda1" }, { "key": "ro" }, ... ]
 * Double quotes group blanks and are removed (key="a b" -> value "a b").
 * NAME is for messages; an unterminated quote is an error.
 */
json_object *h2k_linuxcfg_cmdline (const char *cmdline, const char *name);

/* The network interpreter: a uniform list of configured interfaces.
 *
 * INPUT is an object whose members are optional; each holds the parsed
 * files of one kind keyed by their guest path:
 *   { "ifupdown":      { "/etc/network/interfaces": <ifupdown>, ... },
 *     "netplan":       { "/etc/netplan/50-cloud-init.yaml": <yaml>, ... },
 *     "ifcfg":         { "/etc/sysconfig/network-scripts/ifcfg-eth0":
 *                          <shellvars>, ... },     (RHEL)
 *     "wicked":        { "/etc/sysconfig/network/ifcfg-eth0":
 *                          <shellvars>, ... },     (SUSE)
 *     "networkmanager":
 *        { "/etc/NetworkManager/system-connections/x.nmconnection": <ini>,
 *          ... },
 *     "networkd":      { "/etc/systemd/network/10-eth0.network": <ini>,
 *                        "/etc/systemd/network/10-eth0.link": <ini>, ... },
 *     "udev_net":      { "/etc/udev/rules.d/70-persistent-net.rules":
 *                          <udev_net>, ... } }
 * (ifcfg "route-NAME" files may be included in "ifcfg"/"wicked" too: they
 * add routes from ADDRESSn/NETMASKn/GATEWAYn; "ifroute-NAME" likewise.)
 * "ifupdown" and "netplan" may also be arrays of parsed files; their
 * records then have "file": "netplan[0]" and so on.
 *
 * Returns an array (caller owns), one object per configured interface
 * (loopback excluded), in input order:
 *   { "name": "eth0",              (null when the profile names none)
 *     "backend": "ifupdown"|"netplan"|"networkmanager"|"ifcfg"|"networkd"
 *                |"wicked",
 *     "file": "/etc/network/interfaces", "line": 7 (when known),
 *     "mac_pin": "52:54:00:12:34:56",    (lower-case; absent if none)
 *     "mac_pin_source": "config"|"udev",
 *     "set_name": "lan0",                 (netplan set-name, .link Name=)
 *     "method": "static"|"dhcp"|"manual",
 *     "addresses": ["192.168.1.5/24", "fd00::5/64"],
 *     "gateway": "192.168.1.1", "gateway6": "fd00::1",   (absent if none)
 *     "dns": ["1.1.1.1"],
 *     "routes": [ { "to": "10.0.0.0/8", "via": "192.168.1.254" } ] }
 * How each backend is read:
 *   ifupdown: one record per interface with iface stanzas (method from the
 *     stanzas: dhcp if any is dhcp/auto/bootp, else static, else manual;
 *     loopback skipped); address (CIDR, or with netmask), gateway,
 *     dns-nameservers, routes from "ip route add"/"route add" in
 *     up/post-up/pre-up.  hwaddress sets a MAC, it does not pin one.
 *   netplan: every device of every type under "network"; name is the id
 *     (or match.name when it is not a glob); match.macaddress is the pin;
 *     set-name; dhcp4/dhcp6; addresses; gateway4/6; routes (to: default
 *     becomes the gateway); nameservers.addresses.
 *   ifcfg (RHEL): files named ifcfg-*; name DEVICE or the file suffix;
 *     HWADDR is the pin (MACADDR sets a MAC and is not); BOOTPROTO,
 *     DHCPV6C; IPADDR[n] with PREFIX[n]/NETMASK[n]; IPV6ADDR,
 *     IPV6ADDR_SECONDARIES; GATEWAY, IPV6_DEFAULTGW; DNS1..9.  route-X and
 *     route6-X go with the ifcfg-X beside them.
 *   wicked (SUSE): ifcfg-*; BOOTPROTO; IPADDR and IPADDR_x with
 *     PREFIXLEN_x/NETMASK_x; LLADDR sets a MAC, no pin.  ifroute-X and
 *     "routes" ("DEST GW MASK IFACE" lines, kept by the shellvars parser
 *     in "ignored"); a route for no interface goes to the first static one.
 *   networkmanager: [connection] interface-name (name, may be null),
 *     [ethernet]/[802-3-ethernet] mac-address (pin; old "0;22;170;..."
 *     form converted); [ipv4]/[ipv6] method (auto = dhcp), addressN,
 *     addressesN (new and old forms, gateway after the comma), gateway,
 *     dns, routeN/routesN.
 *   networkd: .network files: [Match] Name (first word), MACAddress (pin);
 *     [Network] DHCP, Address, Gateway, DNS; [Address] Address; [Route]
 *     Destination/Gateway.  A .link file whose [Link] Name= is the name of
 *     a .network record sets its set_name and, from [Match] MACAddress,
 *     its pin.
 *   udev_net: a record with no pin gets the MAC of the rule naming it
 *     (set_name, else name); mac_pin_source is then "udev".
 * A netmask is converted to a prefix; an ifcfg address without one gets
 * the classful default, as NetworkManager does (IPv6: 64).  Unparseable
 * values are skipped with a debug message, never an error.  NULL
 * (reported) only on out of memory or when INPUT is not an object.
 */
json_object *h2k_linuxcfg_network (json_object *input);

/* Prefix length of a dotted IPv4 netmask ("255.255.255.0" -> 24), or of a
 * plain number ("24"); -1 if it is neither or not contiguous.
 */
int h2k_linuxcfg_netmask_prefix (const char *mask);

#endif
