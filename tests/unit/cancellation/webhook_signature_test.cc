#include "cancellation/webhook_signature.h"

#include <gtest/gtest.h>

namespace cancelflow::cancellation {
namespace {

// API.md's test vector (the Standard Webhooks reference vector).
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const int64_t kTimestamp = 1614265330;
const std::string kBody = R"({"test": 2432232314})";
const std::string kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const TimePoint kNow = FromUnixMillis(kTimestamp * 1000 + 10'000);

TEST(StandardWebhook, SignsTheTestVector) {
  auto sig = SignStandardWebhook(kSecret, kId, kTimestamp, kBody);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, kSignature);
}

TEST(StandardWebhook, VerifiesTheTestVectorAmongSeveralSignaturesAndSecrets) {
  const StandardWebhookHeaders h{kId, std::to_string(kTimestamp), "v1,bm90IGl0 " + kSignature};
  EXPECT_TRUE(VerifyStandardWebhook({"whsec_b2xkIHNlY3JldA==", kSecret}, h, kBody, kNow).ok());
}

TEST(StandardWebhook, RejectsTamperingOldTimestampsAndMissingHeaders) {
  const StandardWebhookHeaders h{kId, std::to_string(kTimestamp), kSignature};
  EXPECT_EQ(VerifyStandardWebhook({kSecret}, h, R"({"test": 2432232315})", kNow).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyStandardWebhook({"whsec_b2xkIHNlY3JldA=="}, h, kBody, kNow).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyStandardWebhook({kSecret}, h, kBody, kNow + Millis(301'000)).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyStandardWebhook({kSecret}, {kId, std::to_string(kTimestamp), ""}, kBody, kNow).code(),
            Code::kUnauthenticated);
  EXPECT_EQ(VerifyStandardWebhook({kSecret}, {kId, "yesterday", kSignature}, kBody, kNow).code(),
            Code::kUnauthenticated);
}

TEST(StripeWebhook, SignsAndVerifies) {
  const std::string header = SignStripeWebhook("sk_test_secret", kTimestamp, kBody);
  EXPECT_EQ(header.substr(0, 13), "t=1614265330,");
  EXPECT_TRUE(VerifyStripeWebhook({"other", "sk_test_secret"}, header, kBody, kNow).ok());
  EXPECT_EQ(VerifyStripeWebhook({"sk_test_secret"}, header, "{}", kNow).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyStripeWebhook({"sk_test_secret"}, header, kBody, kNow + Millis(400'000)).code(),
            Code::kUnauthenticated);
  EXPECT_EQ(VerifyStripeWebhook({"sk_test_secret"}, "", kBody, kNow).code(), Code::kUnauthenticated);
}

TEST(Base64, RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_FALSE(Base64Decode("abc").has_value());
}

}  // namespace
}  // namespace cancelflow::cancellation
