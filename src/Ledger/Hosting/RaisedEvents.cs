using JasperFx.Events;
using Ledger.Usage;
using Marten;
using NodaTime;

namespace Ledger.Hosting;

/// <summary>
/// Appends a fact a projection discovers (a budget threshold reached) to the event log inside the
/// projection's own transaction: the fact and the projection's progress commit together or not at
/// all. Each such fact has a stream of its own whose key names it, so recording it again (a retried
/// batch, a rebuild) inserts nothing: once per fact, for ever.
/// </summary>
public static class RaisedEvents
{
    public const string SystemActor = "ledger";

    public static void QueueAppendOnce(IDocumentOperations ops, string streamKey, object @event, Instant recordedAt)
    {
        // nextval runs only for a new stream, so a repeat leaves no gap in the sequence for the daemon to wait on.
        ops.QueueSqlCommand("""
            with stream as (
                insert into ledger.mt_streams (id, version, tenant_id, timestamp, created) values (?, 1, ?, now(), now())
                on conflict do nothing returning id)
            insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers)
            select nextval('ledger.mt_events_sequence'), ?, stream.id, 1, ?::jsonb, ?, ?, ?, ?, ?::jsonb from stream
            """,
            streamKey, BulkAppend.Tenant, EventKey.ToEventId("ledger://raised", streamKey),
            System.Text.Json.JsonSerializer.Serialize(@event, @event.GetType(), Rating.RatingJson.Options),
            @event.GetType().GetEventTypeName(), recordedAt.ToDateTimeOffset(), BulkAppend.Tenant,
            BulkAppend.DotNetTypeName(@event.GetType()), BulkAppend.HeadersFor(SystemActor));
        ops.QueueSqlCommand(BulkAppend.WakeDaemon);
    }
}
