using Ledger.Revenue;
using Ledger.Tests.Credits;
using Ledger.Tests.Support;
using NodaTime;

namespace Ledger.Tests.Revenue;

public sealed class breakage_policy_rules
{
    private static readonly BreakagePolicy Proportional = new(true, 0.10m);
    private static readonly BreakagePolicy Remote = new(false, 0m);

    [Fact]
    public void at_expiry_the_remote_policy_recognises_nothing_until_the_credit_expires()
    {
        Assert.Equal(0m, Remote.Target("active", true, 100m, 45m, 0m, 2));
        Assert.Equal(55m, Remote.Target("expired", true, 100m, 45m, 55m, 2));
    }

    [Fact]
    public void the_proportional_policy_recognises_expected_breakage_as_the_expected_use_is_made()
    {
        // 100.00 bought, 10 % expected to go unused: 90.00 expected to be used; 45.00 used is half of it, so half of the 10.00.
        Assert.Equal(5.00m, Proportional.Target("active", true, 100m, 45m, 0m, 2));
        Assert.Equal(0m, Proportional.Target("active", true, 100m, 0m, 0m, 2));
        Assert.Equal(3.33m, Proportional.Target("active", true, 100m, 30m, 0m, 2)); // 3.333… rounded down
        // Used beyond the expected 90.00: never more than the expected breakage, nor than what is still unused.
        Assert.Equal(10.00m, Proportional.Target("active", true, 100m, 90m, 0m, 2));
        Assert.Equal(4.00m, Proportional.Target("active", true, 100m, 96m, 0m, 2));
    }

    [Fact]
    public void expiry_trues_up_to_the_actual_rest_and_a_void_reverses_expected_breakage()
    {
        Assert.Equal(55m, Proportional.Target("expired", true, 100m, 45m, 55m, 2));  // 5.00 recognised before: 50.00 more at expiry
        Assert.Equal(0m, Proportional.Target("voided", true, 100m, 45m, 0m, 2));     // the rest is refunded, not revenue
    }

    [Fact]
    public void credit_that_cannot_expire_has_no_expected_breakage()
    {
        Assert.Equal(0m, Proportional.Target("active", false, 100m, 45m, 0m, 2));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_breakage_is_proportional(LedgerFixture ledger)
{
    [Fact]
    public async Task a_posting_run_plans_expected_breakage_in_proportion_to_the_credit_used()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("expiring", 100m, expiresAt: ledger.Clock.GetCurrentInstant() + Duration.FromDays(30));
        await s.UseAsync(45);
        await new JournalScenario(ledger).PostAsync(); // the default (remote) policy: the purchase and the usage, no breakage yet

        // Plan (and roll back) one run under the proportional policy on the real tables.
        await using var conn = await ledger.Database.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var planned = (await GrantPosting.PlanAsync(conn, tx, 0, new BreakagePolicy(true, 0.10m), today, CancellationToken.None))
            .Where(p => p.Customer == s.Customer).Select(p => p.Entry).ToList();
        await tx.RollbackAsync();

        var breakage = Assert.Single(planned);
        Assert.Equal(("breakage", 5.00m, today), (breakage.Kind, breakage.Amount, breakage.PostingDate));
        Assert.Equal([("contract_liability", 5.00m, 0m), ("breakage_revenue", 0m, 5.00m)], breakage.Lines.Select(l => (l.Account, l.Debit, l.Credit)));
    }
}
