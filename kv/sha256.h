/*
 * sha256.h - SHA-256 (FIPS 180-4), incremental: content hashes in lfstool
 * manifests and kv_digest in the key-value view.
 */
#ifndef KV_SHA256_H
#define KV_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2*SHA256_DIGEST_SIZE + 1)

struct sha256 {
    uint32_t state[8];
    uint64_t length;        /* bytes hashed so far */
    uint8_t block[64];      /* pending input, length % 64 bytes of it */
};

void sha256_init(struct sha256 *ctx);
void sha256_update(struct sha256 *ctx, const void *data, size_t size);
void sha256_final(struct sha256 *ctx, uint8_t digest[SHA256_DIGEST_SIZE]);
/* Lowercase hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);

#endif
