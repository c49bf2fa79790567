// SPDX-License-Identifier: MIT
// lwIP network interface on the emulator's NIC (OpenCores Ethernet MAC, netif_openeth.c).
#ifndef HAL_NETIF_OPENETH_H
#define HAL_NETIF_OPENETH_H

#include <stdbool.h>
#include <stdint.h>

struct netif;

// Whether the NIC exists (QEMU started with a -nic for it).
bool netif_openeth_present(void);
// Bring up the NIC and add the lwIP interface (idempotent); 0 or a positive errno (ENODEV).
// hostname: what lwIP sends in DHCP requests (the string must stay valid; it may change).
int netif_openeth_start(const char *hostname);
// The lwIP interface, or NULL before netif_openeth_start().
struct netif *netif_openeth_netif(void);
// Receiver on/off (frames are dropped by the NIC while off).
void netif_openeth_set_rx(bool on);
// The station MAC: eFuse words by default, as the SDK's wifi_get_macaddr().
void netif_openeth_get_mac(uint8_t mac[6]);
void netif_openeth_set_mac(const uint8_t mac[6]);

#endif // HAL_NETIF_OPENETH_H
