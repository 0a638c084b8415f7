// Prefixed, random, time-sortable identifiers: "job_01jf3k8x2c9q4w7m1n5p6r8t0v".
//
// The part after the prefix is 26 characters of lowercase Crockford base32:
// 10 for the creation time in milliseconds (so ids sort by creation time),
// 16 for 80 random bits. Ids are for naming, not for secrets: tokens are made
// with a cryptographic generator elsewhere. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"

namespace cancelflow {

std::string NewId(std::string_view prefix, TimePoint now);
std::string NewId(std::string_view prefix);

// True when `id` is `prefix` + '_' + 26 base32 characters.
bool IsValidId(std::string_view id, std::string_view prefix);

}  // namespace cancelflow
