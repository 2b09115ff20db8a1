-- Prepaid credits, drawn down by the rating projection (src/Ledger/Credits). Projections, not facts:
-- a rebuild deletes and rewrites them from the event log.

-- What credits paid for each rated usage event, and what they did not (uncovered = amount - Σ drawdowns).
alter table ledger.rated_usage add column if not exists uncovered numeric not null default 0;
alter table ledger.rated_usage add column if not exists drawdowns jsonb;  -- [{"grant", "amount", "at"}]; at = ledger sequence that caused it
alter table ledger.rated_spend add column if not exists uncovered numeric not null default 0;

-- Each grant and where its money went: granted = drawn + expired + voided + remaining.
create table if not exists ledger.credit_grants (
    customer_id  text not null,
    grant_id     text not null,
    currency     text not null,
    kind         text not null,
    priority     int not null,
    effective_at timestamptz not null,
    expires_at   timestamptz,
    granted_seq  bigint not null,
    granted      numeric not null,
    drawn        numeric not null,
    expired      numeric not null,
    voided       numeric not null,
    status       text not null check (status in ('active', 'expired', 'voided')),
    closed_seq   bigint,
    primary key (customer_id, grant_id)
);

-- Per customer: whether credit ran out (CreditsExhausted is recorded once per running out), the last top-up
-- (low-balance fractions refer to it) and the amount held; updated_seq tells the spend-check view what changed.
create table if not exists ledger.credit_accounts (
    customer_id       text primary key,
    exhausted         boolean not null,
    last_top_up       text,
    last_top_up_amount numeric not null,
    held              numeric not null,
    updated_seq       bigint not null
);
create index if not exists credit_accounts_updated on ledger.credit_accounts (updated_seq);

-- Holds: open ('held'), waiting for their usage to be rated ('settling'), or ended.
create table if not exists ledger.credit_holds (
    hold_id      text primary key,
    customer_id  text not null,
    amount       numeric not null,
    expires_at   timestamptz not null,
    status       text not null check (status in ('held', 'settling', 'settled', 'released', 'expired')),
    usage_source text,
    usage_id     text,
    placed_seq   bigint not null,
    ended_seq    bigint
);
create index if not exists credit_holds_open on ledger.credit_holds (customer_id) where status in ('held', 'settling');
