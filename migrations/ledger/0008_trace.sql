-- Tracing (src/Ledger/Trace, docs/audit.md#tracing): the indexes that keep every trace page to index scans whatever the size of the
-- ledger. Applied at start-up; safe to run again.

-- An entry's usage events, page by page in ledger order, with their shares (index-only scans; the sum of all shares too).
-- It replaces journal_usage_entry (entry_id), which it covers.
create index if not exists journal_usage_entry_seq on ledger.journal_usage (entry_id, seq) include (amount);
drop index if exists ledger.journal_usage_entry;

-- An invoice's billing record, page by page in ledger order (an invoice line's events).
create index if not exists billed_usage_invoice on ledger.billed_usage (invoice_seq, seq);

-- Dispute queries by request id (the event's data.request_id): only events that carry one are indexed.
create index if not exists rated_usage_request_id on ledger.rated_usage (customer_id, (dimensions->>'request_id')) where dimensions ? 'request_id';
