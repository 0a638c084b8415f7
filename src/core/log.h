// Process-wide logging set-up on spdlog: JSON lines in production, readable
// lines in development. Call ConfigureLogging once at start; afterwards use
// spdlog's free functions (spdlog::info, …) from any thread.
#pragma once

#include "core/config.h"

namespace cancelflow {

void ConfigureLogging(Environment env);

}  // namespace cancelflow
