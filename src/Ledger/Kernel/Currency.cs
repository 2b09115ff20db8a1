namespace Ledger.Kernel;

/// <summary>
/// ISO 4217 currencies the ledger bills in, with their minor units (cents: 2, yen: 0, dinar: 3).
/// </summary>
/// <remarks>
/// A fixed table rather than the operating system's culture data: the ledger runs with invariant
/// globalization, and the number of decimals a currency is invoiced in must not depend on the machine.
/// Add a currency here when a customer needs it.
/// </remarks>
public static class Currency
{
    private static readonly Dictionary<string, int> MinorUnitsByCode = new(StringComparer.Ordinal)
    {
        ["USD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["CHF"] = 2, ["CAD"] = 2, ["AUD"] = 2, ["NZD"] = 2, ["SEK"] = 2,
        ["NOK"] = 2, ["DKK"] = 2, ["PLN"] = 2, ["CZK"] = 2, ["HUF"] = 2, ["RON"] = 2, ["INR"] = 2, ["CNY"] = 2,
        ["HKD"] = 2, ["SGD"] = 2, ["TWD"] = 2, ["THB"] = 2, ["MYR"] = 2, ["PHP"] = 2, ["IDR"] = 2, ["BRL"] = 2,
        ["MXN"] = 2, ["ARS"] = 2, ["COP"] = 2, ["ZAR"] = 2, ["AED"] = 2, ["SAR"] = 2, ["QAR"] = 2, ["ILS"] = 2,
        ["TRY"] = 2, ["EGP"] = 2, ["NGN"] = 2, ["KES"] = 2, ["UAH"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["CLP"] = 0, ["ISK"] = 0, ["VND"] = 0,
        ["BHD"] = 3, ["KWD"] = 3, ["JOD"] = 3, ["OMR"] = 3, ["TND"] = 3,
    };

    public static bool IsKnown(string code) => MinorUnitsByCode.ContainsKey(code);

    public static int MinorUnits(string code) =>
        MinorUnitsByCode.TryGetValue(code, out var units) ? units : throw new ArgumentException($"Unknown currency \"{code}\"", nameof(code));

    public static IEnumerable<string> Codes => MinorUnitsByCode.Keys.Order(StringComparer.Ordinal);
}
