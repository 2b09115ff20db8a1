using Ledger.Kernel;
using NodaTime;

namespace Ledger.Contracts;

/// <summary>One version of a contract's terms: the start (amendment 0) or an amendment.</summary>
public sealed record ContractVersion(int Amendment, Instant EffectiveAt, ContractTerms Terms, string? Reason, Instant RecordedAt, string RecordedBy);

/// <summary>A part of a billing period under one version of the terms.</summary>
public sealed record ContractSegment(Interval Span, ContractVersion Version);

/// <summary>A contract as the customer's snapshot holds it: its cycle, every version of its terms, and its end.</summary>
public sealed class Contract
{
    public string ContractId { get; set; } = "";
    public Instant StartsAt { get; set; }
    public BillingCycle Cycle { get; set; } = new(CycleKind.Month);
    /// <summary>The IANA zone its periods are computed in (the customer's when the contract started).</summary>
    public string TimeZone { get; set; } = "UTC";
    public List<ContractVersion> Versions { get; set; } = [];
    public Instant? EndsAt { get; set; }
    public string? EndReason { get; set; }

    /// <summary>The billing period containing <paramref name="at"/> (a stub first when the contract started between anchors).</summary>
    public Interval PeriodOf(Instant at) => Cycle.PeriodOf(StartsAt, at, Customers.BillingPeriods.Zone(TimeZone));

    /// <summary>Whether the contract covers <paramref name="at"/>: [starts_at, ends_at).</summary>
    public bool Covers(Instant at) => at >= StartsAt && (EndsAt is not { } end || at < end);

    /// <summary>The terms in force at <paramref name="at"/>: the latest effective_at not after it (a later amendment wins a tie).</summary>
    public ContractVersion VersionAt(Instant at) =>
        InForce.At(Versions, at, v => v.EffectiveAt, v => v.Amendment) ?? Versions[0];

    /// <summary>
    /// The parts of <paramref name="period"/> the contract covers, each under the version in force
    /// throughout it: an amendment effective inside the period splits it there.
    /// </summary>
    public IReadOnlyList<ContractSegment> Segments(Interval period)
    {
        var from = Max(period.Start, StartsAt);
        var to = EndsAt is { } end && end < period.End ? end : period.End;
        if (from >= to) return [];
        var cuts = Versions.Select(v => v.EffectiveAt).Where(t => t > from && t < to).Distinct().Order().ToList();
        var bounds = new List<Instant> { from };
        bounds.AddRange(cuts);
        bounds.Add(to);
        return bounds.Zip(bounds.Skip(1), (a, b) => new ContractSegment(new Interval(a, b), VersionAt(a))).ToList();
    }

    /// <summary>
    /// The segments that carry <paramref name="part"/> (not null), in runs of consecutive segments that touch and carry an equal one:
    /// a part shared over such a run is prorated once and split by largest remainder (docs/invoicing.md#proration-and-rounding).
    /// </summary>
    public static IEnumerable<List<ContractSegment>> Runs<T>(IEnumerable<ContractSegment> segments, Func<ContractTerms, T?> part)
    {
        var run = new List<ContractSegment>();
        foreach (var segment in segments.Where(s => part(s.Version.Terms) is not null))
        {
            if (run.Count > 0 && (run[^1].Span.End != segment.Span.Start || !Equals(part(run[^1].Version.Terms), part(segment.Version.Terms))))
            {
                yield return run;
                run = [];
            }
            run.Add(segment);
        }
        if (run.Count > 0) yield return run;
    }

    private static Instant Max(Instant a, Instant b) => a > b ? a : b;
}
