using CsCheck;
using Ledger.Pricing;

namespace Ledger.Tests.Pricing;

public sealed class when_tiers_price_a_quantity
{
    /// <summary>The first 1,000 units at 2.00, up to 5,000 at 1.50, the rest at 1.00.</summary>
    private static Tiers Three(TierMode mode) => new(mode, [new TierStep(1000, 2.00m), new TierStep(5000, 1.50m), new TierStep(null, 1.00m)]);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2.00)]
    [InlineData(999, 1998.00)]
    [InlineData(1000, 2000.00)]   // up_to is inclusive: the 1,000th unit is still in the first tier
    [InlineData(1001, 2001.50)]
    [InlineData(5000, 8000.00)]   // 1,000 × 2.00 + 4,000 × 1.50
    [InlineData(5001, 8001.00)]
    [InlineData(10000, 13000.00)]
    [InlineData(0.5, 1.00)]       // fractional quantities (seconds, characters) are priced pro rata
    public void graduated_tiers_price_each_unit_at_the_rate_of_the_tier_it_falls_in(decimal quantity, decimal cost) =>
        Assert.Equal(cost, Three(TierMode.Graduated).Cost(quantity));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1000, 2000.00)]   // 1,000 reaches only the first tier
    [InlineData(1001, 1501.50)]   // every unit at the second tier's rate
    [InlineData(5000, 7500.00)]
    [InlineData(5001, 5001.00)]
    public void volume_tiers_price_every_unit_at_the_rate_of_the_tier_the_total_reached(decimal quantity, decimal cost) =>
        Assert.Equal(cost, Three(TierMode.Volume).Cost(quantity));

    [Theory]
    [InlineData(0, 1000, 2000.00)]
    [InlineData(999, 2, 3.50)]    // one unit at 2.00, one at 1.50
    [InlineData(1000, 1, 1.50)]
    [InlineData(4000, 2000, 2500.00)] // 1,000 × 1.50 + 1,000 × 1.00
    [InlineData(700, 0, 0)]
    public void a_charge_is_what_the_quantity_adds_to_the_cost_of_what_came_before(decimal before, decimal quantity, decimal charge) =>
        Assert.Equal(charge, Three(TierMode.Graduated).Charge(before, quantity));

    [Fact]
    public void a_volume_charge_can_be_negative_when_the_total_reaches_a_cheaper_tier() =>
        Assert.Equal(1501.50m - 1800m, Three(TierMode.Volume).Charge(900, 101)); // 900 × 2.00 before, 1,001 × 1.50 after

    [Fact]
    public void the_charges_of_any_split_add_up_to_the_cost_of_the_total() =>
        Gen.Select(Gen.Int[0, 4000].Array[1, 12], Gen.Bool).Sample((quantities, volume) =>
        {
            var tiers = Three(volume ? TierMode.Volume : TierMode.Graduated);
            var (before, charged) = (0m, 0m);
            foreach (var quantity in quantities)
            {
                charged += tiers.Charge(before, quantity);
                before += quantity;
            }
            return charged == tiers.Cost(quantities.Sum());
        });
}
