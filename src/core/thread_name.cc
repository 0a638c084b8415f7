#include "core/thread_name.h"

#include <pthread.h>

#include <string>

namespace cancelflow {

void NameThisThread(std::string_view name) {
#if defined(__linux__)
  const std::string truncated(name.substr(0, 15));
  (void)pthread_setname_np(pthread_self(), truncated.c_str());
#else
  (void)name;
#endif
}

}  // namespace cancelflow
