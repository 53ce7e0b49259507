#pragma once

// A throw-away PKI for tests: a directory with CAs and certificates they signed (P-256 keys,
// PKCS#8), made with the openssl command line as an operator would. Header-only: it asserts
// with GoogleTest, which only test binaries link.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace advocacy::testing {

class Pki {
 public:
  Pki() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "advocacy-pki-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~Pki() { std::filesystem::remove_all(dir_); }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // <name>.pem / <name>.key: a self-signed CA.
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
        "/CN=" +
        name +
        " -addext basicConstraints=critical,CA:TRUE -addext "
        "keyUsage=critical,keyCertSign -keyout " +
        Path(name + ".key") + " -out " + Path(name + ".pem"));
  }
  // <name>.pem / <name>.key signed by `ca`, for `san`, serverAuth+clientAuth.
  void Issue(const std::string& ca, const std::string& name,
             const std::string& san = "DNS:localhost,IP:127.0.0.1") {
    std::ofstream(Path(name + ".ext"))
        << "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
        << "subjectAltName=" << san << "\n";
    Run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name +
        " -keyout " + Path(name + ".key") + " -out " + Path(name + ".csr"));
    Run("openssl x509 -req -days 2 -in " + Path(name + ".csr") + " -CA " + Path(ca + ".pem") +
        " -CAkey " + Path(ca + ".key") + " -set_serial 0x" + std::to_string(++serial_) +
        " -extfile " + Path(name + ".ext") + " -out " + Path(name + ".pem"));
  }

 private:
  static void Run(const std::string& command) {
    ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
  }
  std::string dir_;
  int serial_ = 100;
};

}  // namespace advocacy::testing
