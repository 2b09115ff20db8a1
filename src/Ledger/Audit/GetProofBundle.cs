using System.Data;
using System.IO.Pipelines;
using System.Text.Json;
using JasperFx.Events;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Usage;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Audit;

/// <summary>
/// <c>GET /v1/audit/proofs</c>: a customer's usage events in a time window, with the leaves and the signed
/// checkpoint that tie them to the chain, checkable offline by tools/ProofCheck (docs/audit.md, "Proof bundles").
/// </summary>
/// <remarks>
/// The events come from the log itself (not the rated-usage projection, which may trail it). The bundle holds the
/// content of this customer's events only; every other event between the first one and the checkpoint appears as
/// its 32-byte leaf. The checkpoint is the earliest one covering the window's last event: the smallest bundle, and
/// the same bundle every time it is asked for (an invoice keeps one proof). It is written as it is read, in pages,
/// inside one read-only snapshot, so memory stays constant.
/// </remarks>
public static class GetProofBundle
{
    public const int MaxEvents = 100_000;
    public const long MaxLeaves = 1_000_000;
    private const int Page = 10_000;
    private static readonly string UsageType = typeof(UsageRecorded).GetEventTypeName();
    /// <summary>The API's JSON (snake_case names, NodaTime): the bundle's content is what the endpoints answer.</summary>
    public static readonly JsonSerializerOptions JsonOptions = NewJsonOptions();

    /// <summary>Which of a customer's usage events a bundle holds: a SQL condition on <c>e</c> (ledger.mt_events) and its values ($1, $2, …).</summary>
    public sealed record Selection(string Customer, string Where, object[] Values, string Described);

    private static Selection Window(string customer, Instant from, Instant to) => new(customer, """
        e.type = $1 and e.data ->> 'customerId' = $2
        and (e.data ->> 'usageAt')::timestamptz >= $3 and (e.data ->> 'usageAt')::timestamptz < $4
        """, [UsageType, customer, from.ToDateTimeUtc(), to.ToDateTimeUtc()], $"with usage time in [{InstantPattern.ExtendedIso.Format(from)}, {InstantPattern.ExtendedIso.Format(to)})");

    /// <summary>The usage events an issued invoice billed (for the first time or as an adjustment).</summary>
    public static Selection Invoiced(string customer, long invoiceSeq) => new(customer, """
        e.type = $1 and e.data ->> 'customerId' = $2
        and e.seq_id in (select b.seq from ledger.billed_usage b where b.invoice_seq = $3)
        """, [UsageType, customer, invoiceSeq], "billed on the invoice");

    [WolverineGet("/v1/audit/proofs")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    [Tags("Audit"), EndpointSummary("A customer's usage events in a window, with the hashes tying them to a signed checkpoint")]
    [EndpointDescription("customer, from, to (RFC 3339; usage time in [from, to)), optional checkpoint=<id> (default: the earliest checkpoint " +
        "covering the window's last event; 409 if none does yet: POST /v1/audit/checkpoints first). The bundle lists the customer's events " +
        "with every field of their rows, and the leaf hash of every chained event from the first of them to the checkpoint (no other " +
        "content), so its size grows with the events in between. Check offline: dotnet run --project tools/ProofCheck -- bundle.json.")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Get(string? customer, [FromQuery(Name = "from")] string? fromText, [FromQuery(Name = "to")] string? toText,
        [FromQuery(Name = "checkpoint")] string? checkpointText, NpgsqlDataSource db, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(customer)) return Problems.BadRequest("Missing customer", "Name the customer: ?customer=<id>.", "customer");
        if (Parse(fromText) is not { } from)
            return Problems.BadRequest("Invalid from", "from must be an RFC 3339 time, e.g. 2026-03-01T00:00:00Z.", "from");
        if (Parse(toText) is not { } to)
            return Problems.BadRequest("Invalid to", "to must be an RFC 3339 time, e.g. 2026-04-01T00:00:00Z.", "to");
        if (to <= from) return Problems.BadRequest("Empty window", "to must be after from (the window is [from, to)).", "to");
        long? named = null;
        if (checkpointText is not null)
        {
            if (!long.TryParse(checkpointText, out var id))
                return Problems.BadRequest("Invalid checkpoint", "checkpoint must be a checkpoint id (GET /v1/audit/checkpoints).", "checkpoint");
            named = id;
        }

        return await StreamAsync(db, Window(customer, from, to), named, (json, _) =>
        {
            json.WriteString("from", InstantPattern.ExtendedIso.Format(from));
            json.WriteString("to", InstantPattern.ExtendedIso.Format(to));
            return Task.CompletedTask;
        }, ct);
    }

    /// <summary>
    /// Answers the bundle of <paramref name="selection"/> against checkpoint <paramref name="named"/> (or the earliest covering it),
    /// streamed from one read-only snapshot; <paramref name="header"/> writes the bundle's own fields after customer.
    /// </summary>
    public static async Task<IResult> StreamAsync(NpgsqlDataSource db, Selection selection, long? named,
        Func<Utf8JsonWriter, (NpgsqlConnection, NpgsqlTransaction), Task> header, CancellationToken ct)
    {
        var customer = selection.Customer;
        NpgsqlConnection? conn = await db.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            await using (var readOnly = new NpgsqlCommand("set transaction read only", conn, tx)) await readOnly.ExecuteNonQueryAsync(ct);
            var (count, first, last) = await WindowAsync(conn, tx, selection, ct);
            var refused = count switch
            {
                0 => Problems.NotFound($"Customer \"{customer}\" has no usage events {selection.Described}."),
                > MaxEvents => Problems.BadRequest("Window too large", $"The window holds {count} events of customer \"{customer}\"; " +
                    $"a bundle holds at most {MaxEvents}. Narrow it (an earlier to), and ask for the rest in further bundles.", "to"),
                _ => null,
            };
            if (refused is not null) return refused;

            var checkpointId = named ?? await CoveringCheckpointAsync(conn, tx, last, ct);
            var export = checkpointId is { } cid ? await Checkpoints.FindAsync(conn, tx, cid, ct) : null;
            if (named is not null && export is null)
                return Problems.NotFound($"No checkpoint {named}; list them with GET /v1/audit/checkpoints.");
            if (export is null || export.Checkpoint.Sequence < last)
                return Problems.Conflict("No checkpoint covers the window yet",
                    $"The window's last event is at sequence {last}, " +
                    (export is null ? "and no signed checkpoint reaches it yet" : $"past checkpoint {named}'s sequence {export.Checkpoint.Sequence}") +
                    ". Take one with POST /v1/audit/checkpoints (the chain trails ingest by under a second), then ask again" +
                    (named is null ? "." : " without checkpoint or naming the new one."));
            if (export.Checkpoint.Sequence - first >= MaxLeaves)
                return Problems.BadRequest("Too many leaves", $"From the window's first event (sequence {first}) to checkpoint " +
                    $"{export.Checkpoint.Id} (sequence {export.Checkpoint.Sequence}) the bundle would list up to " +
                    $"{export.Checkpoint.Sequence - first + 1} leaves; at most {MaxLeaves}. " +
                    (named is null ? "Narrow the window (a later from)." : "Name an earlier checkpoint, or omit checkpoint."),
                    named is null ? "from" : "checkpoint");

            // The stream owns the connection and its snapshot from here: they are disposed when the body is written.
            var (ownedConn, ownedTx) = (conn, tx);
            (conn, tx) = (null, null);
            return Results.Stream(async body =>
            {
                await using var connection = ownedConn;
                await using var transaction = ownedTx;
                await WriteAsync(body, connection, transaction, selection, header, first, last, export, ct);
            }, "application/json");
        }
        finally
        {
            if (tx is not null) await tx.DisposeAsync();
            if (conn is not null) await conn.DisposeAsync();
        }
    }

    private static async Task WriteAsync(Stream body, NpgsqlConnection conn, NpgsqlTransaction tx, Selection selection,
        Func<Utf8JsonWriter, (NpgsqlConnection, NpgsqlTransaction), Task> header, long first, long last, CheckpointExport export, CancellationToken ct)
    {
        // Through a PipeWriter: the serializer's own flushes then only fill the buffer, and the writes to the body stay asynchronous.
        var pipe = PipeWriter.Create(body);
        await using var json = new Utf8JsonWriter(pipe);
        async Task FlushAsync()
        {
            json.Flush();
            await pipe.FlushAsync(ct);
        }
        json.WriteStartObject();
        json.WriteString("format", ProofCheck.Format);
        json.WriteString("customer", selection.Customer);
        await header(json, (conn, tx));
        json.WritePropertyName("checkpoint");
        JsonSerializer.Serialize(json, export, JsonOptions);

        json.WriteStartObject("start");
        await using (var start = new NpgsqlCommand("select seq, hash from ledger.event_chain where seq < $1 order by seq desc limit 1", conn, tx)
                         { Parameters = { new() { Value = first } } })
        await using (var reader = await start.ExecuteReaderAsync(ct))
        {
            var found = await reader.ReadAsync(ct);
            json.WriteNumber("sequence", found ? reader.GetInt64(0) : 0);
            json.WriteString("hash", ChainHash.Hex(found ? reader.GetFieldValue<byte[]>(1) : ChainHash.Genesis));
        }
        json.WriteEndObject();

        json.WriteStartArray("events");
        var n = selection.Values.Length;
        await using (var events = new NpgsqlCommand($"""
            select {ChainHash.RowColumns} from ledger.mt_events e
            where e.seq_id >= ${n + 1} and e.seq_id <= ${n + 2} and {selection.Where}
            order by e.seq_id
            """, conn, tx))
        {
            foreach (var value in selection.Values.Append(first).Append(last)) events.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await events.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                JsonSerializer.Serialize(json, ChainHash.Read(reader), JsonOptions);
                if (json.BytesPending > 64 * 1024) await FlushAsync();
            }
        }
        json.WriteEndArray();

        json.WriteStartArray("leaves");
        for (var after = first - 1; ;)
        {
            // The chain stores chained hashes, not leaves: each leaf is recomputed from its row (chained rows only).
            await using var page = new NpgsqlCommand($"""
                select {ChainHash.RowColumns} from ledger.mt_events e join ledger.event_chain c on c.seq = e.seq_id
                where e.seq_id > $1 and e.seq_id <= $2 order by e.seq_id limit $3
                """, conn, tx) { Parameters = { new() { Value = after }, new() { Value = export.Checkpoint.Sequence }, new() { Value = Page } } };
            await using var reader = await page.ExecuteReaderAsync(ct);
            var rows = 0;
            while (await reader.ReadAsync(ct))
            {
                rows++;
                var row = ChainHash.Read(reader);
                after = row.Seq;
                json.WriteStartArray();
                json.WriteNumberValue(row.Seq);
                json.WriteStringValue(ChainHash.Hex(ChainHash.Leaf(row)));
                json.WriteEndArray();
            }
            await FlushAsync();
            if (rows < Page) break;
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await FlushAsync();
        await pipe.CompleteAsync();
    }

    /// <summary>How many events the selection holds, and their first and last sequence.</summary>
    private static async Task<(long Count, long First, long Last)> WindowAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Selection selection,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"select count(*), coalesce(min(e.seq_id), 0), coalesce(max(e.seq_id), 0) from ledger.mt_events e where {selection.Where}", conn, tx);
        foreach (var value in selection.Values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task<long?> CoveringCheckpointAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long last, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select id from ledger.audit_checkpoints where seq >= $1 order by seq, id limit 1", conn, tx)
            { Parameters = { new() { Value = last } } };
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    private static Instant? Parse(string? text) =>
        text is not null && OffsetDateTimePattern.ExtendedIso.Parse(text) is { Success: true } parsed ? parsed.Value.ToInstant() : null;

    private static JsonSerializerOptions NewJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Json.Configure(options);
        return options;
    }
}
