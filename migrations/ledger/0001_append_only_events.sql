-- The event log is append-only: the database itself refuses to change or remove an event,
-- whoever asks (the ledger's own role included). Corrections are new events.
-- Applied by the ledger at start-up after Marten's schema; safe to run again.
create or replace function ledger.refuse_event_change() returns trigger
language plpgsql as $$
begin
    raise exception 'ledger events are append-only: % on %.% is refused; append a correcting event instead',
        tg_op, tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end;
$$;

drop trigger if exists ledger_events_append_only on ledger.mt_events;
create trigger ledger_events_append_only
    before update or delete on ledger.mt_events
    for each row execute function ledger.refuse_event_change();

drop trigger if exists ledger_events_no_truncate on ledger.mt_events;
create trigger ledger_events_no_truncate
    before truncate on ledger.mt_events
    for each statement execute function ledger.refuse_event_change();

-- Streams record their current version (Marten updates it on append), so only removal is refused.
drop trigger if exists ledger_streams_no_delete on ledger.mt_streams;
create trigger ledger_streams_no_delete
    before delete on ledger.mt_streams
    for each row execute function ledger.refuse_event_change();

drop trigger if exists ledger_streams_no_truncate on ledger.mt_streams;
create trigger ledger_streams_no_truncate
    before truncate on ledger.mt_streams
    for each statement execute function ledger.refuse_event_change();
