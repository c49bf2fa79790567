// SPDX-License-Identifier: MIT
/*
 * System heap of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's heap (pvPortMalloc family behind os_malloc/os_free): a first-fit
 * allocator with address-ordered free list and coalescing over the DRAM between the end of
 * .bss (_heap_start) and the end of the 80 KiB data region (_heap_end). MicroPython's own
 * objects live in its GC heap (in .bss); this heap serves C code (esp.malloc, later lwIP).
 * Safe to call with interrupts enabled (operations mask them).
 */

#include <string.h>
#include "hal.h"
#include "mem.h"

typedef struct _heap_block_t {
    uint32_t size;      // bytes, header included, multiple of 8
    struct _heap_block_t *next;
} heap_block_t;

#define HDR sizeof(heap_block_t)
#define MIN_SPLIT (2 * HDR)

extern uint8_t _heap_start[];
extern uint8_t _heap_end[];

static heap_block_t *free_list;
static size_t free_bytes;

void hal_heap_init(void) {
    uintptr_t start = ((uintptr_t)_heap_start + 7) & ~7u;
    uintptr_t end = (uintptr_t)_heap_end & ~7u;
    free_list = NULL;
    free_bytes = 0;
    if (end > start + MIN_SPLIT) {
        free_list = (heap_block_t *)start;
        free_list->size = end - start;
        free_list->next = NULL;
        free_bytes = free_list->size;
    }
}

static uint32_t heap_lock(void) {
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    return ps;
}

static void heap_unlock(uint32_t ps) {
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

void *pvPortMalloc(size_t sz, const char *file, unsigned line) {
    (void)file;
    (void)line;
    if (sz == 0 || sz > 0x10000) {
        return NULL;
    }
    uint32_t need = (sz + HDR + 7) & ~7u;
    uint32_t ps = heap_lock();
    void *ret = NULL;
    for (heap_block_t **pp = &free_list; *pp != NULL; pp = &(*pp)->next) {
        heap_block_t *b = *pp;
        if (b->size < need) {
            continue;
        }
        if (b->size - need >= MIN_SPLIT) {
            heap_block_t *rest = (heap_block_t *)((uint8_t *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *pp = rest;
            b->size = need;
        } else {
            *pp = b->next;
        }
        b->next = NULL;
        free_bytes -= b->size;
        ret = b + 1;
        break;
    }
    heap_unlock(ps);
    return ret;
}

void vPortFree(void *p, const char *file, unsigned line) {
    (void)file;
    (void)line;
    if (p == NULL) {
        return;
    }
    heap_block_t *b = (heap_block_t *)p - 1;
    uint32_t ps = heap_lock();
    free_bytes += b->size;
    heap_block_t *prev = NULL;
    heap_block_t *cur = free_list;
    while (cur != NULL && cur < b) {
        prev = cur;
        cur = cur->next;
    }
    b->next = cur;
    if (cur != NULL && (uint8_t *)b + b->size == (uint8_t *)cur) {
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev != NULL) {
        prev->next = b;
        if ((uint8_t *)prev + prev->size == (uint8_t *)b) {
            prev->size += b->size;
            prev->next = b->next;
        }
    } else {
        free_list = b;
    }
    heap_unlock(ps);
}

void *pvPortZalloc(size_t sz, const char *file, unsigned line) {
    void *p = pvPortMalloc(sz, file, line);
    if (p != NULL) {
        memset(p, 0, sz);
    }
    return p;
}

void *pvPortCalloc(size_t n, size_t sz, const char *file, unsigned line) {
    if (sz != 0 && n > 0xffffffffu / sz) {
        return NULL;
    }
    return pvPortZalloc(n * sz, file, line);
}

void *pvPortRealloc(void *p, size_t sz, const char *file, unsigned line) {
    if (p == NULL) {
        return pvPortMalloc(sz, file, line);
    }
    if (sz == 0) {
        vPortFree(p, file, line);
        return NULL;
    }
    size_t old = ((heap_block_t *)p - 1)->size - HDR;
    if (old >= sz) {
        return p;
    }
    void *q = pvPortMalloc(sz, file, line);
    if (q != NULL) {
        memcpy(q, p, old);
        vPortFree(p, file, line);
    }
    return q;
}

size_t xPortGetFreeHeapSize(void) {
    return free_bytes;
}
