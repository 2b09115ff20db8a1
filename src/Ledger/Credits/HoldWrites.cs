using JasperFx.Events;
using Ledger.Hosting;
using Marten;
using Npgsql;

namespace Ledger.Credits;

/// <summary>Saving a hold's event and counting it in this node's <see cref="SpendView"/> until the projection reaches it.</summary>
public static class HoldWrites
{
    /// <summary>
    /// Counts <paramref name="delta"/> (+amount placed, −amount ended) locally, saves, then pins the count to
    /// the event's sequence; a refused save (409 problem) un-counts it and changes nothing.
    /// </summary>
    public static async Task<IResult?> SaveAsync(IDocumentSession session, IEventStream<Hold> stream, string holdId, string customerId, decimal delta,
        SpendView view, NpgsqlDataSource db, CancellationToken ct)
    {
        view.CountLocal(customerId, holdId, delta);
        var conflict = await StreamWrites.SaveOrConflictAsync(session, "Hold changed concurrently",
            $"Hold \"{holdId}\" was placed or changed at the same moment, so this request was not recorded. Read it with GET /v1/holds/{holdId} and send again if still needed.", ct);
        if (conflict is not null)
        {
            view.Forget(customerId, holdId, delta);
            session.EjectAllPendingChanges(); // nothing of this request (event or scheduled expiry) is saved by the transaction middleware either
            return conflict;
        }
        view.Sequenced(customerId, holdId, delta, await SequenceAsync(db, stream.Key!, stream.CurrentVersion!.Value, ct));
        return null;
    }

    /// <summary>The ledger sequence of a stream's event (Quick append does not hand it back).</summary>
    public static async Task<long> SequenceAsync(NpgsqlDataSource db, string streamKey, long version, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select seq_id from ledger.mt_events where stream_id = $1 and version = $2");
        cmd.Parameters.Add(new() { Value = streamKey });
        cmd.Parameters.Add(new() { Value = version });
        return await cmd.ExecuteScalarAsync(ct) is long seq ? seq : long.MaxValue;
    }
}
