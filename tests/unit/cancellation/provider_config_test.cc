#include "cancellation/provider_config.h"

#include <gtest/gtest.h>

#include "cancellation/processors.h"

namespace cancelflow::cancellation {
namespace {

ConfigLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProviderConfig, ShippedExampleLoadsWithTheDemoProviders) {
  auto reg = ProviderRegistry::LoadFile(std::string(CANCELFLOW_SOURCE_DIR) + "/config/providers.example.json",
                                        Env({{"DEMO_PROVIDER_URL", "http://127.0.0.1:4010"}}));
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->Names(), (std::vector<std::string>{"demo-flaky", "demo-hang", "demo-instant", "demo-manual",
                                                    "demo-silent", "demo-webhook"}));
  const ProviderConfig* webhook = reg->Find("demo-webhook");
  ASSERT_TRUE(webhook && webhook->api && webhook->webhook);
  EXPECT_EQ(webhook->api->url, "http://127.0.0.1:4010/demo-webhook/api/cancel");
  EXPECT_EQ(webhook->webhook->confirmation_timeout, Millis(5000));
  EXPECT_EQ(webhook->webhook->inbound_secrets.size(), 1u);
  EXPECT_FALSE(reg->Find("demo-manual")->api.has_value());
  EXPECT_EQ(reg->Find("demo-hang")->api->timeout, Millis(500));
}

TEST(ProviderConfig, SecretsComeFromTheEnvironmentAndMissingOnesAreNamed) {
  const std::string json = R"({"providers": {"acme": {"api": {"url": "https://acme.example/cancel",
      "headers": {"Authorization": "Bearer ${ACME_TOKEN}"}}}}})";
  auto ok = ProviderRegistry::Parse(json, Env({{"ACME_TOKEN", "t0k3n"}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Find("acme")->api->headers.at("Authorization"), "Bearer t0k3n");
  auto missing = ProviderRegistry::Parse(json, Env({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("ACME_TOKEN"), std::string::npos);
  EXPECT_NE(missing.status().message().find("providers.acme.api.headers.Authorization"), std::string::npos);
}

TEST(ProviderConfig, BadFilesAreRefusedWithTheField) {
  EXPECT_FALSE(ProviderRegistry::Parse("{not json", Env({})).ok());
  EXPECT_FALSE(ProviderRegistry::Parse(R"({"nope": {}})", Env({})).ok());
  auto no_url = ProviderRegistry::Parse(R"({"providers": {"a": {"api": {}}}})", Env({}));
  ASSERT_FALSE(no_url.ok());
  EXPECT_NE(no_url.status().message().find("providers.a.api.url"), std::string::npos);
  auto scheme = ProviderRegistry::Parse(R"({"providers": {"a": {"webhook": {"scheme": "md5"}}}})", Env({}));
  EXPECT_FALSE(scheme.ok());
}

TEST(ProviderConfig, TemplatesEscapeJsonValues) {
  EXPECT_EQ(RenderTemplate(R"({"reason":"{{reason}}","id":"{{id}}"})", {{"reason", "say \"bye\""}, {"id", "x"}}, true),
            R"({"reason":"say \"bye\"","id":"x"})");
  EXPECT_EQ(RenderTemplate("/subs/{{id}}/cancel", {{"id", "42"}}, false), "/subs/42/cancel");
}

TEST(ProviderStatus, ClassifiesByTheProvidersLists) {
  ApiConfig api;
  EXPECT_TRUE(ClassifyProviderStatus(api, 200, "x").ok());
  EXPECT_EQ(ClassifyProviderStatus(api, 503, "x").error_class(), ErrorClass::kTemporary);
  EXPECT_EQ(ClassifyProviderStatus(api, 429, "x").error_class(), ErrorClass::kTemporary);
  EXPECT_EQ(ClassifyProviderStatus(api, 401, "x").error_class(), ErrorClass::kConfiguration);
  EXPECT_EQ(ClassifyProviderStatus(api, 409, "x").error_class(), ErrorClass::kUser);
  EXPECT_EQ(ClassifyProviderStatus(api, 599, "x").error_class(), ErrorClass::kTemporary);
  api.success = {299};
  EXPECT_TRUE(ClassifyProviderStatus(api, 299, "x").ok());
}

}  // namespace
}  // namespace cancelflow::cancellation
