/*
 * MD5 (RFC 1321) with the interface of the mask ROM's MD5Init/MD5Update/MD5Final.
 *
 * The context is the 88 bytes the ROM's callers allocate: state, bit count, block buffer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "rom.h"

/* floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4 */
static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
    0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
    0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
    0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
    0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* per-round left rotations, four per round */
static const uint8_t md5_r[16] = {
    7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21,
};

static uint32_t rotl(uint32_t x, uint32_t n)
{
    return (x << n) | (x >> (32 - n));
}

static void md5_block(uint32_t state[4], const uint8_t *block)
{
    uint32_t m[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];

    for (int i = 0; i < 16; i++) {
        m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    }
    for (int i = 0; i < 64; i++) {
        uint32_t f, g, t;
        int round = i >> 4;

        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & c);
            g = 5 * i + 1;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = 3 * i + 5;
        } else {
            f = c ^ (b | ~d);
            g = 7 * i;
        }
        t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + md5_k[i] + m[g & 15], md5_r[round * 4 + (i & 3)]);
        a = t;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

void MD5Init(struct MD5Context *ctx)
{
    ctx->state[0] = 0x67452301;
    ctx->state[1] = 0xefcdab89;
    ctx->state[2] = 0x98badcfe;
    ctx->state[3] = 0x10325476;
    ctx->count[0] = 0;
    ctx->count[1] = 0;
}

void MD5Update(struct MD5Context *ctx, const void *data, uint32_t len)
{
    const uint8_t *p = data;
    uint32_t used = (ctx->count[0] >> 3) & 63;
    uint32_t bits = len << 3;

    ctx->count[0] += bits;
    if (ctx->count[0] < bits) {
        ctx->count[1]++;
    }
    ctx->count[1] += len >> 29;

    while (len) {
        uint32_t n = 64 - used;

        if (n > len) {
            n = len;
        }
        if (used == 0 && n == 64) {
            md5_block(ctx->state, p);
        } else {
            memcpy(ctx->buf + used, p, n);
            if (used + n == 64) {
                md5_block(ctx->state, ctx->buf);
            }
        }
        used = (used + n) & 63;
        p += n;
        len -= n;
    }
}

void MD5Final(uint8_t digest[16], struct MD5Context *ctx)
{
    static const uint8_t pad = 0x80;
    uint8_t length[8];
    uint32_t used;

    for (int i = 0; i < 8; i++) {
        length[i] = (uint8_t)(ctx->count[i >> 2] >> (8 * (i & 3)));
    }
    MD5Update(ctx, &pad, 1);
    used = (ctx->count[0] >> 3) & 63;
    while (used != 56) {
        static const uint8_t zero;

        MD5Update(ctx, &zero, 1);
        used = (used + 1) & 63;
    }
    MD5Update(ctx, length, 8);
    for (int i = 0; i < 16; i++) {
        digest[i] = (uint8_t)(ctx->state[i >> 2] >> (8 * (i & 3)));
    }
    memset(ctx, 0, sizeof(*ctx));
}
