// Redaction of secrets before anything is written to the audit log, an event
// or a log line: tokens, webhook secrets, provider credentials and full email
// addresses never leave the process in clear.
//
//  * Object members whose key names a secret (token, secret, password,
//    authorization, api_key/apiKey, credential, signature, cookie, private_key)
//    become "[REDACTED]".
//  * Strings that look like a secret whatever their key — our tokens ("cf_…"),
//    webhook secrets ("whsec_…"), "Bearer …", Stripe keys ("sk_live_…") —
//    become "[REDACTED]".
//  * Email addresses keep their first character and domain: "j***@example.com".
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace cancelflow::events {

boost::json::value Redact(const boost::json::value& v);
// Whether Redact would change anything in `v`.
bool NeedsRedaction(const boost::json::value& v);
// serialize(Redact(v)), without copying a value that has nothing to hide.
std::string RedactedJson(const boost::json::value& v);
std::string RedactString(std::string_view s);
bool IsSecretKey(std::string_view key);
std::string MaskEmail(std::string_view email);

}  // namespace cancelflow::events
