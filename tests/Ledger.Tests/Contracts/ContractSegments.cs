using Ledger.Contracts;
using Ledger.Kernel;
using NodaTime;

namespace Ledger.Tests.Contracts;

public sealed class contract_segments
{
    private static Instant At(int month, int day) => Instant.FromUtc(2026, month, day, 0, 0);

    private static ContractTerms Fee(decimal amount) => new(new Fee(new Money(amount, "USD"), FeeTiming.Advance), null, null, null);

    private static Contract Contract(Instant startsAt, Instant? endsAt, params (int Amendment, Instant EffectiveAt, decimal Fee)[] amendments) => new()
    {
        ContractId = "c", StartsAt = startsAt, EndsAt = endsAt,
        Versions = [new ContractVersion(0, startsAt, Fee(100m), null, startsAt, "t"),
            .. amendments.Select(a => new ContractVersion(a.Amendment, a.EffectiveAt, Fee(a.Fee), null, a.EffectiveAt, "t"))]
    };

    private static List<(Instant, Instant, decimal)> Segments(Contract c, Instant from, Instant to) =>
        c.Segments(new Interval(from, to)).Select(s => (s.Span.Start, s.Span.End, s.Version.Terms.Fee!.Amount.Amount)).ToList();

    [Fact]
    public void a_period_without_amendments_is_one_segment_under_the_starting_terms()
    {
        Assert.Equal([(At(3, 1), At(4, 1), 100m)], Segments(Contract(At(1, 1), null), At(3, 1), At(4, 1)));
    }

    [Fact]
    public void segments_split_a_period_at_each_amendment_and_stop_at_the_end()
    {
        var c = Contract(At(1, 1), At(3, 25), (1, At(3, 10), 150m), (2, At(3, 20), 200m));
        Assert.Equal([(At(3, 1), At(3, 10), 100m), (At(3, 10), At(3, 20), 150m), (At(3, 20), At(3, 25), 200m)], Segments(c, At(3, 1), At(4, 1)));
    }

    [Fact]
    public void a_contract_starting_inside_a_period_covers_it_from_its_start_and_none_of_a_period_after_its_end()
    {
        var c = Contract(At(3, 15), At(5, 1));
        Assert.Equal([(At(3, 15), At(4, 1), 100m)], Segments(c, At(3, 1), At(4, 1)));
        Assert.Empty(Segments(c, At(5, 1), At(6, 1)));
    }

    [Fact]
    public void a_later_amendment_with_the_same_effective_at_wins()
    {
        var c = Contract(At(1, 1), null, (1, At(3, 10), 150m), (2, At(3, 10), 175m));
        Assert.Equal([(At(3, 1), At(3, 10), 100m), (At(3, 10), At(4, 1), 175m)], Segments(c, At(3, 1), At(4, 1)));
    }
}
