-- cancelflow schema, version 3: the same partial indexes, their conditions
-- written as ORs. SQLite evaluates a condition `x IN (a, b, c)` of three or more
-- values through a temporary B-tree built anew for every row written, which made
-- each save of a workflow instance or a cancellation request open and close up to
-- three of them; a chain of comparisons costs nothing of the kind.
DROP INDEX workflow_instances_unfinished;
CREATE INDEX workflow_instances_unfinished ON workflow_instances(status)
  WHERE status = 'pending' OR status = 'running' OR status = 'waiting';

DROP INDEX cancellation_requests_active;
-- At most one active request per subscription, even when two arrive at once.
CREATE UNIQUE INDEX cancellation_requests_active ON cancellation_requests(subscription_id)
  WHERE status = 'pending' OR status = 'scheduled' OR status = 'processing';
