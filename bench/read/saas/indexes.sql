-- bench/read/saas/indexes.sql — the plain table's indexes for generator "saas":
-- one per filter of the page (actor, action, resource type, org), each ending
-- in occurred_at so that the newest matches come first, plus one per resource
-- and one on outcome (more than most developers would write: this anchor is
-- meant to be hard to beat).
--
-- action is indexed with text_pattern_ops so that a category filter
-- (action LIKE 'credential.%') is an index range too: the database's
-- collation is not "C", and a default btree on text cannot serve LIKE there.
-- Equality and the occurred_at order work on it as on a default one.
CREATE INDEX events_occurred_at_idx ON bench_plain.events (occurred_at);
CREATE INDEX events_actor_occurred_at_idx ON bench_plain.events (actor, occurred_at);
CREATE INDEX events_action_occurred_at_idx ON bench_plain.events (action text_pattern_ops, occurred_at);
CREATE INDEX events_resource_type_occurred_at_idx ON bench_plain.events (resource_type, occurred_at);
CREATE INDEX events_org_id_occurred_at_idx ON bench_plain.events (org_id, occurred_at);
CREATE INDEX events_resource_idx ON bench_plain.events (resource_type, resource_id);
CREATE INDEX events_outcome_idx ON bench_plain.events (outcome);
