/*
 * Emulator-only NIC (OpenCores Ethernet MAC at 0x60010000, CPU interrupt 0):
 * send one broadcast frame, then print every frame received (interrupt
 * driven) until one carrying the payload "BYE" arrives.
 */
#include "common/esp8266.h"

#define ETH_REGS        0x60010000u
#define ETH_DESC        0x60010400u
#define ETH_BUF         0x60014000u
#define MODER           REG(ETH_REGS + 0x00)
#define INT_SOURCE      REG(ETH_REGS + 0x04)
#define INT_MASK        REG(ETH_REGS + 0x08)
#define TX_BD_NUM       REG(ETH_REGS + 0x20)
#define MAC_ADDR0       REG(ETH_REGS + 0x40)
#define MAC_ADDR1       REG(ETH_REGS + 0x44)
#define DESC_FLAGS(n)   REG(ETH_DESC + 8 * (n))
#define DESC_PTR(n)     REG(ETH_DESC + 8 * (n) + 4)

#define MODER_RXEN      0x1
#define MODER_TXEN      0x2
#define MODER_PRO       0x20
#define MODER_CRCEN     0x2000
#define MODER_PAD       0x8000
#define INT_TXB         0x1
#define INT_RXB         0x4
#define TXD_RD          0x8000
#define TXD_IRQ         0x4000
#define TXD_WR          0x2000
#define RXD_E           0x8000
#define RXD_IRQ         0x4000
#define RXD_WRAP        0x2000

#define TX_BUF          (ETH_BUF)
#define RX_BUF          (ETH_BUF + 0x800)
#define RX_DESC         1               /* TX_BD_NUM = 1: descriptor 1 is RX */

static const uint8_t mac[6] = { 0x5c, 0xcf, 0x7f, 0xe5, 0x51, 0xa1 };
static volatile uint32_t rx_frames, tx_done, rx_len, rx_pending;

static void nic_isr(void)
{
    uint32_t src = INT_SOURCE;

    INT_SOURCE = src;                   /* write 1 to clear */
    if (src & INT_TXB) {
        tx_done++;
    }
    if (src & INT_RXB) {
        rx_len = DESC_FLAGS(RX_DESC) >> 16;
        rx_pending = 1;
    }
}

static void put_word_be(uint8_t *p, uint32_t off, uint32_t v, unsigned n)
{
    while (n--) {
        p[off + n] = v & 0xff;
        v >>= 8;
    }
}

int main(void)
{
    /* NIC buffer RAM allows byte stores; build the frame there. */
    uint8_t *tx = (uint8_t *)TX_BUF;
    static const char payload[] = "hello from esp8266 nic";
    unsigned i, len;
    uint32_t w;

    MODER = 0;
    MAC_ADDR0 = ((uint32_t)mac[2] << 24) | (mac[3] << 16) | (mac[4] << 8) | mac[5];
    MAC_ADDR1 = (mac[0] << 8) | mac[1];
    TX_BD_NUM = 1;
    DESC_PTR(RX_DESC) = RX_BUF;
    DESC_FLAGS(RX_DESC) = RXD_E | RXD_IRQ | RXD_WRAP;
    INT_SOURCE = 0xff;
    INT_MASK = INT_TXB | INT_RXB;
    irq_attach(INUM_NIC, nic_isr);
    MODER = MODER_RXEN | MODER_TXEN | MODER_PAD | MODER_CRCEN | MODER_PRO;
    irq_enable_all();

    /* broadcast frame, ethertype 0x88b5 (local experimental) */
    for (i = 0; i < 6; i++) {
        tx[i] = 0xff;
        tx[6 + i] = mac[i];
    }
    put_word_be(tx, 12, 0x88b5, 2);
    for (i = 0; payload[i]; i++) {
        tx[14 + i] = payload[i];
    }
    len = 14 + i;
    DESC_PTR(0) = TX_BUF;
    DESC_FLAGS(0) = (len << 16) | TXD_RD | TXD_IRQ | TXD_WR;
    while (!tx_done) {
        wait_for_interrupt();
    }
    uart_puts("TX DONE\nRX ARMED\n");

    for (;;) {
        irq_disable_all();
        if (rx_pending) {
            volatile uint8_t *rx = (volatile uint8_t *)RX_BUF;

            rx_frames++;
            print_kv("rx_len", rx_len);
            uart_puts("rx_payload=");
            for (i = 14; i < rx_len && rx[i] && rx[i] >= 0x20 && rx[i] < 0x7f; i++) {
                uart_putc(rx[i]);
            }
            uart_puts("\n");
            w = (rx[0] << 8) | rx[1];
            print_kv("rx_dst_hi", w);
            if (rx_len >= 17 && rx[14] == 'B' && rx[15] == 'Y' && rx[16] == 'E') {
                print_kv("rx_frames", rx_frames);
                uart_puts("DONE\n");
                return 0;
            }
            rx_pending = 0;
            DESC_FLAGS(RX_DESC) = RXD_E | RXD_IRQ | RXD_WRAP;
            uart_puts("RX ARMED\n");
        }
        wait_for_interrupt();
    }
}
