-- bench/read/shop/indexes.sql — the plain table's indexes for generator "shop":
-- the four a developer usually writes for an audit table (besides the primary
-- key): time, who, what, and which resource; who and what end in occurred_at
-- so that the page's newest matches come first.
--
-- action is indexed with text_pattern_ops so that a category filter
-- (action LIKE 'payment.%') is an index range too: the database's collation
-- is not "C", and a default btree on text cannot serve LIKE there.
CREATE INDEX events_occurred_at_idx ON bench_plain.events (occurred_at);
CREATE INDEX events_actor_occurred_at_idx ON bench_plain.events (actor, occurred_at);
CREATE INDEX events_action_occurred_at_idx ON bench_plain.events (action text_pattern_ops, occurred_at);
CREATE INDEX events_resource_idx ON bench_plain.events (resource_type, resource_id);
