#pragma once

// SHA-256 digests for fingerprints and derived ids. One implementation (OpenSSL's), so that a
// fingerprint computed by one service or version is the same bytes in another.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace advocacy::digest {

inline constexpr size_t kSha256Bytes = 32;

// The 32 raw bytes of SHA-256(data).
std::array<unsigned char, kSha256Bytes> Sha256(std::string_view data);
// The same digest as a 32-byte binary string (for storage and comparison).
std::string Sha256Bytes(std::string_view data);
// Lower-case hex of `bytes`.
std::string Hex(std::string_view bytes);

// The fingerprint that binds an idempotency key to one request: SHA-256 over the parts, each
// preceded by its length (8 bytes, little-endian), so ("ab", "c") and ("a", "bc") differ.
// Returns the 32 raw bytes. Stored fingerprints and ids derived from them depend on these exact
// bytes: never change the encoding.
std::string Fingerprint(std::initializer_list<std::string_view> parts);

}  // namespace advocacy::digest
