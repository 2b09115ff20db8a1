using System.Data;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Rating;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Revenue;

public sealed record AccountingPeriodView(string Period, string Status, string OpenPeriod, long? AsOf);

public static class CloseAccountingPeriod
{
    /// <remarks>
    /// finance:read closes the books: it is finance's key, and a close changes no fact or amount, only where later entries are
    /// posted. billing:write (invoicing, credits) does not: the people who bill are not the ones who close the books.
    /// </remarks>
    [WolverinePost("/v1/accounting/periods/{period}/close")]
    [Requires(Scopes.FinanceRead)]
    [Tags("Journal"), EndpointSummary("Close an accounting period (a month, UTC) and every month before it")]
    [EndpointDescription("period: yyyy-MM. The month must have ended. Posts the journal up to everything recorded before the close " +
        "(waiting for rating, at most Ledger:Journal:RatingWait), then records AccountingPeriodClosed. From then on nothing is posted in it " +
        "or any earlier month: late facts post in the first open month with their own service date. 201 when closed now, 200 when it " +
        "was closed already.")]
    [ProducesResponseType<AccountingPeriodView>(StatusCodes.Status201Created)]
    [ProducesResponseType<AccountingPeriodView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public static async Task<IResult> Post(string period, HttpContext http, JournalPoster poster, IDocumentStore store, IClock clock,
        IOptions<JournalOptions> options, CancellationToken ct)
    {
        if (AccountingPeriodClosed.Month.Parse(period) is not { Success: true } parsed)
            return Problems.BadRequest("Invalid period", $"\"{period}\" is not a month: write it as yyyy-MM, e.g. 2026-10.", "period");
        var month = parsed.Value;
        var end = month.PlusMonths(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
        if (end > clock.GetCurrentInstant())
            return Problems.Conflict("Period still open", $"{period} runs until {end}; it can be closed from then on.");
        var outcome = await poster.LockedAsync<IResult>(async conn =>
        {
            if (await JournalPoster.OpenPeriodAsync(conn, null, ct) is { } open && open > month)
                return Results.Json(new AccountingPeriodView(period, "closed", AccountingPeriodClosed.Month.Format(open), null));
            var position = (long)(await JournalPoster.Scalar(conn, null, "select coalesce(max(seq_id), 0) from ledger.mt_events", ct))!;
            var deadline = DateTime.UtcNow + options.Value.RatingWait;
            while ((long)(await JournalPoster.Scalar(conn, null, RatingProjection.PositionSql, ct))! < position)
            {
                if (DateTime.UtcNow >= deadline)
                    return Problems.Unavailable("Rating is catching up", $"Usage recorded before this close is not rated yet, so {period} cannot be closed exactly now. Send the close again in a minute.", 60);
                await Task.Delay(25, ct);
            }
            var run = await poster.PostLockedAsync(conn, ct);
            await using var tx = await conn.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(tx));
            session.Events.Append(AccountingPeriodClosed.StreamKey, new AccountingPeriodClosed(period, clock.GetCurrentInstant(), Caller.Of(http).KeyId, run.Position));
            await session.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return Results.Json(new AccountingPeriodView(period, "closed", AccountingPeriodClosed.Month.Format(month.PlusMonths(1)), run.Position),
                statusCode: StatusCodes.Status201Created);
        }, ct);
        return outcome;
    }
}
