using Marten;
using Npgsql;
using Wolverine;

namespace Ledger.Credits;

/// <summary>Ends a hold at its expires_at if it is still open; scheduled durably when the hold is placed.</summary>
public sealed record ExpireHold(string HoldId);

/// <summary>
/// Hold expiry: the message waits in Wolverine's durable inbox (PostgreSQL, saved in the hold's own
/// transaction through the Marten outbox) and survives restarts. Scheduled for the hold's timeout after
/// placement on the wall clock. A settled hold expires too unless its usage was rated by then (which ended
/// it): the timeout bounds every reservation, also one settled with usage that never comes.
/// </summary>
public static class HoldExpiry
{
    public const string Queue = "hold-expiry";

    public static void ConfigureWolverine(WolverineOptions opts)
    {
        opts.PublishMessage<ExpireHold>().ToLocalQueue(Queue);
        opts.LocalQueue(Queue).UseDurableInbox();
        // Scheduled messages are polled for (every 5 s by default): at most ~1 s late instead.
        if (opts.Durability.ScheduledJobPollingTime > TimeSpan.FromSeconds(1))
            opts.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);
    }

}

/// <summary>Appends HoldEnded(Expired) for a hold still open at its expires_at (a Wolverine handler: the name ends in Handler).</summary>
public static class ExpireHoldHandler
{
    public static async Task Handle(ExpireHold message, IDocumentSession session, SpendView view, NpgsqlDataSource db, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Hold>(HoldPlaced.StreamKey(message.HoldId), ct);
        if (stream.Aggregate is not { Status: "held" or "settled" } hold) return;
        if (hold.Status == "settled" && await EndedByItsUsageAsync(db, hold.HoldId, ct)) return;
        // Ended at its expires_at (the fact), whenever the scheduler ran.
        stream.AppendOne(new HoldEnded(hold.HoldId, hold.CustomerId, HoldEnd.Expired, hold.ExpiresAt));
        view.CountLocal(hold.CustomerId, hold.HoldId, -hold.Amount.Amount);
        try { await session.SaveChangesAsync(ct); }
        catch
        {
            view.Forget(hold.CustomerId, hold.HoldId, -hold.Amount.Amount);
            throw; // retried by Wolverine: a concurrent release or settle wins, and the retry finds the hold no longer held
        }
        view.Sequenced(hold.CustomerId, hold.HoldId, -hold.Amount.Amount, await HoldWrites.SequenceAsync(db, stream.Key!, stream.CurrentVersion!.Value, ct));
    }

    /// <summary>Whether rating has already ended the hold because its settled usage was rated.</summary>
    private static async Task<bool> EndedByItsUsageAsync(NpgsqlDataSource db, string holdId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select exists (select 1 from ledger.credit_holds where hold_id = $1 and status = 'settled')");
        cmd.Parameters.Add(new() { Value = holdId });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
