// SPDX-License-Identifier: MIT
/*
 * NIC driver and lwIP network interface of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's WiFi MAC driver (libpp/libnet80211 and the eagle_lwip_if glue): the
 * emulator has no radio but an OpenCores 10/100 Ethernet MAC (QEMU's open_eth) on the WiFi
 * MAC's interrupt line 0. See docs/qemu-machine.md ("NIC") for the addresses.
 *
 * - Buffers: the NIC's own 16 KiB buffer RAM holds 10 frame buffers of 1536 bytes, 2 for
 *   transmit and 8 for receive, so no DRAM is spent on rings.
 * - Receive is interrupt driven: the handler (CPU interrupt 0) copies each full receive
 *   buffer into a pbuf from the HAL heap, gives the descriptor back to the NIC at once and
 *   queues the pbuf; the lwIP task (lwip_port.c) runs netif_openeth_service(), registered
 *   with hal_net_start(), which passes the queue to ethernet_input. The
 *   NIC drops frames when all 8 receive descriptors are full (it never stalls), so emptying
 *   them in the handler keeps losses to bursts larger than the ring.
 * - Transmit copies the pbuf chain into the next transmit buffer and hands the descriptor to
 *   the NIC. If that descriptor is still owned by the NIC, it waits up to TX_WAIT_US and
 *   then reports ERR_MEM to lwIP (back-pressure: TCP retries, UDP send fails).
 * - The MAC comes from the eFuse words, like the SDK's wifi_get_macaddr(), and is programmed
 *   into the NIC's address filter.
 */

#include <string.h>
#include "hal.h"
#include "osapi.h"
#include "lwip/opt.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/igmp.h"
#include "netif/ethernet.h"
#include "netif_openeth.h"

// Registers (32-bit words at 0x60010000) and their bits.
#define OETH_BASE 0x60010000
#define OETH_REG(off) (*(volatile uint32_t *)(OETH_BASE + (off)))
#define OETH_MODER OETH_REG(0x00)
#define OETH_INT_SOURCE OETH_REG(0x04)
#define OETH_INT_MASK OETH_REG(0x08)
#define OETH_PACKETLEN OETH_REG(0x18)
#define OETH_COLLCONF_OFF 0x1c
#define OETH_TX_BD_NUM OETH_REG(0x20)
#define OETH_MAC_ADDR0 OETH_REG(0x40)
#define OETH_MAC_ADDR1 OETH_REG(0x44)
#define OETH_HASH0 OETH_REG(0x48)
#define OETH_HASH1 OETH_REG(0x4c)

#define MODER_RXEN (1 << 0)
#define MODER_TXEN (1 << 1)
#define MODER_RST (1 << 11)
#define MODER_CRCEN (1 << 13)
#define MODER_PAD (1 << 15)
#define COLLCONF_RESET 0x000f003f

#define INT_TXB (1 << 0)
#define INT_TXE (1 << 1)
#define INT_RXB (1 << 2)
#define INT_RXE (1 << 3)
#define INT_BUSY (1 << 4)
#define INT_ALL 0x7f

// Buffer descriptors: 128 x {len_flags, buf_ptr} at 0x60010400; TX first, then RX.
typedef struct {
    volatile uint32_t len_flags;
    volatile uint32_t buf_ptr;
} oeth_bd_t;
#define OETH_BD ((oeth_bd_t *)0x60010400)

#define TXD_RD (1 << 15)
#define TXD_IRQ (1 << 14)
#define TXD_WR (1 << 13)
#define TXD_PAD (1 << 12)
#define TXD_CRC (1 << 11)
#define RXD_E (1 << 15)
#define RXD_IRQ (1 << 14)
#define RXD_WRAP (1 << 13)
#define RXD_ERRORS 0x1ff    // CF M OR IS DN TL SF CRC LC: only TL/OR/... matter; M is a miss
#define RXD_BAD (RXD_ERRORS & ~0x80)

#define OETH_BUF_BASE 0x60014000
#define OETH_BUF_SIZE 1536
#define OETH_NTX 2
#define OETH_NRX 8
#define OETH_MAXFL (OETH_BUF_SIZE - 4)  // the NIC appends a 4-byte (zero) FCS
#define OETH_MINFL 64
#define OETH_FCS 4

#define RX_QUEUE_LEN 8                  // frames copied out but not yet seen by lwIP
#define TX_WAIT_US 20000

#define EFUSE_WORD(n) (*(volatile uint32_t *)(0x3ff00050 + 4 * (n)))

static struct netif oeth_netif;
static bool oeth_started;
static uint8_t oeth_mac[6];
static bool oeth_mac_set;
static unsigned tx_next;
static unsigned rx_next;
static struct pbuf *rx_queue[RX_QUEUE_LEN];
static volatile unsigned rx_put;
static volatile unsigned rx_get;
static uint32_t rx_dropped;

bool netif_openeth_present(void) {
    // Without a -nic nothing is mapped at the window and a plain load would be a bus error.
    return hal_probe_read32(OETH_BASE + OETH_COLLCONF_OFF, 0) == COLLCONF_RESET;
}

void netif_openeth_get_mac(uint8_t mac[6]) {
    if (!oeth_mac_set) {
        uint32_t w0 = EFUSE_WORD(0), w1 = EFUSE_WORD(1), w3 = EFUSE_WORD(3);
        oeth_mac[0] = w3 >> 16;
        oeth_mac[1] = w3 >> 8;
        oeth_mac[2] = w3;
        oeth_mac[3] = w1 >> 8;
        oeth_mac[4] = w1;
        oeth_mac[5] = w0 >> 24;
        oeth_mac_set = true;
    }
    memcpy(mac, oeth_mac, 6);
}

static void oeth_program_mac(void) {
    OETH_MAC_ADDR0 = (uint32_t)oeth_mac[2] << 24 | (uint32_t)oeth_mac[3] << 16
        | (uint32_t)oeth_mac[4] << 8 | oeth_mac[5];
    OETH_MAC_ADDR1 = (uint32_t)oeth_mac[0] << 8 | oeth_mac[1];
}

void netif_openeth_set_mac(const uint8_t mac[6]) {
    memcpy(oeth_mac, mac, 6);
    oeth_mac_set = true;
    if (oeth_started) {
        oeth_program_mac();
        memcpy(oeth_netif.hwaddr, mac, 6);
    }
}

struct netif *netif_openeth_netif(void) {
    return oeth_started ? &oeth_netif : NULL;
}

// Copy what the NIC received into pbufs and give the descriptors back. Interrupt context
// (or any context with interrupts masked).
static void oeth_rx_drain(void) {
    for (unsigned n = 0; n < OETH_NRX; ++n) {
        oeth_bd_t *bd = &OETH_BD[OETH_NTX + rx_next];
        uint32_t lf = bd->len_flags;
        if (lf & RXD_E) {
            break;
        }
        uint32_t len = lf >> 16;
        unsigned next_put = (rx_put + 1) % RX_QUEUE_LEN;
        struct pbuf *p = NULL;
        if (!(lf & RXD_BAD) && len > OETH_FCS + 14 && next_put != rx_get) {
            len -= OETH_FCS;
            p = pbuf_alloc(PBUF_RAW, len + ETH_PAD_SIZE, PBUF_RAM);
        }
        if (p != NULL) {
            memcpy((uint8_t *)p->payload + ETH_PAD_SIZE, (const void *)bd->buf_ptr, len);
            rx_queue[rx_put] = p;
            rx_put = next_put;
        } else {
            ++rx_dropped;
        }
        bd->len_flags = RXD_E | RXD_IRQ | (rx_next == OETH_NRX - 1 ? RXD_WRAP : 0);
        rx_next = (rx_next + 1) % OETH_NRX;
    }
}

static void oeth_isr(void *arg) {
    (void)arg;
    uint32_t src = OETH_INT_SOURCE;
    OETH_INT_SOURCE = src;
    if (src & (INT_RXB | INT_RXE | INT_BUSY)) {
        oeth_rx_drain();
        hal_net_post();
    }
}

static void netif_openeth_service(void) {
    if (!oeth_started) {
        return;
    }
    for (;;) {
        uint32_t ps;
        __asm__ volatile ("rsil %0, 15" : "=a" (ps));
        // The ring may hold frames whose interrupt is still pending: take them too.
        oeth_rx_drain();
        struct pbuf *p = NULL;
        if (rx_get != rx_put) {
            p = rx_queue[rx_get];
            rx_get = (rx_get + 1) % RX_QUEUE_LEN;
        }
        __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
        if (p == NULL) {
            break;
        }
        if (oeth_netif.input(p, &oeth_netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
}

static err_t oeth_output(struct netif *netif, struct pbuf *p) {
    (void)netif;
    oeth_bd_t *bd = &OETH_BD[tx_next];
    uint32_t start = system_get_time();
    while (bd->len_flags & TXD_RD) {
        if (system_get_time() - start > TX_WAIT_US) {
            return ERR_MEM;
        }
    }
    uint32_t len = p->tot_len - ETH_PAD_SIZE;
    if (len > OETH_MAXFL) {
        return ERR_BUF;
    }
    uint8_t *buf = (uint8_t *)bd->buf_ptr;
    uint32_t off = 0;
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        const uint8_t *src = q->payload;
        uint32_t n = q->len;
        if (q == p) {
            src += ETH_PAD_SIZE;
            n -= ETH_PAD_SIZE;
        }
        memcpy(buf + off, src, n);
        off += n;
    }
    // Writing len_flags with RD hands the buffer to the NIC (buf_ptr is fixed).
    bd->len_flags = len << 16 | TXD_RD | TXD_PAD | TXD_CRC | (tx_next == OETH_NTX - 1 ? TXD_WR : 0);
    tx_next = (tx_next + 1) % OETH_NTX;
    return ERR_OK;
}

static err_t oeth_netif_init(struct netif *netif) {
    netif->name[0] = 's';
    netif->name[1] = 't';
    netif->output = etharp_output;
    netif->linkoutput = oeth_output;
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, oeth_mac, 6);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP;
    return ERR_OK;
}

void netif_openeth_set_rx(bool on) {
    if (!oeth_started) {
        return;
    }
    if (on) {
        if (!(OETH_MODER & MODER_RXEN)) {
            // The NIC restarts at the first RX descriptor: hand it the whole ring again.
            for (unsigned i = 0; i < OETH_NRX; ++i) {
                OETH_BD[OETH_NTX + i].len_flags = RXD_E | RXD_IRQ | (i == OETH_NRX - 1 ? RXD_WRAP : 0);
            }
            rx_next = 0;
            OETH_MODER |= MODER_RXEN;
        }
    } else {
        OETH_MODER &= ~MODER_RXEN;
    }
}

int netif_openeth_start(const char *hostname) {
    if (oeth_started) {
        return 0;
    }
    if (!netif_openeth_present()) {
        return 19; // ENODEV
    }
    uint8_t mac[6];
    netif_openeth_get_mac(mac);

    ETS_INTR_DISABLE(ETS_WMAC_INUM);
    OETH_MODER = MODER_RST;
    OETH_MODER = MODER_PAD | MODER_CRCEN;
    OETH_INT_MASK = 0;
    OETH_TX_BD_NUM = OETH_NTX;
    OETH_PACKETLEN = (uint32_t)OETH_MINFL << 16 | OETH_MAXFL;
    for (unsigned i = 0; i < OETH_NTX; ++i) {
        OETH_BD[i].buf_ptr = OETH_BUF_BASE + i * OETH_BUF_SIZE;
        OETH_BD[i].len_flags = i == OETH_NTX - 1 ? TXD_WR : 0;
    }
    for (unsigned i = 0; i < OETH_NRX; ++i) {
        OETH_BD[OETH_NTX + i].buf_ptr = OETH_BUF_BASE + (OETH_NTX + i) * OETH_BUF_SIZE;
        OETH_BD[OETH_NTX + i].len_flags = RXD_E | RXD_IRQ | (i == OETH_NRX - 1 ? RXD_WRAP : 0);
    }
    tx_next = 0;
    rx_next = 0;
    rx_put = rx_get = 0;
    oeth_program_mac();
    // Accept every multicast frame (lwIP filters the IGMP groups itself).
    OETH_HASH0 = 0xffffffff;
    OETH_HASH1 = 0xffffffff;
    OETH_INT_SOURCE = INT_ALL;
    OETH_INT_MASK = INT_RXB | INT_RXE | INT_BUSY;
    ets_isr_attach(ETS_WMAC_INUM, oeth_isr, NULL);
    ETS_INTR_ENABLE(ETS_WMAC_INUM);

    if (netif_add(&oeth_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL,
        oeth_netif_init, ethernet_input) == NULL) {
        return 12; // ENOMEM
    }
    // Sent in every DHCP request; the caller's string may change in place.
    netif_set_hostname(&oeth_netif, hostname);
    netif_set_default(&oeth_netif);
    hal_net_start(netif_openeth_service);
    oeth_started = true;
    OETH_MODER = MODER_PAD | MODER_CRCEN | MODER_TXEN | MODER_RXEN;
    return 0;
}
