// lwIP network interface on the emulator's NIC (OpenCores Ethernet MAC, netif_openeth.c).
#ifndef HAL_NETIF_OPENETH_H
#define HAL_NETIF_OPENETH_H

#include <stdbool.h>
#include <stdint.h>

struct netif;

// Whether the NIC exists (QEMU started with a -nic for it).
bool netif_openeth_present(void);
// Bring up the NIC and add the lwIP interface (idempotent); 0 or a positive errno (ENODEV).
int netif_openeth_start(void);
// The lwIP interface, or NULL before netif_openeth_start().
struct netif *netif_openeth_netif(void);
// Receiver on/off (frames are dropped by the NIC while off).
void netif_openeth_set_rx(bool on);
// The station MAC: eFuse words by default, as the SDK's wifi_get_macaddr().
void netif_openeth_get_mac(uint8_t mac[6]);
void netif_openeth_set_mac(const uint8_t mac[6]);
// Task context: hand the frames queued by the interrupt handler to lwIP.
void netif_openeth_service(void);

// lwip_port.c
void hal_net_init(void);
void hal_net_start_timers(void);
void hal_net_post(void);

#endif // HAL_NETIF_OPENETH_H
