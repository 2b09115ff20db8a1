-- Tamper evidence (src/Ledger/Audit, docs/audit.md): a SHA-256 chain over the event log, written
-- off the append path by the chainer, and signed checkpoints of its head. Applied at start-up; safe to run again.

-- One hash per chained event: hash(seq) = SHA-256(hash(previous chained seq) || canonical(row)).
-- Sequence gaps (rolled-back appends) have no row. Only the chainer inserts; nobody changes or removes.
create table if not exists ledger.event_chain (
    seq  bigint primary key,   -- mt_events.seq_id
    hash bytea not null        -- 32 bytes
);

-- Where the chain stands: a cache the chainer moves in the transaction of each batch (one row).
-- verify never trusts it: it recomputes from event_chain and the events.
create table if not exists ledger.event_chain_head (
    id      boolean primary key default true check (id),
    seq     bigint not null,   -- last chained sequence (0: nothing chained yet)
    hash    bytea not null,    -- its hash (genesis: 32 zero bytes)
    chained bigint not null    -- events chained so far
);
insert into ledger.event_chain_head (id, seq, hash, chained) values (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000', 0)
on conflict do nothing;

-- Signed checkpoints of the chain head (daily and on demand).
create table if not exists ledger.audit_checkpoints (
    id             bigint generated always as identity primary key,
    seq            bigint not null,        -- last chained sequence at the checkpoint
    head           bytea not null,         -- chain hash at seq
    chained        bigint not null,        -- events chained up to seq
    created_at     timestamptz not null,
    key_id         text not null,
    public_key     text not null,          -- PEM (SubjectPublicKeyInfo) of the signing key, for export
    signature      bytea not null          -- ECDSA P-256 / SHA-256, DER, over the signed text (docs/audit.md)
);

drop trigger if exists event_chain_append_only on ledger.event_chain;
create trigger event_chain_append_only
    before update or delete on ledger.event_chain
    for each row execute function ledger.refuse_event_change();

drop trigger if exists event_chain_no_truncate on ledger.event_chain;
create trigger event_chain_no_truncate
    before truncate on ledger.event_chain
    for each statement execute function ledger.refuse_event_change();

drop trigger if exists audit_checkpoints_append_only on ledger.audit_checkpoints;
create trigger audit_checkpoints_append_only
    before update or delete on ledger.audit_checkpoints
    for each row execute function ledger.refuse_event_change();

drop trigger if exists audit_checkpoints_no_truncate on ledger.audit_checkpoints;
create trigger audit_checkpoints_no_truncate
    before truncate on ledger.audit_checkpoints
    for each statement execute function ledger.refuse_event_change();

-- The head only moves forward; it is never removed.
drop trigger if exists event_chain_head_no_delete on ledger.event_chain_head;
create trigger event_chain_head_no_delete
    before delete on ledger.event_chain_head
    for each row execute function ledger.refuse_event_change();
