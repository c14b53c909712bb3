/* h2k-validate: Ethernet frames we build and parse (ARP, ICMP echo,
 * DHCP).  Pure functions: no I/O, no allocation.
 *
 * IPv4 addresses are uint32_t in host byte order (192.168.122.50 is
 * 0xc0a87a32).  MAC addresses are uint8_t[6].
 */
#ifndef H2K_VALIDATE_FRAME_H
#define H2K_VALIDATE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 1518          /* what we build fits in this */

/* "00:50:56:3a:5c:01" (or with '-') to MAC.  0, or -1 if malformed. */
int frame_parse_mac (const char *s, uint8_t mac[6]);
/* MAC to "00:50:56:3a:5c:01" (lower case) in BUF[18]. */
void frame_format_mac (const uint8_t mac[6], char buf[18]);

/* "192.168.122.50/24" (or without the prefix: /32) to *ADDR and *PREFIX.
 * 0; 1 if S is an IPv6 address (not checked by us); -1 if malformed.
 */
int frame_parse_cidr (const char *s, uint32_t *addr, int *prefix);
/* ADDR as dotted quad in BUF[16]. */
void frame_format_ip (uint32_t addr, char buf[16]);

/* An address in ADDR/PREFIX that we can claim as the sender of our
 * probes: the highest host address of the subnet that is not in AVOID[N].
 * 0 (the ARP-probe sender 0.0.0.0, which Linux and Windows answer too)
 * for /31 and /32 or when every candidate we try is taken.
 */
uint32_t frame_probe_sender (uint32_t addr, int prefix,
                             const uint32_t *avoid, size_t n);

/* The Internet checksum of LEN bytes. */
uint16_t frame_checksum (const void *data, size_t len);

/* Build frames into BUF (at least FRAME_MAX bytes).  Each returns the
 * frame length (padded to the 60-byte Ethernet minimum).
 */
size_t frame_arp_request (uint8_t *buf, const uint8_t smac[6], uint32_t sip,
                          uint32_t tip);
size_t frame_arp_reply (uint8_t *buf, const uint8_t smac[6], uint32_t sip,
                        const uint8_t dmac[6], uint32_t dip);
size_t frame_icmp_echo (uint8_t *buf, const uint8_t smac[6],
                        const uint8_t dmac[6], uint32_t sip, uint32_t dip,
                        uint16_t id, uint16_t seq);

enum frame_kind {
  FRAME_OTHER = 0,
  FRAME_ARP_REQUEST,
  FRAME_ARP_REPLY,
  FRAME_ICMP_ECHO_REQUEST,
  FRAME_ICMP_ECHO_REPLY,
  FRAME_DHCP,                   /* a BOOTP request from a client */
  FRAME_IPV4,                   /* any other IPv4 packet */
  FRAME_IPV6,
};

struct frame_info {
  enum frame_kind kind;
  uint8_t dst[6], src[6];       /* Ethernet header */
  uint16_t ethertype;
  uint32_t sip, tip;            /* ARP sender/target; IPv4 source/dest */
  uint8_t sha[6];               /* ARP sender hardware address */
  uint16_t icmp_id, icmp_seq;
  int dhcp_type;                /* option 53 (1 DISCOVER, 3 REQUEST...), or 0 */
  uint8_t chaddr[6];            /* DHCP client hardware address */
};

/* Parse an Ethernet frame.  0, or -1 if it is too short to be one (then
 * FI is undefined).  Malformed upper layers give FRAME_OTHER/FRAME_IPV4.
 */
int frame_parse (const uint8_t *buf, size_t len, struct frame_info *fi);

/* "DISCOVER", "REQUEST", ... for a DHCP message type; "?" if unknown. */
const char *frame_dhcp_type_name (int type);

#endif
