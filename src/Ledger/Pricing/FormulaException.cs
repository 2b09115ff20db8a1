namespace Ledger.Pricing;

/// <summary>A formula that cannot be compiled: what is wrong and where (0-based character position).</summary>
public sealed class FormulaException(string message, int position)
    : Exception($"{message} (at position {position})")
{
    public int Position { get; } = position;
    public string Reason { get; } = message;
}

/// <summary>A compiled formula that failed on given inputs: overflow or division by zero, never a wrong number.</summary>
public sealed class FormulaEvaluationException(string message, Exception inner) : Exception(message, inner);
