using System.Globalization;

namespace Ledger.Pricing;

internal enum TokenKind { Number, Name, Operator, LeftParen, RightParen, Comma, End }

internal readonly record struct Token(TokenKind Kind, string Text, int Position, decimal Number = 0);

/// <summary>Splits a formula into numbers, names, operators and punctuation.</summary>
internal static class FormulaLexer
{
    private static readonly string[] Operators = ["<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "×", "÷", "−"];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.' || text[i] == '_')) i++;
                var literal = text[start..i].Replace("_", "");
                if (!decimal.TryParse(literal, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    throw new FormulaException($"\"{text[start..i]}\" is not a number", start);
                tokens.Add(new Token(TokenKind.Number, literal, start, number));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i], start));
                continue;
            }
            switch (c)
            {
                case '(': tokens.Add(new Token(TokenKind.LeftParen, "(", i++)); continue;
                case ')': tokens.Add(new Token(TokenKind.RightParen, ")", i++)); continue;
                case ',': tokens.Add(new Token(TokenKind.Comma, ",", i++)); continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0);
            if (op is null) throw new FormulaException($"unexpected character '{c}'", i);
            tokens.Add(new Token(TokenKind.Operator, Normalize(op), i));
            i += op.Length;
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length));
        return tokens;
    }

    /// <summary>Finance writes × ÷ − as often as * / -.</summary>
    private static string Normalize(string op) => op switch { "×" => "*", "÷" => "/", "−" => "-", _ => op };
}
