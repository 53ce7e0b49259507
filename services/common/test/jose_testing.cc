#include "jose_testing.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"

namespace advocacy::auth::testing {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

std::string Pem(EVP_PKEY* key, bool private_key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  const int ok =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key);
  EXPECT_EQ(ok, 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<size_t>(length)};
}

PkeyPtr ReadPrivate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return {PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
}

std::string BnBytes(const EVP_PKEY* key, const char* param, int pad_to = 0) {
  BIGNUM* raw = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, param, &raw), 1) << param;
  BnPtr bn(raw, &BN_free);
  std::string bytes(
      pad_to > 0 ? static_cast<size_t>(pad_to) : static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()),
               static_cast<int>(bytes.size()));
  return bytes;
}

std::string DerToJose(const std::vector<unsigned char>& der) {
  const unsigned char* cursor = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())), &ECDSA_SIG_free);
  EXPECT_NE(sig, nullptr);
  std::array<unsigned char, 64> raw{};
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 32, 32);
  return {reinterpret_cast<const char*>(raw.data()), raw.size()};
}

}  // namespace

std::string B64(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

TestKey MakeRsaKey(const std::string& kid, const std::string& alg, int bits) {
  PkeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)), &EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  TestKey out{kid, alg, Pem(key.get(), true), Pem(key.get(), false), Json::object()};
  out.jwk = {{"kty", "RSA"},
             {"kid", kid},
             {"use", "sig"},
             {"alg", alg},
             {"n", B64(BnBytes(key.get(), OSSL_PKEY_PARAM_RSA_N))},
             {"e", B64(BnBytes(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
  return out;
}

TestKey MakeEcKey(const std::string& kid) {
  PkeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  TestKey out{kid, "ES256", Pem(key.get(), true), Pem(key.get(), false), Json::object()};
  out.jwk = {{"kty", "EC"},
             {"kid", kid},
             {"use", "sig"},
             {"alg", "ES256"},
             {"crv", "P-256"},
             {"x", B64(BnBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
             {"y", B64(BnBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  return out;
}

Json Jwks(const std::vector<const TestKey*>& keys) {
  Json list = Json::array();
  for (const TestKey* key : keys) list.push_back(key->jwk);
  return Json{{"keys", list}};
}

std::string SignWith(const TestKey& key, absl::string_view sign_alg, const Json& header,
                     const Json& payload) {
  const std::string input = B64(header.dump()) + "." + B64(payload.dump());
  PkeyPtr pkey = ReadPrivate(key.private_pem);
  EXPECT_NE(pkey, nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey.get()), 1);
  if (sign_alg == "PS256") {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t length = 0;
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()), 1);
  std::vector<unsigned char> signature(length);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), signature.data(), &length, data, input.size()), 1);
  signature.resize(length);
  const std::string jose =
      sign_alg == "ES256"
          ? DerToJose(signature)
          : std::string(reinterpret_cast<const char*>(signature.data()), signature.size());
  return input + "." + B64(jose);
}

std::string Sign(const TestKey& key, const Json& payload) {
  return SignWith(key, key.alg, Json{{"alg", key.alg}, {"typ", "JWT"}, {"kid", key.kid}}, payload);
}

}  // namespace advocacy::auth::testing
