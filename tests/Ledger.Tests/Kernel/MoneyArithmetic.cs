using Ledger.Kernel;

namespace Ledger.Tests.Kernel;

public sealed class when_money_is_combined
{
    [Fact]
    public void amounts_in_one_currency_add_exactly() =>
        Assert.Equal(new Money(0.30m, "USD"), new Money(0.10m, "USD") + new Money(0.20m, "USD"));

    [Fact]
    public void different_currencies_are_refused() =>
        Assert.Throws<InvalidOperationException>(() => new Money(1m, "USD") + new Money(1m, "EUR"));

    [Theory]
    [InlineData(2.345, "USD", 2.35)]
    [InlineData(-2.345, "USD", -2.35)]
    [InlineData(1234.5, "JPY", 1235)]
    [InlineData(1.2345, "BHD", 1.235)]
    public void rounding_goes_to_the_currencys_minor_units_half_away_from_zero(decimal amount, string currency, decimal expected) =>
        Assert.Equal(expected, new Money(amount, currency).RoundToMinorUnits().Amount);

    [Fact]
    public void an_unknown_currency_cannot_be_rounded() =>
        Assert.Throws<ArgumentException>(() => new Money(1m, "XYZ").RoundToMinorUnits());
}
