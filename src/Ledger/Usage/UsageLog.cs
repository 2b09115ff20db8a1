using JasperFx.Events;
using Marten;
using Npgsql;

namespace Ledger.Usage;

/// <summary>What became of each event of one ingest request.</summary>
public sealed record IngestOutcome(int Accepted, int Duplicates, List<EventError> Conflicts);

/// <summary>
/// Appends usage to the event store exactly once per (source, id).
/// </summary>
/// <remarks>
/// Each event's store id is derived from its key (<see cref="EventKey"/>) and the store has a unique
/// index on event ids. A request first looks up which keys already exist (duplicate when the content
/// hash matches, conflict when it does not) and appends the rest as one new stream in one transaction
/// (<see cref="BulkAppend"/>).
/// When a concurrent request wins the race for a key, the unique index rejects the whole transaction;
/// the request then looks up again and retries, so the loser reports that key as a duplicate.
/// </remarks>
public static class UsageLog
{
    private const int MaxAttempts = 5;

    public static async Task<IngestOutcome> AppendAsync(
        IDocumentStore store, NpgsqlDataSource db, IReadOnlyList<ReadEvent> events, bool atomic,
        string recordedBy, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var decision = await DecideAsync(db, events, ct);
            if (decision.Fresh.Count == 0 || (atomic && decision.Conflicts.Count > 0))
                return new IngestOutcome(0, decision.Duplicates, decision.Conflicts);
            try
            {
                await BulkAppend.AppendStreamAsync(store, db, $"usage-batch/{Guid.CreateVersion7()}", decision.Fresh, recordedBy, ct);
                return new IngestOutcome(decision.Fresh.Count, decision.Duplicates, decision.Conflicts);
            }
            catch (Exception ex) when (IsUniqueViolation(ex) && attempt < MaxAttempts)
            {
                // another request stored one of these keys between our look-up and our commit: look again
            }
        }
    }

    private sealed record Decision(List<ReadEvent> Fresh, int Duplicates, List<EventError> Conflicts);

    private static async Task<Decision> DecideAsync(NpgsqlDataSource db, IReadOnlyList<ReadEvent> events, CancellationToken ct)
    {
        var ids = events.Select(e => e.EventId).ToArray();
        var stored = await StoredHashesAsync(db, ids, ct);

        var fresh = new List<ReadEvent>(events.Count);
        var inBatch = new Dictionary<Guid, string>();
        var duplicates = 0;
        var conflicts = new List<EventError>();
        for (var i = 0; i < events.Count; i++)
        {
            var usage = events[i].Usage;
            var known = stored.TryGetValue(ids[i], out var hash) || inBatch.TryGetValue(ids[i], out hash);
            if (!known)
            {
                inBatch[ids[i]] = usage.ContentHash;
                fresh.Add(events[i]);
            }
            else if (hash == usage.ContentHash) duplicates++;
            else conflicts.Add(new EventError(events[i].Index, usage.EventId,
                $"an event with source \"{usage.Source}\" and id \"{usage.EventId}\" is already stored with different content; " +
                "the stored event is kept unchanged. Send a new id for new usage."));
        }
        return new Decision(fresh, duplicates, conflicts);
    }

    private static async Task<Dictionary<Guid, string>> StoredHashesAsync(NpgsqlDataSource db, Guid[] ids, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select id, data ->> 'contentHash' from ledger.mt_events where id = any($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids });
        var result = new Dictionary<Guid, string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetGuid(0)] = reader.GetString(1);
        return result;
    }

    private static bool IsUniqueViolation(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }) return true;
        return false;
    }
}
