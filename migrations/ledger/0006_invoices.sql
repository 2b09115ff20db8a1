-- Issued invoices and the billing record: which rated usage each invoice billed, and in what state.
-- Written in the transaction that appends the InvoiceIssued event; never updated or deleted.

create table if not exists ledger.invoices (
    invoice_id  text primary key,
    number      text not null unique,
    seq         bigint not null unique,       -- the issuer's gapless counter: 1, 2, 3, …
    customer_id text not null,
    period_from timestamptz not null,
    period_to   timestamptz not null,
    issued_at   timestamptz not null,
    as_of       bigint not null,              -- the rating position the invoice was composed at
    unique (customer_id, period_from)
);
create index if not exists invoices_customer_period on ledger.invoices (customer_id, period_from, period_to);

-- One row per usage event per invoice that billed it: the first is the invoice of its period, later ones
-- (adjustments) hold the event's state when billed again; what an invoice billed for an event is its state
-- there minus the state on the invoice before.
create table if not exists ledger.billed_usage (
    seq            bigint not null,           -- the UsageRecorded event (rated_usage.seq)
    invoice_seq    bigint not null,           -- ledger.invoices.seq of the invoice that billed this state
    customer_id    text not null,
    usage_at       timestamptz not null,
    lines          jsonb not null,            -- the rated lines as billed ([] when no longer rated)
    amount         numeric not null,
    credits        numeric not null,          -- prepaid credits drawn for it
    allowance      numeric not null,          -- included allowance drawn for it
    primary key (seq, invoice_seq)
);
create index if not exists billed_usage_customer on ledger.billed_usage (customer_id, seq);

create or replace function ledger.refuse_billing_change() returns trigger language plpgsql as $$
begin
    raise exception 'issued invoices are immutable: % on %.% is refused', tg_op, tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end $$;

drop trigger if exists invoices_immutable on ledger.invoices;
create trigger invoices_immutable before update or delete on ledger.invoices
    for each row execute function ledger.refuse_billing_change();
drop trigger if exists billed_usage_immutable on ledger.billed_usage;
create trigger billed_usage_immutable before update or delete on ledger.billed_usage
    for each row execute function ledger.refuse_billing_change();
