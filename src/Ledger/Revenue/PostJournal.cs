using Ledger.Access;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Revenue;

public sealed record JournalRunView(long Run, long Position, int Entries, string? OpenPeriod);

public static class PostJournal
{
    /// <remarks>finance:read may post: a run derives entries from facts already recorded and changes no fact (like an audit checkpoint).</remarks>
    [WolverinePost("/v1/journal/post")]
    [Requires(Scopes.FinanceRead, Scopes.BillingWrite)]
    [Tags("Journal"), EndpointSummary("Post the journal now, up to the position rating has reached")]
    [EndpointDescription("Runs a posting run (one also runs on its own every Ledger:Journal:PostInterval, 5 s by default): every difference " +
        "between the facts and what the journal has posted is posted as new entries. Running it again posts nothing new. " +
        "Answers the run: run (the last run's number when nothing was new), position, entries, open_period.")]
    [ProducesResponseType<JournalRunView>(StatusCodes.Status200OK)]
    public static async Task<IResult> Post(JournalPoster poster, CancellationToken ct)
    {
        var run = await poster.PostAsync(ct);
        return Results.Json(new JournalRunView(run.RunId, run.Position, run.Entries,
            run.OpenPeriod is { } open ? AccountingPeriodClosed.Month.Format(open) : null));
    }
}
