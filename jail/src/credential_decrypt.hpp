// Opening systemd's encrypted credentials (credential_decrypt.cpp).
#pragma once

#include <cstddef>
#include <string>

#include "zjail/result.hpp"

namespace zjail {

inline constexpr const char* kSystemdCreds = "/usr/bin/systemd-creds";
// systemd's limit for one credential (CREDENTIAL_SIZE_MAX).
inline constexpr size_t kCredentialMax = 1024 * 1024;

// The plaintext of `ciphertext` (systemd-creds' format, base64 or binary),
// which must have been sealed under `name`; `shown` names it in errors.
// `environ` is the invoker's, for SYSTEMD_CREDENTIAL_SECRET alone.
Result<std::string> decrypt_credential(const std::string& name, const std::string& ciphertext,
                                       const std::string& shown, char** environ);

}  // namespace zjail
