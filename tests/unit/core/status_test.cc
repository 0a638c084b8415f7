#include "core/status.h"

#include <gtest/gtest.h>

namespace cancelflow {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CodesMapToTheThreeJobErrorClasses) {
  EXPECT_EQ(Unavailable("x").error_class(), ErrorClass::kTemporary);
  EXPECT_EQ(DeadlineExceeded("x").error_class(), ErrorClass::kTemporary);
  EXPECT_EQ(Internal("x").error_class(), ErrorClass::kTemporary);
  EXPECT_EQ(FailedPrecondition("x").error_class(), ErrorClass::kConfiguration);
  EXPECT_EQ(Status(Code::kPermissionDenied, "x").error_class(), ErrorClass::kConfiguration);
  EXPECT_EQ(InvalidArgument("x").error_class(), ErrorClass::kUser);
  EXPECT_EQ(NotFound("x").error_class(), ErrorClass::kUser);
  EXPECT_EQ(AlreadyExists("x").error_class(), ErrorClass::kUser);
}

TEST(Status, ToStringNamesTheCode) {
  EXPECT_EQ(NotFound("job job_1 not found").ToString(), "NOT_FOUND: job job_1 not found");
}

TEST(Result, HoldsValueOrError) {
  Result<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  EXPECT_TRUE(v.status().ok());
  Result<int> e = NotFound("nope");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kNotFound);
}

TEST(ErrorClass, NamesRoundTrip) {
  for (ErrorClass c : {ErrorClass::kTemporary, ErrorClass::kConfiguration, ErrorClass::kUser}) {
    EXPECT_EQ(ParseErrorClass(ErrorClassName(c)), c);
  }
  EXPECT_FALSE(ParseErrorClass("fatal").has_value());
}

}  // namespace
}  // namespace cancelflow
