// SPDX-License-Identifier: MIT
/*
 * network.WLAN of the ESP8266_QEMU board, on the emulator's NIC.
 *
 * Replaces the port's network_wlan.c, which drives the SDK's WiFi station/AP API
 * (wifi_station_*, wifi_softap_*). The emulated board has a wired NIC (the HAL's
 * netif_openeth.c) instead of a radio, and the station interface is mapped onto it so
 * that programs written for a real board run unchanged:
 *
 * - active(True) brings up the NIC (OSError ENODEV when QEMU has no NIC for the board);
 * - connect(ssid, key) "associates" at once (any ssid/key) and runs DHCP, or applies the
 *   static configuration set with ifconfig(); status() goes STAT_IDLE -> STAT_CONNECTING ->
 *   STAT_GOT_IP, isconnected() is True from STAT_GOT_IP on;
 * - disconnect() releases the DHCP lease and takes the link down;
 * - ifconfig()/ipconfig(), config('mac'/'essid'/'hostname'/...), status('rssi'), scan();
 * - AP_IF: the object exists (so `WLAN(AP_IF).active(False)` in boot scripts works) and
 *   reports inactive; anything that would start an access point raises OSError(EPERM) with
 *   "AP_IF is not supported on the emulated board".
 *
 * A MicroPython module (objects, qstrs, exceptions), so it belongs to the board, not to the
 * HAL, which knows nothing of MicroPython. The port compiles every .c file of the board
 * directory; without the network (MICROPY_PY_NETWORK_QEMU=0) this one is empty.
 */

#include <string.h>

#include "py/mpconfig.h"

#if MICROPY_PY_NETWORK_QEMU

#include "py/runtime.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "extmod/modnetwork.h"
#include "shared/netutils/netutils.h"
#include "user_interface.h"
#include "modnetwork.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "netif_openeth.h"

typedef struct _wlan_if_obj_t {
    mp_obj_base_t base;
    int if_id;
} wlan_if_obj_t;

static const wlan_if_obj_t wlan_objs[] = {
    {{&esp_network_wlan_type}, STATION_IF},
    {{&esp_network_wlan_type}, SOFTAP_IF},
};

static struct {
    bool active;
    bool connected;     // connect() called, link up
    bool static_ip;     // ifconfig() set an address: no DHCP
    uint8_t phy_mode;
    uint8_t essid_len;
    char essid[32];
} sta = { .phy_mode = PHY_MODE_11N };

static NORETURN void raise_ap_unsupported(void) {
    mp_raise_msg(&mp_type_OSError, MP_ERROR_TEXT("AP_IF is not supported on the emulated board"));
}

static wlan_if_obj_t *get_sta(mp_obj_t self_in) {
    wlan_if_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->if_id != STATION_IF) {
        raise_ap_unsupported();
    }
    return self;
}

static struct netif *sta_netif(void) {
    struct netif *n = netif_openeth_netif();
    if (n == NULL || !sta.active) {
        mp_raise_msg(&mp_type_OSError, MP_ERROR_TEXT("STA must be active"));
    }
    return n;
}

static int sta_status(void) {
    struct netif *n = netif_openeth_netif();
    if (!sta.active || !sta.connected || n == NULL) {
        return STATION_IDLE;
    }
    if (!ip4_addr_isany_val(*netif_ip4_addr(n)) && (sta.static_ip || dhcp_supplied_address(n))) {
        return STATION_GOT_IP;
    }
    return STATION_CONNECTING;
}

static void sta_disconnect(void) {
    struct netif *n = netif_openeth_netif();
    if (n != NULL && sta.connected) {
        if (!sta.static_ip) {
            dhcp_release_and_stop(n);
        }
        netif_set_link_down(n);
    }
    sta.connected = false;
}

static mp_obj_t wlan_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    mp_int_t idx = STATION_IF;
    if (n_args > 0) {
        idx = mp_obj_get_int(args[0]);
        if (idx != STATION_IF && idx != SOFTAP_IF) {
            mp_raise_ValueError(NULL);
        }
    }
    return MP_OBJ_FROM_PTR(&wlan_objs[idx]);
}

static mp_obj_t wlan_active(size_t n_args, const mp_obj_t *args) {
    wlan_if_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    if (self->if_id != STATION_IF) {
        if (n_args > 1 && mp_obj_is_true(args[1])) {
            raise_ap_unsupported();
        }
        return n_args > 1 ? mp_const_none : mp_const_false;
    }
    if (n_args == 1) {
        return mp_obj_new_bool(sta.active);
    }
    if (mp_obj_is_true(args[1])) {
        int err = netif_openeth_start(mod_network_hostname_data);
        if (err != 0) {
            mp_raise_OSError(err);
        }
        netif_openeth_set_rx(true);
        netif_set_up(netif_openeth_netif());
        sta.active = true;
    } else if (sta.active) {
        sta_disconnect();
        netif_set_down(netif_openeth_netif());
        netif_openeth_set_rx(false);
        sta.active = false;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wlan_active_obj, 1, 2, wlan_active);

static mp_obj_t wlan_connect(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_ssid, ARG_key, ARG_bssid };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_bssid, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    get_sta(pos_args[0]);
    struct netif *n = sta_netif();
    if (args[ARG_ssid].u_obj != mp_const_none) {
        size_t len;
        const char *s = mp_obj_str_get_data(args[ARG_ssid].u_obj, &len);
        if (len > sizeof(sta.essid)) {
            mp_raise_ValueError(MP_ERROR_TEXT("ssid too long"));
        }
        memcpy(sta.essid, s, len);
        sta.essid_len = len;
    }
    if (args[ARG_key].u_obj != mp_const_none) {
        mp_obj_str_get_str(args[ARG_key].u_obj); // any key "works", but it must be a string
    }
    sta_disconnect();
    netif_set_link_up(n);
    sta.connected = true;
    if (!sta.static_ip) {
        if (dhcp_start(n) != ERR_OK) {
            mp_raise_OSError(MP_ENOMEM);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(wlan_connect_obj, 1, wlan_connect);

static mp_obj_t wlan_disconnect(mp_obj_t self_in) {
    get_sta(self_in);
    sta_disconnect();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(wlan_disconnect_obj, wlan_disconnect);

static mp_obj_t wlan_status(size_t n_args, const mp_obj_t *args) {
    wlan_if_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    if (n_args == 1) {
        return MP_OBJ_NEW_SMALL_INT(self->if_id == STATION_IF ? sta_status() : STATION_IDLE);
    }
    switch (mp_obj_str_get_qstr(args[1])) {
        case MP_QSTR_rssi:
            get_sta(args[0]);
            // A wire has no signal strength; report a strong, constant one while connected.
            return MP_OBJ_NEW_SMALL_INT(sta_status() == STATION_GOT_IP ? -40 : -128);
        case MP_QSTR_stations:
            raise_ap_unsupported();
        default:
            mp_raise_ValueError(MP_ERROR_TEXT("unknown status param"));
    }
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wlan_status_obj, 1, 2, wlan_status);

static mp_obj_t wlan_isconnected(mp_obj_t self_in) {
    wlan_if_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_bool(self->if_id == STATION_IF && sta_status() == STATION_GOT_IP);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wlan_isconnected_obj, wlan_isconnected);

static mp_obj_t wlan_scan(mp_obj_t self_in) {
    get_sta(self_in);
    sta_netif();
    // No radio, no access points to list.
    return mp_obj_new_list(0, NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wlan_scan_obj, wlan_scan);

static mp_obj_t wlan_ifconfig(size_t n_args, const mp_obj_t *args) {
    get_sta(args[0]);
    struct netif *n = netif_openeth_netif();
    if (n == NULL) {
        // Not started yet: bring up the NIC's netif (down) so the addresses can be kept.
        int err = netif_openeth_start(mod_network_hostname_data);
        if (err != 0) {
            mp_raise_OSError(err);
        }
        n = netif_openeth_netif();
        if (!sta.active) {
            netif_openeth_set_rx(false);
        }
    }
    if (n_args == 1) {
        return mod_network_nic_ifconfig(n, 0, NULL);
    }
    if (args[1] == MP_OBJ_NEW_QSTR(MP_QSTR_dhcp)) {
        sta.static_ip = false;
        if (sta.connected) {
            netif_set_addr(n, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4);
            dhcp_start(n);
        }
        return mp_const_none;
    }
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(args[1], 4, &items);
    ip4_addr_t ip, mask, gw;
    ip_addr_t dns;
    netutils_parse_ipv4_addr(items[0], (uint8_t *)&ip, NETUTILS_BIG);
    netutils_parse_ipv4_addr(items[1], (uint8_t *)&mask, NETUTILS_BIG);
    netutils_parse_ipv4_addr(items[2], (uint8_t *)&gw, NETUTILS_BIG);
    netutils_parse_ipv4_addr(items[3], (uint8_t *)&dns, NETUTILS_BIG);
    dhcp_release_and_stop(n);
    sta.static_ip = true;
    netif_set_addr(n, &ip, &mask, &gw);
    dns_setserver(0, &dns);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wlan_ifconfig_obj, 1, 2, wlan_ifconfig);

static mp_obj_t wlan_ipconfig(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    get_sta(args[0]);
    return mod_network_nic_ipconfig(sta_netif(), n_args - 1, args + 1, kwargs);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(wlan_ipconfig_obj, 1, wlan_ipconfig);

static mp_obj_t wlan_config(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    if (n_args != 1 && kwargs->used != 0) {
        mp_raise_TypeError(MP_ERROR_TEXT("either pos or kw args are allowed"));
    }
    get_sta(args[0]);
    if (kwargs->used != 0) {
        for (size_t i = 0; i < kwargs->alloc; ++i) {
            if (!mp_map_slot_is_filled(kwargs, i)) {
                continue;
            }
            mp_obj_t value = kwargs->table[i].value;
            switch (mp_obj_str_get_qstr(kwargs->table[i].key)) {
                case MP_QSTR_mac: {
                    mp_buffer_info_t buf;
                    mp_get_buffer_raise(value, &buf, MP_BUFFER_READ);
                    if (buf.len != 6) {
                        mp_raise_ValueError(MP_ERROR_TEXT("invalid buffer length"));
                    }
                    netif_openeth_set_mac(buf.buf);
                    break;
                }
                case MP_QSTR_hostname:
                case MP_QSTR_dhcp_hostname: {
                    mp_obj_t a[1] = { value };
                    mod_network_hostname(1, a);
                    break;
                }
                case MP_QSTR_ssid:
                case MP_QSTR_essid: {
                    size_t len;
                    const char *s = mp_obj_str_get_data(value, &len);
                    if (len > sizeof(sta.essid)) {
                        mp_raise_ValueError(MP_ERROR_TEXT("ssid too long"));
                    }
                    memcpy(sta.essid, s, len);
                    sta.essid_len = len;
                    break;
                }
                case MP_QSTR_reconnects:
                case MP_QSTR_txpower:
                case MP_QSTR_pm:
                    // Radio settings: accepted, no effect on a wire.
                    break;
                default:
                    mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
            }
        }
        return mp_const_none;
    }
    if (n_args != 2) {
        mp_raise_TypeError(MP_ERROR_TEXT("can query only one param"));
    }
    switch (mp_obj_str_get_qstr(args[1])) {
        case MP_QSTR_mac: {
            uint8_t mac[6];
            netif_openeth_get_mac(mac);
            return mp_obj_new_bytes(mac, sizeof(mac));
        }
        case MP_QSTR_ssid:
        case MP_QSTR_essid:
            return mp_obj_new_str(sta.essid, sta.essid_len);
        case MP_QSTR_hostname:
        case MP_QSTR_dhcp_hostname:
            return mod_network_hostname(0, NULL);
        case MP_QSTR_channel:
            return MP_OBJ_NEW_SMALL_INT(1);
        case MP_QSTR_reconnects:
            return MP_OBJ_NEW_SMALL_INT(-1);
        case MP_QSTR_pm:
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            mp_raise_ValueError(MP_ERROR_TEXT("unknown config param"));
    }
}
static MP_DEFINE_CONST_FUN_OBJ_KW(wlan_config_obj, 1, wlan_config);

static const mp_rom_map_elem_t wlan_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_active), MP_ROM_PTR(&wlan_active_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&wlan_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR_disconnect), MP_ROM_PTR(&wlan_disconnect_obj) },
    { MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&wlan_status_obj) },
    { MP_ROM_QSTR(MP_QSTR_scan), MP_ROM_PTR(&wlan_scan_obj) },
    { MP_ROM_QSTR(MP_QSTR_isconnected), MP_ROM_PTR(&wlan_isconnected_obj) },
    { MP_ROM_QSTR(MP_QSTR_config), MP_ROM_PTR(&wlan_config_obj) },
    { MP_ROM_QSTR(MP_QSTR_ifconfig), MP_ROM_PTR(&wlan_ifconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_ipconfig), MP_ROM_PTR(&wlan_ipconfig_obj) },
    { MP_ROM_QSTR(MP_QSTR_PM_NONE), MP_ROM_INT(0) },
    { MP_ROM_QSTR(MP_QSTR_PM_PERFORMANCE), MP_ROM_INT(2) },
    { MP_ROM_QSTR(MP_QSTR_PM_POWERSAVE), MP_ROM_INT(1) },
};
static MP_DEFINE_CONST_DICT(wlan_locals_dict, wlan_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    esp_network_wlan_type,
    MP_QSTR_WLAN,
    MP_TYPE_FLAG_NONE,
    make_new, wlan_make_new,
    locals_dict, &wlan_locals_dict
    );

// network.phy_mode([mode]): stored only.
static mp_obj_t network_phy_mode(size_t n_args, const mp_obj_t *args) {
    if (n_args == 0) {
        return MP_OBJ_NEW_SMALL_INT(sta.phy_mode);
    }
    sta.phy_mode = mp_obj_get_int(args[0]);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(esp_network_phy_mode_obj, 0, 1, network_phy_mode);

// network.ipconfig(...): lwIP's common implementation (modnetwork.c lists it first).
MP_DEFINE_CONST_FUN_OBJ_KW(esp_network_ipconfig_obj, 0, mod_network_ipconfig);

#endif // MICROPY_PY_NETWORK_QEMU
