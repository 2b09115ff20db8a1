using Ledger.Contracts;
using Ledger.Kernel;
using NodaTime;
using Customer = Ledger.Customers.Customer;

namespace Ledger.Tests.Contracts;

/// <summary>Where a contract's money allowance is, segment by segment (no database: <see cref="ContractAllowances"/> is pure).</summary>
public sealed class when_a_contracts_allowance_is_shared_out
{
    private static Instant Utc(int month, int day, int hour = 0) => Instant.FromUtc(2026, month, day, hour, 0);

    private static ContractTerms Terms(string? allowance, string fee = "300.00") =>
        new(new Fee(new Money(decimal.Parse(fee, System.Globalization.CultureInfo.InvariantCulture), "USD"), FeeTiming.Advance),
            allowance is null ? null : new Allowance(new Money(decimal.Parse(allowance, System.Globalization.CultureInfo.InvariantCulture), "USD"), []),
            null, null);

    /// <summary>A monthly contract (UTC, on the 1st unless <paramref name="anchor"/>) starting at <paramref name="start"/>, with versions from the given instants.</summary>
    private static Contract Contract(Instant start, params (Instant At, ContractTerms Terms)[] versions) => Contract(start, 1, versions);

    private static Contract Contract(Instant start, int anchor, params (Instant At, ContractTerms Terms)[] versions) => new()
    {
        ContractId = "c", StartsAt = start, Cycle = new BillingCycle(CycleKind.Month, anchor), TimeZone = "UTC",
        Versions = versions.Select((v, i) => new ContractVersion(i, v.At, v.Terms, null, v.At, "test")).ToList()
    };

    private static (string, decimal)[] Shares(Contract c, Instant at) =>
        ContractAllowances.Of(c, at).Select(s => (s.GrantId, s.Amount.Amount)).ToArray();

    [Fact]
    public void three_segments_under_one_allowance_split_it_by_largest_remainder()
    {
        var c = Contract(Utc(4, 1), (Utc(4, 1), Terms("100.00")), (Utc(4, 11), Terms("100.00", fee: "310.00")), (Utc(4, 21), Terms("100.00", fee: "320.00")));

        Assert.Equal([("allowance:c:2026-04-01T00:00:00Z", 33.34m), ("allowance:c:2026-04-11T00:00:00Z", 33.33m), ("allowance:c:2026-04-21T00:00:00Z", 33.33m)],
            Shares(c, Utc(4, 15)));
    }

    [Fact]
    public void segments_under_different_allowances_are_prorated_each_against_the_full_period()
    {
        var c = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00")), (Utc(4, 11), Terms("60.00")));

        Assert.Equal([("allowance:c:2026-04-01T00:00:00Z", 10.00m), ("allowance:c:2026-04-11T00:00:00Z", 40.00m)], Shares(c, Utc(4, 30)));
        Assert.Equal("allowance:c:2026-04-11T00:00:00Z", ContractAllowances.At(c, Utc(4, 11))!.GrantId);
        Assert.Equal("allowance:c:2026-04-01T00:00:00Z", ContractAllowances.At(c, Utc(4, 10, 23))!.GrantId);
        Assert.Equal([("allowance:c:2026-05-01T00:00:00Z", 60.00m)], Shares(c, Utc(5, 20)));
    }

    [Fact]
    public void a_stub_period_carries_its_share_of_the_full_period_it_is_cut_from() =>
        // January 15 to February 1: 17 of January's 31 days.
        Assert.Equal([("allowance:c:2026-01-15T00:00:00Z", 170.00m)], Shares(Contract(Utc(1, 15), (Utc(1, 15), Terms("310.00"))), Utc(1, 20)));

    [Fact]
    public void the_end_of_the_contract_cuts_the_last_segment()
    {
        var c = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00")));
        c.EndsAt = Utc(4, 11);

        Assert.Equal([("allowance:c:2026-04-01T00:00:00Z", 10.00m)], Shares(c, Utc(4, 5)));
        Assert.Null(ContractAllowances.At(c, Utc(4, 11)));
    }

    [Fact]
    public void there_is_no_money_allowance_outside_the_contract_or_in_a_segment_without_one()
    {
        var c = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00")), (Utc(4, 16), Terms(null)));

        Assert.Null(ContractAllowances.At(c, Utc(3, 31)));
        Assert.Null(ContractAllowances.At(c, Utc(4, 20)));
        Assert.Equal([("allowance:c:2026-04-01T00:00:00Z", 15.00m)], Shares(c, Utc(4, 20)));
    }

    [Fact]
    public void included_quantities_are_prorated_per_segment_exactly_not_to_whole_units()
    {
        ContractTerms Units(string quantity) => new(null, new Allowance(null,
            [new IncludedQuantity("input_tokens", "gpt-4o", decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture))]), null, null);
        var c = Contract(Utc(4, 1), (Utc(4, 1), Units("100")), (Utc(4, 11), Units("60")));

        var first = Assert.Single(ContractAllowances.UnitsAt(c, Utc(4, 5)));
        Assert.Equal(("input_tokens", "gpt-4o", 100m / 3m), (first.Meter, first.Model, first.Quantity));
        Assert.Equal(40m, Assert.Single(ContractAllowances.UnitsAt(c, Utc(4, 20))).Quantity);   // 60 × 20/30, exactly
        Assert.Equal(Utc(4, 11), Assert.Single(ContractAllowances.UnitsAt(c, Utc(4, 20))).Span.Start);
        Assert.Empty(ContractAllowances.UnitsAt(c, Utc(3, 31)));
        Assert.Empty(ContractAllowances.Of(c, Utc(4, 5)));   // no money allowance
    }

    [Fact]
    public void grant_ids_name_the_contract_and_the_segment_start_in_utc()
    {
        Assert.Equal("allowance:acme-2027:2027-01-01T00:00:00Z", ContractAllowances.GrantId("acme-2027", Instant.FromUtc(2027, 1, 1, 0, 0)));
        Assert.Equal("allowance:x:2027-01-01T09:30:00.25Z", ContractAllowances.GrantId("x", Instant.FromUtc(2027, 1, 1, 9, 30).PlusNanoseconds(250_000_000)));
        Assert.True(ContractAllowances.IsAllowance("allowance:x:2027-01-01T00:00:00Z"));
        Assert.False(ContractAllowances.IsAllowance("prepaid-allowance:1"));
    }

    private static string[] Ahead(Instant now, params Contract[] contracts) =>
        AllowanceUse.Ahead(new Customer { CustomerId = "x", Currency = "USD", Contracts = [.. contracts] }, now)
            .Select(s => $"{s.GrantId} {s.Amount.Amount}").ToArray();

    [Fact]
    public void spend_checks_see_the_current_segment_on_and_the_next_period()
    {
        var c = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00")), (Utc(4, 11), Terms("60.00")));

        // From April 5: both April segments lie ahead, then May's; from April 20 the first April segment is past.
        Assert.Equal(["allowance:c:2026-04-01T00:00:00Z 10.00", "allowance:c:2026-04-11T00:00:00Z 40.00", "allowance:c:2026-05-01T00:00:00Z 60.00"],
            Ahead(Utc(4, 5), c));
        Assert.Equal(["allowance:c:2026-04-11T00:00:00Z 40.00", "allowance:c:2026-05-01T00:00:00Z 60.00"], Ahead(Utc(4, 20), c));
        Assert.Equal("allowance:c:2026-04-11T00:00:00Z",
            AllowanceUse.Current(new Customer { Currency = "USD", Contracts = [c] }, Utc(4, 20))!.GrantId);
    }

    [Fact]
    public void spend_checks_see_a_contract_that_has_not_started_and_nothing_in_another_currency()
    {
        var later = Contract(Utc(5, 1), (Utc(5, 1), Terms("30.00")));
        Assert.Equal(["allowance:c:2026-05-01T00:00:00Z 30.00"], Ahead(Utc(4, 20), later));
        Assert.Null(AllowanceUse.Current(new Customer { Currency = "USD", Contracts = [later] }, Utc(4, 20)));

        var euros = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00") with
        {
            Included = new Allowance(new Money(30m, "EUR"), [])
        }));
        Assert.Empty(Ahead(Utc(4, 20), euros));
        Assert.Empty(Ahead(Utc(4, 20)));
    }

    [Fact]
    public void spend_checks_see_the_contract_that_follows_one_ending_mid_period()
    {
        var ending = Contract(Utc(4, 1), (Utc(4, 1), Terms("30.00")));
        ending.EndsAt = Utc(4, 16);
        var following = Contract(Utc(4, 16), (Utc(4, 16), Terms("60.00")));
        following.ContractId = "d";

        // April 1–16 is 15/30 of the first allowance; the next contract's stub April 16–May 1 is 15/30 of its own.
        Assert.Equal(["allowance:c:2026-04-01T00:00:00Z 15.00", "allowance:d:2026-04-16T00:00:00Z 30.00"], Ahead(Utc(4, 10), ending, following));
    }
}
