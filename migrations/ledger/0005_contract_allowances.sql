-- Contracts in rating (src/Ledger/Rating, src/Ledger/Credits/AllowanceBook.cs, docs/invoicing.md): which contract version
-- priced a usage event, how much of each segment's included money allowance its usage has drawn, and how many of its included
-- units it has taken. Projections, not facts: a rebuild deletes and rewrites them from the event log. Applied at start-up;
-- safe to run again.

alter table ledger.rated_usage add column if not exists contract_id text;          -- the contract whose terms priced it (null: none)
alter table ledger.rated_usage add column if not exists contract_amendment int;    -- that contract's version (0: as started)

-- One row per (contract, segment of a billing period) whose usage drew its allowance: drawn = the sum of the drawdowns named
-- allowance:{contract_id}:{segment_start} on rated_usage rows, never above allowance.
create table if not exists ledger.contract_allowances (
    customer_id   text not null,
    contract_id   text not null,
    segment_start timestamptz not null,
    segment_end   timestamptz not null,
    currency      text not null,
    allowance     numeric not null,   -- the segment's share of the period's included amount, in minor units
    drawn         numeric not null,   -- full precision
    primary key (customer_id, contract_id, segment_start)
);

-- Included units (included.quantities): per (contract, segment, meter, model) how many units its usage has taken free, in
-- ledger order, of the segment's prorated quantity (exact, not rounded to whole units). model '' is "any model".
create table if not exists ledger.contract_included_units (
    customer_id   text not null,
    contract_id   text not null,
    segment_start timestamptz not null,
    segment_end   timestamptz not null,
    meter         text not null,
    model         text not null,
    included      numeric not null,
    used          numeric not null,
    primary key (customer_id, contract_id, segment_start, meter, model)
);
