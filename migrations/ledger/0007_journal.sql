-- The double-entry journal (src/Ledger/Revenue, docs/revenue.md). Derived from the event log and the rating projection's
-- tables by posting runs; append-only: an entry is never changed, a change of the facts posts a new entry with the difference.

-- Which rated usage rows changed since a posting run: every write of a row draws a new tick. Rating is the only writer and
-- commits its batches one after another, so a run that has seen tick t has seen every row written before it.
create sequence if not exists ledger.rated_usage_tick;
alter table ledger.rated_usage add column if not exists journal_tick bigint not null default nextval('ledger.rated_usage_tick');
create index if not exists rated_usage_journal_tick on ledger.rated_usage (journal_tick);

create sequence if not exists ledger.journal_entry_id;

-- One row per posting run: the positions it posted up to (the next run starts from there).
create table if not exists ledger.journal_runs (
    run_id       bigint primary key,
    ran_at       timestamptz not null,
    position     bigint not null,             -- the rating position (event sequence) the run posted up to
    usage_tick   bigint not null,             -- rated_usage.journal_tick seen up to
    open_period  date,                        -- the first month not closed when it ran (null: none closed)
    entries      int not null
);

create table if not exists ledger.journal_entries (
    entry_id       bigint primary key,
    run_id         bigint not null,
    kind           text not null,             -- credit_purchase, usage_credits, usage_promotional, usage_uncovered, subscription_fee, invoice, breakage, credit_void
    customer_id    text not null,
    currency       text not null,
    posting_period date not null,             -- the accounting month (first day, UTC) the entry is posted in
    service_date   date not null,             -- the day of service (UTC) the amount belongs to
    model          text,                      -- usage entries: the model (null when the usage names none)
    amount         numeric not null,          -- the change posted, signed (a negative amount reverses the kind's sides)
    source         text unique,               -- what caused it when one fact does (invoice, fee day, grant change); usage entries: null, see journal_usage
    cause          jsonb not null,
    description    text not null,
    posted_at      timestamptz not null
);
create index if not exists journal_entries_customer on ledger.journal_entries (customer_id, entry_id);
create index if not exists journal_entries_period on ledger.journal_entries (posting_period, entry_id);

create table if not exists ledger.journal_lines (
    entry_id bigint not null references ledger.journal_entries (entry_id),
    line     int not null,
    account  text not null,
    debit    numeric not null,
    credit   numeric not null,
    memo     text,
    primary key (entry_id, line),
    check (debit >= 0 and credit >= 0 and (debit = 0) <> (credit = 0))
);
create index if not exists journal_lines_account on ledger.journal_lines (account);

-- Usage entries aggregate events; each event's share of each entry is kept, so Σ amount per entry = the entry's amount,
-- and Σ per event and kind = what is posted for the event so far (the next run posts only the difference).
create table if not exists ledger.journal_usage (
    seq      bigint not null,                 -- rated_usage.seq (the UsageRecorded event)
    entry_id bigint not null references ledger.journal_entries (entry_id),
    amount   numeric not null,
    primary key (seq, entry_id)
);
create index if not exists journal_usage_entry on ledger.journal_usage (entry_id);

-- Purchased grants: what was posted for each (granted, expired, voided), by entry; the next run posts only differences.
create table if not exists ledger.journal_grants (
    customer_id text not null,
    grant_id    text not null,
    entry_id    bigint not null references ledger.journal_entries (entry_id),
    amount      numeric not null,
    primary key (customer_id, grant_id, entry_id)
);

create or replace function ledger.refuse_journal_change() returns trigger language plpgsql as $$
begin
    raise exception 'the journal is append-only: % on %.% is refused', tg_op, tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end $$;

do $$
declare t text;
begin
    foreach t in array array['journal_runs', 'journal_entries', 'journal_lines', 'journal_usage', 'journal_grants'] loop
        execute format('drop trigger if exists %I on ledger.%I', t || '_append_only', t);
        execute format('create trigger %I before update or delete or truncate on ledger.%I for each statement execute function ledger.refuse_journal_change()',
            t || '_append_only', t);
    end loop;
end $$;
