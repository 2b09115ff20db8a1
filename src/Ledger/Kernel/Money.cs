using System.Globalization;

namespace Ledger.Kernel;

/// <summary>An exact amount in one currency.</summary>
/// <remarks>
/// Arithmetic keeps full decimal precision and refuses to mix currencies. Rounding to the currency's
/// minor units happens only when asked (<see cref="RoundToMinorUnits"/>): the ledger rounds once, on
/// invoice lines (half away from zero unless the invoicing rules say otherwise).
/// </remarks>
public readonly record struct Money(decimal Amount, string Currency)
{
    public static Money Zero(string currency) => new(0m, currency);

    public static Money operator +(Money a, Money b) => new(a.Amount + b.Amount, Same(a, b));
    public static Money operator -(Money a, Money b) => new(a.Amount - b.Amount, Same(a, b));
    public static Money operator *(Money a, decimal factor) => new(a.Amount * factor, a.Currency);
    public static bool operator <(Money a, Money b) => a.Amount < b.Amount && Same(a, b) is not null;
    public static bool operator >(Money a, Money b) => a.Amount > b.Amount && Same(a, b) is not null;

    public Money RoundToMinorUnits(MidpointRounding rule = MidpointRounding.AwayFromZero) =>
        new(Math.Round(Amount, Kernel.Currency.MinorUnits(Currency), rule), Currency);

    /// <summary>The amount as a decimal string, as the API shows money ("5.50").</summary>
    public override string ToString() => Amount.ToString(CultureInfo.InvariantCulture);

    private static string Same(Money a, Money b) =>
        a.Currency == b.Currency ? a.Currency : throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}");
}
