// SPDX-License-Identifier: MIT
/*
 * MD5 (RFC 1321) of the ESP8266_QEMU open HAL.
 *
 * Replaces the mask ROM's MD5Init/MD5Update/MD5Final, which the port uses to check the
 * firmware image (esp.check_fw()). The context fits the port's opaque 88-byte MD5_CTX.
 */

#include <string.h>
#include "hal.h"
#include "etshal.h"

typedef struct {
    uint32_t state[4];
    uint32_t count[2];  // message length in bits, low word first
    uint8_t buf[64];
} hal_md5_t;

_Static_assert(sizeof(hal_md5_t) <= sizeof(MD5_CTX), "MD5_CTX too small");

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const uint8_t md5_r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static void md5_block(uint32_t state[4], const uint8_t *p) {
    uint32_t m[16];
    for (int i = 0; i < 16; ++i) {
        m[i] = p[4 * i] | (p[4 * i + 1] << 8) | (p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24);
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (int i = 0; i < 64; ++i) {
        uint32_t f;
        int g;
        int round = i >> 4;
        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + ROTL(a + f + md5_k[i] + m[g], md5_r[round * 4 + (i & 3)]);
        a = t;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

void MD5Init(MD5_CTX *context) {
    hal_md5_t *ctx = (hal_md5_t *)context;
    ctx->state[0] = 0x67452301;
    ctx->state[1] = 0xefcdab89;
    ctx->state[2] = 0x98badcfe;
    ctx->state[3] = 0x10325476;
    ctx->count[0] = 0;
    ctx->count[1] = 0;
}

void MD5Update(MD5_CTX *context, const void *data, unsigned int len) {
    hal_md5_t *ctx = (hal_md5_t *)context;
    const uint8_t *in = data;
    uint32_t used = (ctx->count[0] >> 3) & 63;
    uint32_t bits = len << 3;
    ctx->count[0] += bits;
    if (ctx->count[0] < bits) {
        ctx->count[1]++;
    }
    ctx->count[1] += len >> 29;
    while (len > 0) {
        uint32_t n = 64 - used;
        if (n > len) {
            n = len;
        }
        memcpy(ctx->buf + used, in, n);
        used += n;
        in += n;
        len -= n;
        if (used == 64) {
            md5_block(ctx->state, ctx->buf);
            used = 0;
        }
    }
}

void MD5Final(unsigned char digest[16], MD5_CTX *context) {
    hal_md5_t *ctx = (hal_md5_t *)context;
    uint8_t lenbytes[8];
    for (int i = 0; i < 4; ++i) {
        lenbytes[i] = ctx->count[0] >> (8 * i);
        lenbytes[4 + i] = ctx->count[1] >> (8 * i);
    }
    static const uint8_t pad0 = 0x80;
    static const uint8_t zero = 0;
    MD5Update(context, &pad0, 1);
    while (((ctx->count[0] >> 3) & 63) != 56) {
        MD5Update(context, &zero, 1);
    }
    MD5Update(context, lenbytes, 8);
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            digest[4 * i + j] = ctx->state[i] >> (8 * j);
        }
    }
}
