#include "events/redactor.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace cancelflow::events {
namespace {

TEST(Redactor, SecretKeysAreRedactedAtAnyDepth) {
  auto v = boost::json::parse(R"({
    "token": "abc", "webhookSecret": "whsec_x", "headers": {"Authorization": "Bearer xyz", "X-Api-Key": "k"},
    "items": [{"password": "p"}], "requestId": "req_1", "count": 3, "providerToken": null
  })");
  auto r = Redact(v).as_object();
  EXPECT_EQ(r["token"], "[REDACTED]");
  EXPECT_EQ(r["webhookSecret"], "[REDACTED]");
  EXPECT_EQ(r["headers"].at("Authorization"), "[REDACTED]");
  EXPECT_EQ(r["headers"].at("X-Api-Key"), "[REDACTED]");
  EXPECT_EQ(r["items"].at(0).at("password"), "[REDACTED]");
  EXPECT_EQ(r["requestId"], "req_1");
  EXPECT_EQ(r["count"], 3);
  EXPECT_TRUE(r["providerToken"].is_null());
}

TEST(Redactor, SecretLookingValuesAreRedactedWhateverTheirKey) {
  auto r = Redact(boost::json::parse(
                      R"({"note": "cf_AbCdEf0123456789", "x": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "y": "sk_live_123"})"))
               .as_object();
  EXPECT_EQ(r["note"], "[REDACTED]");
  EXPECT_EQ(r["x"], "[REDACTED]");
  EXPECT_EQ(r["y"], "[REDACTED]");
}

TEST(Redactor, EmailsKeepFirstLetterAndDomain) {
  auto r = Redact(boost::json::parse(R"({"email": "jane.doe@example.com", "to": ["bob@mail.example.org"]})"))
               .as_object();
  EXPECT_EQ(r["email"], "j***@example.com");
  EXPECT_EQ(r["to"].at(0), "b***@mail.example.org");
  EXPECT_EQ(RedactString("not an email @ all"), "not an email @ all");
  EXPECT_EQ(RedactString("plain text"), "plain text");
}

// RedactedJson skips the copy only when Redact would change nothing.
TEST(Redactor, RedactedJsonEqualsSerializedRedactWhateverTheInput) {
  for (const char* text : {
           R"({"requestId": "req_1", "progress": 40, "step": "api", "ok": true, "list": [1, "a"]})",
           R"({"deep": {"deeper": [{"apiKey": "k"}]}})",
           R"({"note": "Bearer abc"})",
           R"({"to": ["x", "bob@mail.example.org"]})",
           R"({"a_very_long_key_name_that_goes_past_the_sixty_four_bytes_kept_on_the_stack_token": "v"})",
           R"({"a_very_long_key_name_that_goes_past_the_sixty_four_bytes_kept_on_the_stack_plain": "v"})",
           R"({"providerToken": null})",
       }) {
    const auto v = boost::json::parse(text);
    EXPECT_EQ(RedactedJson(v), boost::json::serialize(Redact(v))) << text;
    EXPECT_EQ(NeedsRedaction(v), Redact(v) != v) << text;
  }
  EXPECT_TRUE(IsSecretKey("X-API-KEY"));
  EXPECT_TRUE(IsSecretKey("private_key"));
  EXPECT_FALSE(IsSecretKey("requestId"));
}

}  // namespace
}  // namespace cancelflow::events
