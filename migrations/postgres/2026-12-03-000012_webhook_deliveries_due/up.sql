-- The due deliveries, in the order a sender claims them. The partial index this replaces
-- lost to the (webhook_id, event_id) key on SQLite: its planner preferred the webhook filter
-- and then read and sorted every delivery the webhook ever had, about 12 ms per claim after
-- 30,000 events. Leading with the status lets the claim read only the rows it returns.
DROP INDEX webhook_deliveries_due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivery_status, next_attempt_at, id);
