// SPDX-License-Identifier: MIT
// Heap API of Espressif's SDK (mem.h): a small allocator over the DRAM left after .bss
// (heap.c). ESP8266_QEMU open HAL.
#ifndef HAL_MEM_H
#define HAL_MEM_H

#include <stddef.h>

void *pvPortMalloc(size_t sz, const char *file, unsigned line);
void *pvPortZalloc(size_t sz, const char *file, unsigned line);
void *pvPortCalloc(size_t n, size_t sz, const char *file, unsigned line);
void *pvPortRealloc(void *p, size_t sz, const char *file, unsigned line);
void vPortFree(void *p, const char *file, unsigned line);
size_t xPortGetFreeHeapSize(void);

#define os_malloc(s) pvPortMalloc((s), __FILE__, __LINE__)
#define os_zalloc(s) pvPortZalloc((s), __FILE__, __LINE__)
#define os_calloc(n, s) pvPortCalloc((n), (s), __FILE__, __LINE__)
#define os_realloc(p, s) pvPortRealloc((p), (s), __FILE__, __LINE__)
#define os_free(p) vPortFree((p), __FILE__, __LINE__)

#endif // HAL_MEM_H
