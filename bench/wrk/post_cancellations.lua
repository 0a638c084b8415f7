-- wrk script: POST /v1/cancellations, each request for a subscription of its
-- own (sub_load_<n>; one active request per subscription is the rule), the
-- threads taking disjoint ranges. Set by http_load.sh: TOKEN, SUBS_PER_THREAD.
local counter = 0
local threads = 0

function setup(thread)
  thread:set("first", threads * tonumber(os.getenv("SUBS_PER_THREAD")))
  threads = threads + 1
end

function init(args)
  counter = first
end

request = function()
  counter = counter + 1
  local body = '{"subscriptionId":"sub_load_' .. counter .. '"}'
  return wrk.format("POST", "/v1/cancellations", {
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
    ["Content-Type"] = "application/json",
  }, body)
end
