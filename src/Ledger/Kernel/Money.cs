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

    /// <summary>
    /// The exact amount with at least the currency's minor digits and no other trailing zeros: 5.5 USD
    /// → "5.50", 0.0000025 USD → "0.0000025". For amounts that are not rounded yet (usage, spend).
    /// </summary>
    public string ToExactString()
    {
        var minor = Kernel.Currency.MinorUnits(Currency);
        var text = (Amount / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture); // drops trailing zeros
        var dot = text.IndexOf('.');
        var decimals = dot < 0 ? 0 : text.Length - dot - 1;
        return decimals >= minor ? text : Amount.ToString("F" + minor, CultureInfo.InvariantCulture);
    }

    /// <summary>Rounded once to the currency's minor units and written with exactly that many decimals: an invoice line ("3.24", "-1.00").</summary>
    public string ToMinorUnitsString() =>
        RoundToMinorUnits().Amount.ToString("F" + Kernel.Currency.MinorUnits(Currency), CultureInfo.InvariantCulture);

    /// <summary>The amount as a decimal string, as the API shows money ("5.50").</summary>
    public override string ToString() => Amount.ToString(CultureInfo.InvariantCulture);

    private static string Same(Money a, Money b) =>
        a.Currency == b.Currency ? a.Currency : throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}");
}
