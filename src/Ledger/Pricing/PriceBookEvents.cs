using NodaTime;

namespace Ledger.Pricing;

/// <summary>
/// One pricing rule: which events it matches (dimension = value), the rates (decimal, per
/// <see cref="Per"/> units), optionally a formula over meters and rates, or tiered rates (by rate
/// name; only without a formula).
/// </summary>
public sealed record PriceRule(string Id, IReadOnlyDictionary<string, string> Match, decimal Per,
    IReadOnlyDictionary<string, decimal> Rates, string? Formula, IReadOnlyDictionary<string, Tiers>? Tiers = null);

/// <summary>
/// A new immutable version of a price book was published. Events are priced by the version in
/// force at their business time (<c>time</c>), whenever they arrive.
/// </summary>
public sealed record PriceBookVersionPublished(
    string PriceBookId,
    int Version,
    string Currency,
    Instant EffectiveFrom,
    IReadOnlyList<PriceRule> Rules,
    bool Backdated,
    Instant PublishedAt,
    string PublishedBy);

/// <summary>All versions of a price book, projected inline from its stream (<c>price-book/{id}</c>).</summary>
public sealed partial class PriceBook
{
    public string Id { get; set; } = "";
    public string PriceBookId { get; set; } = "";
    public List<PriceBookVersionPublished> Versions { get; set; } = [];

    public static string StreamKey(string priceBookId) => $"price-book/{priceBookId}";

    public static PriceBook Create(PriceBookVersionPublished e) =>
        new() { Id = StreamKey(e.PriceBookId), PriceBookId = e.PriceBookId, Versions = [e] };

    public void Apply(PriceBookVersionPublished e) => Versions.Add(e);

    /// <summary>The version in force at <paramref name="at"/>: the latest effective_from not after it (a later publication wins a tie).</summary>
    public PriceBookVersionPublished? InForceAt(Instant at) => Kernel.InForce.At(Versions, at, v => v.EffectiveFrom, v => v.Version);
}
