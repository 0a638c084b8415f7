-- cancelflow schema, version 2: the admin's view of all cancellation requests
-- (GET /v1/cancellations as admin, GET /v1/system/metrics) reads them by creation time.
CREATE INDEX cancellation_requests_created ON cancellation_requests(created_at DESC, id DESC);
