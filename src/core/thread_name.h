// NameThisThread: gives the calling thread a name that `top -H`, `ps -L`, perf
// and debuggers show (Linux keeps the first 15 bytes). Best effort: a platform
// without thread names ignores it.
#pragma once

#include <string_view>

namespace cancelflow {

void NameThisThread(std::string_view name);

}  // namespace cancelflow
