// SPDX-License-Identifier: MIT
// lwIP 2.2.1 configuration of the ESP8266_QEMU board (NO_SYS, IPv4 only).
//
// Replaces the lwIP configuration baked into the SDK's liblwip_open. Memory is the scarce
// resource: after MicroPython's 38 KiB GC heap, about 38 KiB of DRAM are left for the HAL
// heap (firmware/hal/heap.c), which serves os_malloc, esp.malloc and lwIP. Budget:
//
// - No static pools: MEM_CUSTOM_ALLOCATOR + MEMP_MEM_MALLOC take every pbuf, PCB and ARP/DHCP
//   record from the HAL heap on demand, so an idle stack costs about 1 KiB (netif, DHCP,
//   DNS table, timeouts) and nothing is reserved for connections that never happen.
// - Per TCP connection the peaks are bounded by the windows below: TCP_WND (4 MSS, about
//   5.9 KiB of received data queued before the application reads it) and TCP_SND_BUF
//   (4 MSS of unacknowledged data). A busy connection therefore costs up to ~12 KiB, two
//   of them fit; MicroPython's socket layer keeps at most one received pbuf chain per socket.
// - Received frames are copied out of the NIC's own 16 KiB buffer RAM (not DRAM) by the
//   interrupt handler; at most NETIF_OPENETH_RX_QUEUE frames wait for the stack
//   (firmware/hal/netif_openeth.c).
//
// The values are documented in docs/firmware.md ("Network").
#ifndef ESP8266_QEMU_LWIPOPTS_H
#define ESP8266_QEMU_LWIPOPTS_H

#include <stddef.h>
#include <stdint.h>

// ---- system: no OS, callbacks run from the port's task loop (ets_loop_iter) -----------------
#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            1   // the NIC interrupt allocates pbufs
#define LWIP_SOCKET                     0
#define LWIP_NETCONN                    0
#define LWIP_NETIF_API                  0
#define LWIP_TIMERS                     1
#define LWIP_SINGLE_NETIF               1
// MicroPython >= 1.26 (extmod/network_lwip.c: sys_untimeout_all_with_arg) walks lwIP's timeout
// list through sys_timeouts_get_next_timeout(), which lwIP declares only in test mode. In
// lwIP 2.2.1 test mode adds nothing else that we build (that accessor, and lwip_cyclic_timer
// no longer static); upstream's own lwipopts_common.h sets it for the same reason.
#define LWIP_TESTMODE                   1

// ---- memory: everything from the HAL heap ---------------------------------------------------
#define MEM_ALIGNMENT                   4
#define MEM_CUSTOM_ALLOCATOR            1
#define MEMP_MEM_MALLOC                 1
void *hal_lwip_malloc(size_t size);
void *hal_lwip_calloc(size_t n, size_t size);
void hal_lwip_free(void *p);
#define MEM_CUSTOM_MALLOC               hal_lwip_malloc
#define MEM_CUSTOM_CALLOC               hal_lwip_calloc
#define MEM_CUSTOM_FREE                 hal_lwip_free
// Upper bounds for the (heap-allocated) objects. With MEMP_MEM_MALLOC lwIP does not count
// them (memp_malloc fails only on an exhausted heap); TIME-WAIT pcbs are bounded separately
// by TCP_MAX_TIME_WAIT_PCBS below.
#define MEMP_NUM_TCP_PCB                6
#define MEMP_NUM_TCP_PCB_LISTEN         4
#define MEMP_NUM_UDP_PCB                4
#define MEMP_NUM_RAW_PCB                2
#define MEMP_NUM_TCP_SEG                (TCP_SND_QUEUELEN + 8)
#define MEMP_NUM_SYS_TIMEOUT            (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2)
#define PBUF_POOL_SIZE                  4   // only for PBUF_POOL users (none on RX)

// ---- protocols --------------------------------------------------------------------------
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_ARP                        1
#define LWIP_ETHERNET                   1
#define ETHARP_SUPPORT_STATIC_ENTRIES   0
#define ARP_TABLE_SIZE                  4
#define ARP_QUEUEING                    1
#define ARP_QUEUE_LEN                   3
#define IP_REASSEMBLY                   0
#define IP_FRAG                         0
#define LWIP_ICMP                       1
#define LWIP_RAW                        1   // socket.SOCK_RAW (MICROPY_PY_LWIP_SOCK_RAW)
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_IGMP                       1   // IP_ADD_MEMBERSHIP in modlwip
#define LWIP_DNS                        1
#define DNS_TABLE_SIZE                  2
#define DNS_MAX_SERVERS                 2
#define DNS_MAX_NAME_LENGTH             128
#define LWIP_DHCP                       1
#define LWIP_DHCP_DOES_ACD_CHECK        0   // no 1-3 s address probing: the test LAN is ours
#define LWIP_ACD                        0
#define LWIP_AUTOIP                     0
#define LWIP_DHCP_GET_NTP_SRV           0
#define SO_REUSE                        1   // socket.SO_REUSEADDR
#define LWIP_ALTCP                      0
#define LWIP_STATS                      0
#define LWIP_NETIF_HOSTNAME             1   // network.hostname() in DHCP requests
#define LWIP_NETIF_STATUS_CALLBACK      1
#define LWIP_NETIF_LINK_CALLBACK        1
#define LWIP_HAVE_LOOPIF                0
#define LWIP_NETIF_LOOPBACK             0
#define LWIP_CHECKSUM_ON_COPY           0
#define LWIP_CHKSUM_ALGORITHM           3

// ---- TCP ----------------------------------------------------------------------------------
#define TCP_MSS                         1460
#define TCP_WND                         (4 * TCP_MSS)
#define TCP_SND_BUF                     (4 * TCP_MSS)
#define TCP_SND_QUEUELEN                ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ                 1
#define TCP_OOSEQ_MAX_PBUFS             4
#define LWIP_TCP_KEEPALIVE              1
#define TCP_MSL                         5000UL  // TIME_WAIT 10 s, not 2 min: PCBs are heap
// lwip-patches/0001: at most 8 pcbs (~1.4 KiB) in TIME_WAIT; tcp_alloc recycles the oldest.
// Without it a server that closes first filled the whole HAL heap with TIME_WAIT pcbs
// (tests/board/test_net_load.py).
#define TCP_MAX_TIME_WAIT_PCBS          8
// listen(n) bounds the half-open (SYN_RCVD) pcbs of a listener to n, as upstream's
// lwipopts_common.h does for the other lwIP ports. Without it (and with no pool to run out of)
// a SYN flood from unanswered addresses took the whole HAL heap: esp.freemem() fell from
// 37656 to 368 bytes until the 20 s SYN_RCVD timeout (tests/board/test_hostile_nic.py).
#define TCP_LISTEN_BACKLOG              1

// ---- Ethernet frames: 2 bytes of padding keep the IP header word-aligned -------------------
#define ETH_PAD_SIZE                    2

// ---- random numbers: the chip's hardware RNG ----------------------------------------------
#define LWIP_RAND()                     (*(volatile uint32_t *)0x3ff20e44)

#endif // ESP8266_QEMU_LWIPOPTS_H
