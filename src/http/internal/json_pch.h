// Precompiled for cf_http: Boost.JSON, used by every route file.
#pragma once

#include <boost/json.hpp>
