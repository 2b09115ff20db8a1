using JasperFx.Events;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Pricing;

/// <summary>A new version of a price book; see docs/pricing.md.</summary>
public sealed record PublishPriceBookRequest(string? Currency, string? EffectiveFrom, bool? Backdate, List<PriceRuleRequest>? Rules);

/// <summary>A price book as the API shows it: rates as decimal strings, like all money.</summary>
public sealed record PriceBookView(string Id, string Currency, IReadOnlyList<PriceBookVersionView> Versions)
{
    public static PriceBookView Of(PriceBook book) => new(book.PriceBookId, book.Versions[0].Currency,
        book.Versions.Select(v => new PriceBookVersionView(v.Version, v.EffectiveFrom, v.Backdated, v.PublishedAt, v.PublishedBy,
            v.Rules.Select(PriceRuleView.Of).ToList()))
        .ToList());
}

public sealed record PriceBookVersionView(int Version, Instant EffectiveFrom, bool Backdated, Instant PublishedAt, string PublishedBy,
    IReadOnlyList<PriceRuleView> Rules);

public sealed record PriceRuleView(string Id, IReadOnlyDictionary<string, string> Match, decimal Per,
    IReadOnlyDictionary<string, string> Rates, string? Formula, IReadOnlyDictionary<string, TiersView>? Tiers)
{
    public static PriceRuleView Of(PriceRule r) => new(r.Id, r.Match, r.Per, r.Rates.ToDictionary(p => p.Key, p => Text(p.Value)), r.Formula,
        r.Tiers?.ToDictionary(t => t.Key, t => new TiersView(t.Value.Mode.ToString().ToLowerInvariant(),
            t.Value.Steps.Select(s => new TierStepView(s.UpTo, Text(s.Rate))).ToList())));

    private static string Text(decimal rate) => rate.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record TiersView(string Mode, IReadOnlyList<TierStepView> Steps);

public sealed record TierStepView(decimal? UpTo, string Rate);

public static class PublishPriceBook
{
    [WolverinePut("/v1/price-books/{priceBookId}")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Pricing"), EndpointSummary("Publish a new immutable version of a price book")]
    [EndpointDescription("Rules match events on dimensions (most specific wins; equally specific overlapping rules are refused), " +
        "rates are decimal strings per `per` units, an optional formula computes the amount. Events are priced by the version " +
        "in force at their `time`. effective_from earlier than the latest version's needs \"backdate\": true.")]
    [ProducesResponseType<PriceBookView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Put(string priceBookId, PublishPriceBookRequest request, HttpContext http,
        IDocumentStore store, IClock clock, CancellationToken ct)
    {
        priceBookId = RouteValue.Decode(priceBookId);
        var currency = request.Currency ?? "USD";
        if (!Currency.IsKnown(currency))
            return Problems.UnknownCurrency(currency);
        if (!RequestValues.TryInstant(request.EffectiveFrom, out var effectiveFrom)) return RequestValues.InvalidEffectiveFrom();
        var (rules, field, problem) = PriceBookValidation.Validate(request.Rules);
        if (problem is not null) return Problems.BadRequest("Invalid price book", problem, field!);

        await using var session = store.LightweightSession();
        // FetchForWriting: the append is checked against the version read here, so two publications at
        // the same moment cannot both become version n (the second is refused and can be sent again).
        var stream = await session.Events.FetchForWriting<PriceBook>(PriceBook.StreamKey(priceBookId), ct);
        var book = stream.Aggregate;
        if (book is not null && book.Versions[0].Currency != currency)
            return Problems.Conflict("Currency cannot change", $"Price book \"{priceBookId}\" prices in {book.Versions[0].Currency}; publish another price book for {currency}.");
        var latest = book?.Versions.Max(v => v.EffectiveFrom);
        var backdated = latest is not null && effectiveFrom < latest;
        if (backdated && request.Backdate != true)
            return Problems.Conflict("Backdating needs confirmation",
                $"effective_from {request.EffectiveFrom} is earlier than the latest version's ({latest}); events already rated would be re-rated. " +
                "Send \"backdate\": true to publish it anyway.");

        var published = new PriceBookVersionPublished(priceBookId, (book?.Versions.Count ?? 0) + 1, currency, effectiveFrom, rules!,
            backdated, clock.GetCurrentInstant(), Caller.Of(http).KeyId);
        stream.AppendOne(published);
        if (await StreamWrites.SaveOrConflictAsync(session, "Published concurrently",
                $"Another version of price book \"{priceBookId}\" was published at the same moment, so this one was not. Send it again.", ct) is { } conflict) return conflict;

        // Answered from the log, not from the fetched aggregate (Marten may already have applied the new event to it).
        var saved = await session.Events.AggregateStreamAsync<PriceBook>(PriceBook.StreamKey(priceBookId), token: ct);
        return Results.Json(PriceBookView.Of(saved!), statusCode: StatusCodes.Status201Created);
    }
}

public static class GetPriceBook
{
    [WolverineGet("/v1/price-books/{priceBookId}")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Pricing"), EndpointSummary("A price book with all its versions")]
    [ProducesResponseType<PriceBookView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string priceBookId, IQuerySession session, CancellationToken ct)
    {
        priceBookId = RouteValue.Decode(priceBookId);
        var book = await session.LoadAsync<PriceBook>(PriceBook.StreamKey(priceBookId), ct);
        return book is null ? Problems.NotFound($"No price book \"{priceBookId}\".") : Results.Json(PriceBookView.Of(book));
    }
}
