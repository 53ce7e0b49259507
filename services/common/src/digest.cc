#include "advocacy/common/digest.h"

#include <openssl/evp.h>

#include <cstdint>

namespace advocacy::digest {

std::array<unsigned char, kSha256Bytes> Sha256(std::string_view data) {
  std::array<unsigned char, kSha256Bytes> out{};
  unsigned int len = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate; a zero digest would then silently match
  // another zero digest, so that is treated as the broken invariant it is.
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != kSha256Bytes) {
    __builtin_trap();
  }
  return out;
}

std::string Sha256Bytes(std::string_view data) {
  const auto d = Sha256(data);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string Fingerprint(std::initializer_list<std::string_view> parts) {
  std::string buffer;
  for (std::string_view p : parts) {
    uint64_t n = p.size();
    for (int i = 0; i < 8; ++i) {
      buffer.push_back(static_cast<char>(n & 0xff));
      n >>= 8;
    }
    buffer.append(p);
  }
  return Sha256Bytes(buffer);
}

}  // namespace advocacy::digest
