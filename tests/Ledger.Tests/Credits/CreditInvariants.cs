using CsCheck;
using Ledger.Credits;
using Ledger.Kernel;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using NodaTime;

namespace Ledger.Tests.Credits;

/// <summary>
/// For random interleavings of grants, usage, re-pricing (usage rated again up or down), holds, voids,
/// expiries and a contract with a money allowance (started, amended with effect in the past, ended): every
/// dollar granted is drawn, expired, voided or remaining; no grant goes below zero; every drawdown pays a
/// rated usage event and no usage is paid more than its amount; each allowance pays exactly what drawing it
/// in ledger order gives, never more than it has; and rebuilding the projection from the log gives every
/// balance and drawdown back to the last digit.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class credit_invariants_hold_for_any_interleaving(LedgerFixture ledger)
{
    private abstract record Op;
    private sealed record Grant(int Amount, int Priority, int? ExpiresInDays) : Op;
    private sealed record Use(int Tokens) : Op;
    private sealed record Reprice(string Rate) : Op;
    private sealed record Void(int Grant) : Op;
    private sealed record Expire(int Grant) : Op;
    private sealed record Hold(int Amount) : Op;
    private sealed record EndHold(int Hold) : Op;
    private sealed record StartContract(int Allowance) : Op;
    private sealed record Amend(int Allowance, int HoursBack) : Op;
    private sealed record EndContract(int HoursBack) : Op;

    private static readonly Gen<Op> AnyOp = Gen.Frequency(
        (3, Gen.Select(Gen.Int[1, 20], Gen.Int[0, 3], Gen.Int[1, 60].Nullable()).Select(x => (Op)new Grant(x.Item1, x.Item2, x.Item3))),
        (6, Gen.Int[0, 12].Select(t => (Op)new Use(t))),
        (1, Gen.OneOfConst("0.50", "1.00", "2.00").Select(r => (Op)new Reprice(r))),
        (1, Gen.Int[0, 5].Select(i => (Op)new Void(i))),
        (1, Gen.Int[0, 5].Select(i => (Op)new Expire(i))),
        (1, Gen.Int[1, 5].Select(a => (Op)new Hold(a))),
        (1, Gen.Int[0, 3].Select(i => (Op)new EndHold(i))),
        (2, Gen.Int[1, 20].Select(a => (Op)new StartContract(a))),
        (2, Gen.Select(Gen.Int[1, 30], Gen.Int[0, 48]).Select(x => (Op)new Amend(x.Item1, x.Item2))),
        (1, Gen.Int[-2, 24].Select(h => (Op)new EndContract(h))));

    [Fact]
    public async Task granted_equals_drawn_plus_expired_plus_voided_plus_remaining_and_a_rebuild_gives_the_same_balances()
    {
        var customers = new List<string>();
        // Every sample starts a contract somewhere among its operations (later starts are ignored), so each exercises allowances.
        var samples = Gen.Select(AnyOp.Array[8, 24], Gen.Int[0, 8], Gen.Int[1, 20])
            .Select(x => x.Item1.Take(x.Item2).Append(new StartContract(x.Item3)).Concat(x.Item1.Skip(x.Item2)).ToArray());
        await samples.SampleAsync(async ops =>
        {
            var s = new CreditScenario(ledger);
            customers.Add(s.Customer);
            await RunAsync(s, ops);
            await AssertInvariantsAsync(s.Customer);
        }, iter: 6, threads: 1);

        var before = await SnapshotAsync(customers);
        await using (var cmd = ledger.Database.CreateCommand("select count(*) from ledger.contract_allowances where customer_id = any($1) and drawn > 0"))
        {
            cmd.Parameters.Add(new() { Value = customers.ToArray() });
            Assert.True((long)(await cmd.ExecuteScalarAsync())! > 0, "no sample drew a contract allowance: the contract operations were not exercised");
        }
        await RatingScenario.RebuildRatingsAsync(ledger);
        var after = await SnapshotAsync(customers);
        Assert.True(before.SequenceEqual(after), "rebuild differs:\n" + string.Join("\n", before.Except(after).Select(x => "- " + x).Concat(after.Except(before).Select(x => "+ " + x))));
    }

    private async Task RunAsync(CreditScenario s, Op[] ops)
    {
        await s.StartAsync();
        var grants = new List<string>();
        var holds = new List<string>();
        var version = 0;
        var contract = new Contracts.ContractScenario(ledger, s);
        var contracted = false;
        // The contract runs from the start of this month (UTC), so usage sent now falls under it.
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var month = new LocalDate(today.Year, today.Month, 1).AtMidnight().InUtc().ToInstant();
        Instant Back(int hours) => Instant.Max(month, ledger.Clock.GetCurrentInstant().Minus(Duration.FromHours(hours)));
        foreach (var op in ops)
        {
            var now = ledger.Clock.GetCurrentInstant();
            switch (op)
            {
                case StartContract c when !contracted:
                    contracted = true;
                    await contract.StartContractAsync(month.ToString(), $$""" "included": {"amount": "{{c.Allowance}}.00"} """);
                    break;
                case Amend a when contracted:
                    // effective in the past (back to the month's start): usage rated already is paid again; refused once ended there
                    await contract.TryAmendAsync(Back(a.HoursBack).ToString(), $$""" "included": {"amount": "{{a.Allowance}}.00"} """);
                    break;
                case EndContract e when contracted:
                    await contract.TryEndAsync(Back(e.HoursBack).ToString());
                    break;
                case Grant g:
                    grants.Add($"g{grants.Count}");
                    await s.GrantAsync(grants[^1], g.Amount, g.Priority, g.ExpiresInDays is { } d ? now.Plus(Duration.FromDays(d)) : null);
                    break;
                case Use u:
                    await s.UseAsync(u.Tokens);
                    break;
                case Reprice r:
                    // A later version, still before all usage: every event is rated again at the new rate.
                    await s.Rating.PublishAsync(RatingScenario.FlatBook($"2026-02-01T00:00:{++version:00}Z", r.Rate, per: "1"));
                    break;
                case Void v when v.Grant < grants.Count:
                    await s.AppendAsync(CreditGranted.StreamKey(s.Customer, grants[v.Grant]), new CreditGrantVoided(s.Customer, grants[v.Grant], null, now, "test"));  // also after an expiry: the projection ignores it
                    break;
                case Expire e when e.Grant < grants.Count:
                    await s.AppendAsync(CreditGranted.StreamKey(s.Customer, grants[e.Grant]), new CreditGrantExpired(s.Customer, grants[e.Grant], now));
                    break;
                case Hold h:
                    holds.Add($"h-{Guid.NewGuid():N}");
                    await s.AppendAsync(HoldPlaced.StreamKey(holds[^1]), new HoldPlaced(holds[^1], s.Customer, new Money(h.Amount, "USD"), now.Plus(Duration.FromMinutes(5)), now, "test"));
                    break;
                case EndHold e when e.Hold < holds.Count:
                    await s.AppendAsync(HoldPlaced.StreamKey(holds[e.Hold]), new HoldEnded(holds[e.Hold], s.Customer, HoldEnd.Released, now));
                    break;
            }
        }
        await s.BalanceAsync();
    }

    private async Task AssertInvariantsAsync(string customer)
    {
        var grants = new Dictionary<string, (decimal Granted, decimal Drawn, decimal Expired, decimal Voided)>();
        await using (var cmd = ledger.Database.CreateCommand("select grant_id, granted, drawn, expired, voided from ledger.credit_grants where customer_id = $1"))
        {
            cmd.Parameters.Add(new() { Value = customer });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                grants[reader.GetString(0)] = (reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4));
        }
        var allowances = new Dictionary<string, (Instant Start, Instant End, decimal Allowance, decimal Drawn)>();
        await using (var cmd = ledger.Database.CreateCommand(
                         "select contract_id, segment_start, segment_end, allowance, drawn from ledger.contract_allowances where customer_id = $1"))
        {
            cmd.Parameters.Add(new() { Value = customer });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var start = Instant.FromDateTimeUtc(reader.GetDateTime(1));
                allowances[Ledger.Contracts.ContractAllowances.GrantId(reader.GetString(0), start)] =
                    (start, Instant.FromDateTimeUtc(reader.GetDateTime(2)), reader.GetDecimal(3), reader.GetDecimal(4));
            }
        }
        var drawnFromRows = new Dictionary<string, decimal>();
        var oracle = allowances.ToDictionary(a => a.Key, _ => 0m); // each allowance drawn again in ledger order, as the rows come
        await using (var cmd = ledger.Database.CreateCommand(
                         "select seq, status, coalesce(amount, 0), uncovered, drawdowns, usage_at from ledger.rated_usage where customer_id = $1 order by seq"))
        {
            cmd.Parameters.Add(new() { Value = customer });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var (seq, status, amount, uncovered) = (reader.GetInt64(0), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3));
                var drawdowns = UsageCredit.ReadDrawdowns(reader.IsDBNull(4) ? null : reader.GetString(4));
                var usageAt = Instant.FromDateTimeUtc(reader.GetDateTime(5));
                var fromAllowances = drawdowns.Where(d => Ledger.Contracts.ContractAllowances.IsAllowance(d.Grant))
                    .GroupBy(d => d.Grant).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
                foreach (var (id, a) in allowances.Where(a => usageAt >= a.Value.Start && usageAt < a.Value.End))
                {
                    var expected = Math.Max(0m, Math.Min(amount, a.Allowance - oracle[id]));
                    oracle[id] += expected;
                    Assert.True(fromAllowances.GetValueOrDefault(id) == expected, $"usage {seq} drew {fromAllowances.GetValueOrDefault(id)} of {id}, in ledger order {expected}");
                }
                Assert.All(fromAllowances.Where(f => f.Value != 0), f => Assert.True(allowances.TryGetValue(f.Key, out var a) && usageAt >= a.Start && usageAt < a.End,
                    $"usage {seq} at {usageAt} drew {f.Value} of {f.Key}, which is not its segment's"));
                var paid = drawdowns.Sum(d => d.Amount);
                Assert.True(amount == paid + uncovered, $"usage {seq}: amount {amount} ≠ drawn {paid} + uncovered {uncovered}");
                Assert.True(uncovered >= 0 && paid <= amount, $"usage {seq} of {amount} paid {paid}, uncovered {uncovered}");
                Assert.True(paid == 0 || status == "rated", $"usage {seq} is {status} yet drew {paid}");
                foreach (var d in drawdowns.Where(d => !Ledger.Contracts.ContractAllowances.IsAllowance(d.Grant)))
                    drawnFromRows[d.Grant] = drawnFromRows.GetValueOrDefault(d.Grant) + d.Amount;
                Assert.All(drawdowns.GroupBy(d => d.Grant), g => Assert.True(g.Sum(d => d.Amount) >= 0, $"usage {seq} owes grant {g.Key}"));
            }
        }
        foreach (var (id, g) in grants)
        {
            var remaining = g.Granted - g.Drawn - g.Expired - g.Voided;
            Assert.True(remaining >= 0 && g.Drawn >= 0 && g.Expired >= 0 && g.Voided >= 0, $"grant {id}: {g}, remaining {remaining}");
            Assert.Equal(g.Drawn, drawnFromRows.GetValueOrDefault(id));
        }
        Assert.Empty(drawnFromRows.Keys.Except(grants.Keys));
        foreach (var (id, a) in allowances)
            Assert.True(a.Drawn == oracle[id] && a.Drawn <= a.Allowance, $"{id}: {a.Drawn} drawn of {a.Allowance}; the rows drew {oracle[id]}");
    }

    private async Task<List<string>> SnapshotAsync(List<string> customers)
    {
        var rows = new List<string>();
        foreach (var sql in new[]
                 {
                     "select concat_ws('|', customer_id, grant_id, granted, drawn, expired, voided, status, closed_seq) from ledger.credit_grants where customer_id = any($1) order by 1",
                     "select concat_ws('|', seq, amount, uncovered, drawdowns::text, contract_id, contract_amendment) from ledger.rated_usage where customer_id = any($1) order by seq",
                     "select concat_ws('|', customer_id, contract_id, segment_start, segment_end, allowance, drawn) from ledger.contract_allowances where customer_id = any($1) order by 1",
                     "select concat_ws('|', customer_id, exhausted, last_top_up, last_top_up_amount, held) from ledger.credit_accounts where customer_id = any($1) order by 1",
                     "select concat_ws('|', hold_id, status, ended_seq) from ledger.credit_holds where customer_id = any($1) order by 1",
                     "select concat_ws('|', customer_id, bucket, amount, uncovered) from ledger.rated_spend where customer_id = any($1) order by 1",
                     "select concat_ws('|', seq_id, stream_id, data::text) from ledger.mt_events where split_part(stream_id, '/', 2) = any($1) and stream_id !~ '^(customer|credit-grant|hold)/' order by seq_id",
                 })
        {
            await using var cmd = ledger.Database.CreateCommand(sql);
            cmd.Parameters.Add(new() { Value = customers.ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
