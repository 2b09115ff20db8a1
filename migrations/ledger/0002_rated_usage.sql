-- Rated usage: one row per usage event, written by the rating projection (src/Ledger/Rating).
-- A projection, not a fact: rebuilding the projection deletes and rewrites every row from the event log.
create table if not exists ledger.rated_usage (
    seq              bigint primary key,          -- ledger sequence of the UsageRecorded event (mt_events.seq_id)
    customer_id      text not null,
    source           text not null,
    event_id         text not null,
    usage_at         timestamptz not null,        -- business time: picks the price and the period
    recorded_at      timestamptz not null,        -- when the ledger stored the event
    status           text not null check (status in ('rated', 'unpriced', 'unassigned')),
    currency         text,
    amount           numeric,                     -- full precision, never rounded here
    price_book       text,
    price_version    int,
    rule_id          text,
    override_version int,
    reason           text,                        -- why unpriced
    dimensions       jsonb not null,
    lines            jsonb not null               -- [{"meter", "quantity", "amount"}], adding up to amount
);
create index if not exists rated_usage_customer_time on ledger.rated_usage (customer_id, usage_at);
create index if not exists rated_usage_waiting on ledger.rated_usage (seq) where status <> 'rated';

-- Running totals of tiered meters per billing period, in ledger order (see Pricing/Tiers.cs).
create table if not exists ledger.rating_tiers (
    customer_id  text not null,
    period_start timestamptz not null,
    price_book   text not null,
    rule_id      text not null,
    meter        text not null,
    total        numeric not null,
    primary key (customer_id, period_start, price_book, rule_id, meter)
);

-- Rated spend per customer and quarter hour (UTC): budgets sum a month or a day in any time zone
-- (every zone's offset is a whole number of quarter hours) without reading each rated event.
create table if not exists ledger.rated_spend (
    customer_id text not null,
    bucket      timestamptz not null,
    amount      numeric not null,
    primary key (customer_id, bucket)
);
